//! Goroutines migrate between Ms across blocking calls and yields; after every switch each
//! one's view of its M, P and coroutine must be right (the TLS-across-a-switch hazard shows
//! only in optimised builds, which the test profile is).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gpm_sched::Runtime;
use gpm_sched::testing::{check_view, whereami};

#[test]
fn views_stay_right_across_migrations() {
    let _w = common::watchdog(60, "views_stay_right_across_migrations");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let migrations = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..16)
        .map(|_| {
            let migrations = migrations.clone();
            rt.go(move || {
                let (id, _, _) = whereami().unwrap();
                for i in 0..200 {
                    let (_, m_before, _) = whereami().unwrap();
                    match i % 3 {
                        0 => gpm_sched::blocking(|| std::thread::sleep(Duration::from_micros(300))),
                        1 => gpm_sched::yield_now(),
                        _ => gpm_sched::sleep(Duration::from_micros(50)),
                    }
                    let (id_after, m_after, _) = whereami().unwrap();
                    assert_eq!(id_after, id, "goroutine id changed");
                    check_view().unwrap_or_else(|e| panic!("iteration {i}: {e}"));
                    if m_after != m_before {
                        migrations.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert!(migrations.load(Ordering::Relaxed) > 0, "no goroutine migrated: test is vacuous");
    eprintln!("migrations: {}", migrations.load(Ordering::Relaxed));
}

gpm_sched::local! {
    static MINE: std::cell::Cell<u64> = std::cell::Cell::new(0);
    static DROPS: DropCount = DropCount;
}

static DROPPED: AtomicUsize = AtomicUsize::new(0);

struct DropCount;

impl Drop for DropCount {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn goroutine_locals_follow_the_goroutine() {
    let _w = common::watchdog(60, "goroutine_locals_follow_the_goroutine");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let hs: Vec<_> = (0..16u64)
        .map(|k| {
            rt.go(move || {
                DROPS.with(|_| ());
                MINE.with(|m| m.set(k * 1000));
                for i in 0..100 {
                    if i % 2 == 0 {
                        gpm_sched::blocking(|| std::thread::sleep(Duration::from_micros(100)));
                    } else {
                        gpm_sched::yield_now();
                    }
                    MINE.with(|m| {
                        assert_eq!(m.get(), k * 1000 + i, "goroutine {k} saw another's value");
                        m.set(m.get() + 1);
                    });
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(DROPPED.load(Ordering::SeqCst), 16, "goroutine-locals dropped at exit");
}
