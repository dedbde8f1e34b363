//! `Once`, `OnceLock`, `oneshot` and the `Semaphore` additions (`acquire_owned`,
//! `acquire_many`) with goroutines: waiters park while one initialises, panics poison a
//! `Once` and leave a `OnceLock` empty, a cancelled initialiser behaves as a panicking one,
//! multi-acquirers do not deadlock each other.

mod chan_support;

use chan_support::deadline;
use gpm::sync::{Once, OnceLock, Semaphore, oneshot};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

fn on_runtime(f: fn()) {
    deadline(60, move || {
        // SAFETY: the test goroutines hold no thread-local and no std lock guard across a
        // park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        rt.block_on(f);
        drop(rt);
        gpm::Runtime::single_thread().expect("runtime").block_on(f);
    });
}

#[test]
fn once_lock_initialises_once_while_others_park() {
    on_runtime(|| {
        let cell = Arc::new(OnceLock::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let (cell, runs) = (cell.clone(), runs.clone());
                gpm::go(move || {
                    *cell.get_or_init(|| {
                        runs.fetch_add(1, SeqCst);
                        gpm::sleep(Duration::from_millis(10)); // others park meanwhile
                        i
                    })
                })
            })
            .collect();
        let vals: Vec<_> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(runs.load(SeqCst), 1);
        assert!(vals.iter().all(|v| *v == vals[0]));
    });
}

#[test]
fn panics_poison_a_once_and_leave_a_once_lock_empty() {
    on_runtime(|| {
        let once = Arc::new(Once::new());
        let o = once.clone();
        assert!(gpm::go(move || o.call_once(|| panic!("init failed"))).join().is_err());
        assert!(once.is_poisoned());
        let o = once.clone();
        let err = gpm::go(move || o.call_once(|| {})).join().unwrap_err();
        assert!(err.downcast_ref::<&str>().unwrap().contains("poisoned"));
        once.call_once_force(|s| assert!(s.is_poisoned()));
        assert!(once.is_completed());

        let cell = Arc::new(OnceLock::new());
        let c = cell.clone();
        assert!(gpm::go(move || *c.get_or_init(|| panic!("no"))).join().is_err());
        assert!(cell.get().is_none());
        assert_eq!(*cell.get_or_init(|| 3u8), 3);
    });
}

#[test]
fn a_cancelled_initialiser_lets_a_waiter_initialise() {
    on_runtime(|| {
        let cell = Arc::new(OnceLock::new());
        let c = cell.clone();
        let slow = gpm::go(move || {
            *c.get_or_init(|| {
                gpm::sleep(Duration::from_secs(3600));
                1u32
            })
        });
        gpm::sleep(Duration::from_millis(10));
        let c = cell.clone();
        let waiter = gpm::go(move || *c.get_or_init(|| 2));
        gpm::sleep(Duration::from_millis(10));
        slow.abort();
        assert!(slow.join().unwrap_err().is::<gpm::Cancelled>());
        assert_eq!(waiter.join().unwrap(), 2);
    });
}

#[test]
fn oneshot_delivers_once_and_reports_a_dropped_side() {
    on_runtime(|| {
        let (tx, rx) = oneshot::channel();
        let h = gpm::go(move || rx.recv());
        gpm::sleep(Duration::from_millis(5));
        tx.send(String::from("v")).unwrap();
        assert_eq!(h.join().unwrap().unwrap(), "v");
        let (tx, rx) = oneshot::channel::<u8>();
        let h = gpm::go(move || rx.recv());
        drop(tx);
        assert!(h.join().unwrap().is_err());
        let (tx, rx) = oneshot::channel::<u8>();
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    });
}

#[test]
fn owned_and_many_permits() {
    on_runtime(|| {
        let sem = Arc::new(Semaphore::new(4));
        // Multi-acquirers that each need 3 of 4 permits take turns instead of deadlocking.
        let peak = Arc::new(AtomicUsize::new(0));
        let now = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (sem, peak, now) = (sem.clone(), peak.clone(), now.clone());
                gpm::go(move || {
                    let p = sem.clone().acquire_many_owned(3);
                    assert_eq!(p.num_permits(), 3);
                    peak.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
                    gpm::yield_now();
                    now.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(peak.load(SeqCst), 1);
        assert_eq!(sem.available_permits(), 4);
        // An owned permit moves into a goroutine and is released there.
        let p = sem.clone().acquire_owned();
        assert_eq!(sem.available_permits(), 3);
        gpm::go(move || drop(p)).join().unwrap();
        assert_eq!(sem.available_permits(), 4);
        // A multi-acquirer cancelled half-way gives back what it took.
        let held = sem.acquire_many(2);
        let s = sem.clone();
        let h = gpm::go(move || drop(s.acquire_many(4)));
        gpm::sleep(Duration::from_millis(10));
        h.abort();
        assert!(h.join().is_err());
        drop(held);
        assert_eq!(sem.available_permits(), 4);
        assert!(sem.try_acquire_many(4).is_some());
        // A failed try gives nothing back that it did not take.
        let all = sem.acquire_many(4);
        assert!(sem.try_acquire().is_none() && sem.try_acquire_many(1).is_none());
        assert!(sem.clone().try_acquire_owned().is_none());
        drop(all);
        assert_eq!(sem.available_permits(), 4);
    });
}
