//! `JoinHandle::abort`: a goroutine parked in a channel receive, a `select!`, `sleep`, a
//! `Mutex` lock, a `Condvar`, a `WaitGroup`, a `Semaphore` or a `join` unwinds, its
//! destructors run (counted), the primitive it waited on is left as if it had never waited
//! (checked by using it afterwards), and the goroutine count returns to its baseline. Each
//! test runs on a 2-P runtime and on a single-thread one.

mod chan_support;

use chan_support::deadline;
use gpm::sync::{Condvar, Mutex, Semaphore, WaitGroup};
use gpm::{Cancelled, JoinHandle};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// Counts its drops.
struct Drops(Arc<AtomicUsize>);

impl Drop for Drops {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Runs `f` as the body of a 2-P runtime and then of a single-thread runtime (`f`'s
/// argument says which), each under a deadline, and checks the goroutine count is back to
/// where it was when `f` returns.
fn on_both(f: fn(bool)) {
    deadline(60, move || {
        // SAFETY: the test goroutines hold no thread-local and no std lock guard across a
        // park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        rt.block_on(move || with_baseline(|| f(false)));
        drop(rt);
        let rt = gpm::Runtime::single_thread().expect("runtime");
        rt.block_on(move || with_baseline(|| f(true)));
    });
}

fn with_baseline(f: impl FnOnce()) {
    let before = gpm::num_goroutines();
    f();
    // Finished goroutines leave the count as they switch away for the last time.
    for _ in 0..1000 {
        if gpm::num_goroutines() == before {
            return;
        }
        gpm::sleep(Duration::from_millis(1));
    }
    assert_eq!(gpm::num_goroutines(), before, "goroutines leaked");
}

/// Lets the other goroutines run until they have parked.
fn settle() {
    gpm::sleep(Duration::from_millis(20));
}

/// Joins `h` and checks it was cancelled through its handle.
fn assert_aborted<T: std::fmt::Debug>(h: JoinHandle<T>) {
    let err = h.join().expect_err("the goroutine ran to its end");
    let why = err.downcast_ref::<Cancelled>().expect("not a Cancelled payload");
    assert!(why.is_aborted(), "{why}");
}

#[test]
fn abort_while_parked_in_a_channel_receive() {
    on_both(|_| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = gpm::chan::bounded::<u32>(0);
        let d = Drops(drops.clone());
        let h = gpm::go(move || {
            let _d = d;
            rx.recv()
        });
        settle();
        h.abort();
        assert_aborted(h);
        assert_eq!(drops.load(SeqCst), 1);
        // Its receive was unlinked: nobody takes a value now, and the receiver is gone.
        assert!(tx.try_send(1).is_err());
        assert!(tx.send(2).is_err(), "the receiver was not dropped");
    });
}

#[test]
fn abort_while_parked_in_select() {
    on_both(|_| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx1, rx1) = gpm::chan::bounded::<u32>(0);
        let (tx2, rx2) = gpm::chan::bounded::<u32>(0);
        let d = Drops(drops.clone());
        let rx1b = rx1.clone();
        let h = gpm::go(move || {
            let _d = d;
            gpm::select! {
                recv(rx1b) -> v => v.ok(),
                recv(rx2) -> v => v.ok(),
            }
        });
        settle();
        h.abort();
        assert_aborted(h);
        assert_eq!(drops.load(SeqCst), 1);
        assert!(tx1.try_send(1).unwrap_err().is_full(), "a stale select arm took the value");
        assert!(tx2.try_send(1).unwrap_err().is_disconnected());
        // The channel still works for a new receiver.
        let r = gpm::go(move || rx1.recv().unwrap());
        tx1.send(7).unwrap();
        assert_eq!(r.join().unwrap(), 7);
    });
}

#[test]
fn abort_while_sleeping() {
    on_both(|_| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = Drops(drops.clone());
        let h = gpm::go(move || {
            let _d = d;
            gpm::sleep(Duration::from_secs(3600));
        });
        settle();
        h.abort();
        assert_aborted(h);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

#[test]
fn abort_while_waiting_for_a_mutex() {
    on_both(|_| {
        let drops = Arc::new(AtomicUsize::new(0));
        let m = Arc::new(Mutex::new(0u32));
        let held = m.lock();
        let waiters: Vec<_> = (0..6)
            .map(|_| {
                let (m, d) = (m.clone(), Drops(drops.clone()));
                gpm::go(move || {
                    let _d = d;
                    *m.lock() += 1;
                })
            })
            .collect();
        settle();
        // Cancel every other waiter while the lock is held (the canceller joins them while
        // still holding it: a cancelled waiter must not need the lock to leave).
        let (cancelled, kept): (Vec<_>, Vec<_>) =
            waiters.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        for (_, h) in cancelled {
            h.abort();
            assert_aborted(h);
        }
        assert_eq!(drops.load(SeqCst), 3);
        drop(held);
        for (_, h) in kept {
            h.join().unwrap();
        }
        assert_eq!(drops.load(SeqCst), 6);
        assert_eq!(*m.lock(), 3);
        // The lock is consistent: uncontended and contended use both still work.
        assert!(m.try_lock().is_some());
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let m = m.clone();
                gpm::go(move || {
                    for _ in 0..100 {
                        *m.lock() += 1;
                        gpm::yield_now();
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock(), 803);
    });
}

#[test]
fn mutex_survives_waiters_cancelled_at_random() {
    on_both(|_| {
        let m = Arc::new(Mutex::new(0u64));
        let done = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for i in 0..64 {
            let (m, done) = (m.clone(), done.clone());
            hs.push(gpm::go(move || {
                for _ in 0..50 {
                    let mut g = m.lock();
                    *g += 1;
                    if i % 3 == 0 {
                        gpm::yield_now(); // hold it across a switch: others queue
                    }
                }
                done.fetch_add(1, SeqCst);
            }));
        }
        for (i, h) in hs.iter().enumerate() {
            if i % 4 == 1 {
                h.abort();
            }
            if i % 8 == 0 {
                gpm::yield_now();
            }
        }
        let cancelled = hs.into_iter().map(|h| h.join()).filter(|r| r.is_err()).count();
        assert_eq!(done.load(SeqCst) + cancelled, 64);
        // Still a working lock, with no stray wake-up lost: everyone gets it.
        let hs: Vec<_> = (0..16)
            .map(|_| {
                let m = m.clone();
                gpm::go(move || (0..20).for_each(|_| *m.lock() += 1))
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert!(m.try_lock().is_some());
    });
}

#[test]
fn abort_while_waiting_on_a_condvar_passes_the_notification_on() {
    on_both(|_| {
        let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
        let waiter = |pair: Arc<(Mutex<u32>, Condvar)>| {
            gpm::go(move || {
                let (m, cv) = &*pair;
                let mut g = m.lock();
                while *g == 0 {
                    g = cv.wait(g);
                }
                *g
            })
        };
        let a = waiter(pair.clone());
        settle();
        let b = waiter(pair.clone());
        settle();
        {
            // `a` is first in line: notify it, then cancel it before it can run.
            let mut g = pair.0.lock();
            *g = 5;
            pair.1.notify_one();
            a.abort();
        }
        // Whether `a` had run already or not, `b` must be woken (by `a`, or by the
        // notification `a` passed on).
        if let Ok(v) = a.join() {
            assert_eq!(v, 5);
            pair.1.notify_one();
        }
        assert_eq!(b.join().unwrap(), 5);
    });
}

#[test]
fn abort_while_waiting_on_a_waitgroup_and_a_semaphore() {
    on_both(|_| {
        let wg = WaitGroup::new();
        wg.add(1);
        let w = wg.clone();
        let h = gpm::go(move || w.wait());
        let sem = Arc::new(Semaphore::new(1));
        let p = sem.acquire();
        let s = sem.clone();
        let h2 = gpm::go(move || drop(s.acquire()));
        let s = sem.clone();
        let h3 = gpm::go(move || drop(s.acquire_many(1)));
        settle();
        h.abort();
        h2.abort();
        h3.abort();
        assert_aborted(h);
        assert_aborted(h2);
        assert_aborted(h3);
        // The group and the semaphore still count right.
        let w = wg.clone();
        let h = gpm::go(move || w.wait());
        settle();
        wg.done();
        h.join().unwrap();
        wg.wait();
        // No wake-up of this round is left over for the next one.
        wg.add(1);
        let w = wg.clone();
        let h = gpm::go(move || w.wait());
        settle();
        assert!(!h.is_finished(), "a waiter of the next round passed early");
        wg.done();
        h.join().unwrap();
        drop(p);
        assert_eq!(sem.available_permits(), 1);
        drop(sem.acquire());
    });
}

#[test]
fn abort_while_joining_and_before_the_first_run() {
    on_both(|single| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = gpm::chan::bounded::<()>(0);
        let waited_for = gpm::go(move || rx.recv());
        let joiner = gpm::go(move || waited_for.join());
        settle();
        joiner.abort();
        assert_aborted(joiner);
        // The goroutine it joined was detached by the unwind, and still runs.
        drop(tx);
        // Not run yet: its closure is dropped unrun (always so on the single-thread
        // runtime, where the spawner keeps running; a 2-P one may have started it: then
        // it unwinds at its first park).
        let ran = Arc::new(AtomicBool::new(false));
        let (d, r) = (Drops(drops.clone()), ran.clone());
        let h = gpm::go(move || {
            let _d = d;
            r.store(true, SeqCst);
            gpm::sleep(Duration::from_secs(3600));
        });
        h.abort();
        assert_aborted(h);
        assert_eq!(drops.load(SeqCst), 1);
        if single {
            assert!(!ran.load(SeqCst), "the cancelled goroutine ran");
        }
    });
}

#[test]
fn abort_after_the_end_changes_nothing() {
    on_both(|_| {
        let h = gpm::go(|| 42);
        while !h.is_finished() {
            gpm::yield_now();
        }
        h.abort();
        h.abort();
        assert_eq!(h.join().unwrap(), 42);
    });
}

#[test]
fn a_yielding_hog_is_cancelled_at_its_yield() {
    on_both(|_| {
        let spins = Arc::new(AtomicUsize::new(0));
        let s = spins.clone();
        let h = gpm::go(move || {
            loop {
                s.fetch_add(1, SeqCst);
                gpm::yield_now();
            }
        });
        while spins.load(SeqCst) < 10 {
            gpm::yield_now();
        }
        h.abort();
        assert_aborted(h);
    });
}

#[test]
fn a_caught_cancellation_is_delivered_once() {
    on_both(|_| {
        let h = gpm::go(|| {
            let r = std::panic::catch_unwind(|| gpm::sleep(Duration::from_secs(3600)));
            let cancelled = r.is_err_and(|p| p.is::<Cancelled>());
            gpm::sleep(Duration::from_millis(1)); // no second unwind
            cancelled
        });
        settle();
        h.abort();
        assert!(h.join().unwrap());
    });
}

#[test]
fn a_shield_holds_the_cancellation_until_it_drops() {
    on_both(|_| {
        let (tx, rx) = gpm::chan::bounded(1);
        let h = gpm::go(move || {
            let shield = gpm::CancelShield::new();
            gpm::sleep(Duration::from_millis(30));
            tx.send("slept").unwrap();
            drop(shield);
            gpm::sleep(Duration::from_secs(3600));
        });
        settle();
        h.abort();
        assert_aborted(h);
        assert_eq!(rx.try_recv(), Ok("slept"));
    });
}

/// Goroutines that end on their own race their handles' `abort` from goroutines and from a
/// plain thread: each ends exactly once, as `Ok` or as cancelled, and every destructor runs.
#[test]
fn aborts_racing_the_end() {
    deadline(120, || {
        // SAFETY: as in `on_both`.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        let drops = Arc::new(AtomicUsize::new(0));
        const N: usize = 4000;
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let d = Drops(drops.clone());
                rt.go(move || {
                    let _d = d;
                    for _ in 0..i % 3 {
                        gpm::yield_now();
                    }
                    i
                })
            })
            .collect();
        let handles = Arc::new(handles);
        let hs = handles.clone();
        let thread = std::thread::spawn(move || hs.iter().step_by(2).for_each(JoinHandle::abort));
        let hs = handles.clone();
        let g = rt.go(move || hs.iter().skip(1).step_by(2).for_each(JoinHandle::abort));
        thread.join().unwrap();
        g.join().unwrap();
        let handles = Arc::try_unwrap(handles).expect("handles still shared");
        let mut ok = 0;
        for (i, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok(v) => {
                    assert_eq!(v, i);
                    ok += 1;
                }
                Err(p) => assert!(p.downcast_ref::<Cancelled>().unwrap().is_aborted()),
            }
        }
        assert_eq!(drops.load(SeqCst), N);
        assert!(ok <= N);
        let st = rt.stats();
        assert_eq!(st.goroutines, 0, "{st:?}");
    });
}

#[test]
fn abort_after_the_runtime_is_dropped_is_a_no_op() {
    let rt = gpm::Runtime::single_thread().expect("runtime");
    let h = rt.go(|| gpm::sleep(Duration::from_secs(3600)));
    std::thread::sleep(Duration::from_millis(20));
    drop(rt);
    h.abort();
    let err = h.join().unwrap_err();
    assert!(!err.downcast_ref::<Cancelled>().unwrap().is_aborted());
}

/// A receiver paired with a dynamic `Select`'s send (it waits on the send's promise) and
/// cancelled before the message comes: the send gets its message back, nothing is lost.
#[test]
fn abort_a_receiver_paired_with_a_select_send() {
    on_both(|_| {
        let (tx, rx) = gpm::chan::bounded::<u32>(0);
        let h = gpm::go(move || rx.recv());
        let mut sel = gpm::chan::Select::new();
        sel.send(&tx);
        let op = sel.select(); // pairs with the parked receiver
        h.abort();
        assert_aborted(h);
        assert_eq!(op.send(&tx, 7), Err(gpm::chan::SendError(7)));
    });
}
