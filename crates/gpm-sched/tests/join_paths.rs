//! Every way a goroutine's task can be freed (`joinstate.rs`): joined before and after the
//! goroutine finished, by a goroutine of the same runtime, of another runtime and by a
//! plain thread; detached before and after; cancelled unrun and parked; a joiner unwound
//! while it waits. Each result and each closure is counted: dropped exactly once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use gpm_sched::{Cancelled, Runtime, park};

/// Counts its drops.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn rt(procs: usize) -> Runtime {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    unsafe { Runtime::builder().procs(procs).build() }.unwrap()
}

fn wait_until(f: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("condition not reached in 10 s");
}

/// A goroutine on `rt` returning a `Counted`: after a 5 ms sleep if `slow` (the joiner
/// registers first), else already finished when this returns (the joiner finds it done).
fn counted_on(
    rt: &Runtime,
    drops: &Arc<AtomicUsize>,
    slow: bool,
) -> gpm_sched::JoinHandle<Counted> {
    let d = drops.clone();
    let h = rt.go(move || {
        if slow {
            gpm_sched::sleep(Duration::from_millis(5));
        }
        Counted(d)
    });
    if !slow {
        wait_until(|| h.is_finished());
    }
    h
}

#[test]
fn join_after_and_before_finish_from_every_kind_of_joiner() {
    let _w = common::watchdog(60, "join_after_and_before_finish_from_every_kind_of_joiner");
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, b) = (rt(2), rt(1));
    let mut expected = 0;
    for slow in [false, true] {
        // A plain thread joins.
        drop(counted_on(&a, &drops, slow).join().unwrap());
        // A goroutine of the same runtime joins.
        let d = drops.clone();
        a.block_on(move || {
            let h = gpm_sched::go(move || {
                if slow {
                    gpm_sched::sleep(Duration::from_millis(5));
                }
                Counted(d)
            });
            if !slow {
                while !h.is_finished() {
                    gpm_sched::yield_now();
                }
            }
            drop(h.join().unwrap());
        });
        // A goroutine of another runtime joins.
        let h = counted_on(&a, &drops, slow);
        b.block_on(move || drop(h.join().unwrap()));
        expected += 3;
        assert_eq!(drops.load(SeqCst), expected);
    }
}

#[test]
fn detach_before_and_after_finish() {
    let _w = common::watchdog(60, "detach_before_and_after_finish");
    let drops = Arc::new(AtomicUsize::new(0));
    let a = rt(2);
    // After: the goroutine finished, the handle frees.
    let d = drops.clone();
    let h = a.go(move || Counted(d));
    wait_until(|| h.is_finished());
    assert_eq!(drops.load(SeqCst), 0, "the result lives until its handle goes");
    drop(h);
    assert_eq!(drops.load(SeqCst), 1);
    // Before: the goroutine frees when it finishes.
    let (u_cell, d) = (Arc::new(std::sync::OnceLock::new()), drops.clone());
    let u2 = u_cell.clone();
    let h = a.go(move || {
        let _ = u2.set(park::unparker());
        park::park(park::WaitReason::Park);
        Counted(d)
    });
    wait_until(|| u_cell.get().is_some());
    drop(h);
    u_cell.get().unwrap().unpark();
    wait_until(|| drops.load(SeqCst) == 2);
}

#[test]
fn join_racing_finish_many_times() {
    let _w = common::watchdog(120, "join_racing_finish_many_times");
    let drops = Arc::new(AtomicUsize::new(0));
    let a = rt(2);
    const N: usize = 20_000;
    // From a thread: the goroutine runs on another M while the thread registers.
    for _ in 0..N / 4 {
        let d = drops.clone();
        drop(a.go(move || Counted(d)).join().unwrap());
    }
    // From goroutines on 2 Ps: spawns are stolen and finish while their spawner joins.
    let d = drops.clone();
    a.block_on(move || {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let d = d.clone();
                gpm_sched::go(move || {
                    for i in 0..N / 4 {
                        let d = d.clone();
                        let h = gpm_sched::go(move || Counted(d));
                        if i % 2 == 0 {
                            drop(h.join().unwrap());
                        } else {
                            drop(h); // detached, racing the finish
                        }
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
    wait_until(|| drops.load(SeqCst) == N / 4 + N);
}

#[test]
fn runtime_drop_frees_unrun_parked_and_waiting_tasks() {
    let _w = common::watchdog(60, "runtime_drop_frees_unrun_parked_and_waiting_tasks");
    let closures = Arc::new(AtomicUsize::new(0));
    let a = rt(1);
    let c = closures.clone();
    // A goroutine parked forever whose handle a thread keeps; one whose handle is dropped;
    // and a goroutine waiting in `join` on a third, parked forever: all three cancelled.
    let (parked, detached, joiner) = a.block_on(move || {
        let forever = |c: Arc<AtomicUsize>| {
            let guard = Counted(c);
            move || -> Counted {
                let _g = guard;
                loop {
                    park::park(park::WaitReason::Park);
                }
            }
        };
        let parked = gpm_sched::go(forever(c.clone()));
        let detached = gpm_sched::go(forever(c.clone()));
        let inner = gpm_sched::go(forever(c.clone()));
        let joiner = gpm_sched::go(move || inner.join().is_err());
        for _ in 0..10 {
            gpm_sched::yield_now();
        }
        (parked, Some(detached), joiner)
    });
    drop(detached);
    // Spawned from a thread just before the drop: it may or may not run first; either way
    // its closure is dropped once.
    let c2 = closures.clone();
    let unrun = a.go({
        let g = Counted(c2);
        move || {
            drop(g);
            7
        }
    });
    drop(a);
    let e = parked.join().unwrap_err();
    assert!(e.downcast_ref::<Cancelled>().is_some(), "parked goroutine: Cancelled");
    // The joiner was cancelled while waiting: its own join reports Cancelled too.
    assert!(joiner.join().unwrap_err().downcast_ref::<Cancelled>().is_some());
    match unrun.join() {
        Ok(v) => assert_eq!(v, 7),
        Err(e) => assert!(e.downcast_ref::<Cancelled>().is_some()),
    }
    assert_eq!(closures.load(SeqCst), 4, "every closure dropped once");
}

/// A closure too big for a task block (over 512 bytes) and one too aligned for it take the
/// boxed path: joined, detached and cancelled unrun, each closure and result dropped once.
#[test]
fn boxed_tasks_are_freed_on_every_path() {
    let _w = common::watchdog(30, "boxed_tasks_are_freed_on_every_path");
    #[repr(align(64))]
    struct Aligned(u8);
    let closures = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(AtomicUsize::new(0));
    let rt = rt(2);
    for i in 0..200u64 {
        let big = ([i as u8; 1024], Counted(closures.clone()));
        let aligned = (Aligned(i as u8), Counted(closures.clone()));
        let r = results.clone();
        let h1 = rt.go(move || {
            let (bytes, _c) = big;
            (bytes.iter().map(|&b| u64::from(b)).sum::<u64>(), Counted(r))
        });
        let r = results.clone();
        let h2 = rt.go(move || {
            let (a, _c) = aligned;
            (u64::from(a.0), Counted(r))
        });
        if i % 2 == 0 {
            assert_eq!(h1.join().unwrap().0, 1024 * (i % 256));
            assert_eq!(h2.join().unwrap().0, i % 256);
        } else {
            drop(h1);
            drop(h2);
        }
    }
    // Cancelled: parked holding their closures' captures when the runtime is dropped.
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt1 = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let parked = (0..10)
        .map(|_| {
            let big = ([0u8; 1024], Counted(closures.clone()));
            rt1.go(move || {
                let _big = big;
                loop {
                    park::park(park::WaitReason::Park);
                }
            })
        })
        .collect::<Vec<_>>();
    drop(rt1);
    for h in parked {
        let e = h.join().map(|_: ()| ()).unwrap_err();
        assert!(e.downcast_ref::<Cancelled>().is_some(), "a parked goroutine was not cancelled");
    }
    drop(rt);
    assert_eq!(closures.load(SeqCst), 400 + 10, "a closure was dropped twice or not at all");
    assert_eq!(results.load(SeqCst), 400, "a result was dropped twice or not at all");
}
