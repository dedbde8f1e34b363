//! `gpm::sync` on plain threads, in the spirit of Go's `sync` tests: the WaitGroup barrier
//! and misuse panic, TestMutexFairness (starvation mode), TestCondSignalStealing, RwLock
//! writer preference, and a Semaphore bound.

mod chan_support;

use chan_support::{deadline, sleep_ms, spawn};
use gpm::chan::bounded;
use gpm::sync::{Condvar, Mutex, RwLock, Semaphore, WaitGroup};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Go's testWaitGroup: nobody passes `wg2.wait()` before all 16 `done`s, and everybody
/// does after; run 8 times on the same groups to check they reset.
#[test]
fn waitgroup_barrier() {
    deadline(30, || {
        let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
        for _ in 0..8 {
            const N: usize = 16;
            wg1.add(N as isize);
            wg2.add(N as isize);
            let (exited_tx, exited) = bounded::<()>(N);
            let ts: Vec<_> = (0..N)
                .map(|_| {
                    let (wg1, wg2, exited_tx) = (wg1.clone(), wg2.clone(), exited_tx.clone());
                    spawn(move || {
                        wg1.done();
                        wg2.wait();
                        exited_tx.send(()).unwrap();
                    })
                })
                .collect();
            wg1.wait();
            for _ in 0..N {
                assert!(exited.try_recv().is_err(), "WaitGroup released group too soon");
                wg2.done();
            }
            for _ in 0..N {
                exited.recv().unwrap();
            }
            ts.into_iter().for_each(|t| t.join().unwrap());
        }
    });
}

/// Go's TestWaitGroupMisuse.
#[test]
#[should_panic(expected = "sync: negative WaitGroup counter")]
fn waitgroup_negative_panics() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    wg.done();
}

/// `wait` on a zero counter returns at once.
#[test]
fn waitgroup_zero() {
    deadline(10, || {
        let wg = WaitGroup::new();
        wg.wait();
        wg.add(2);
        wg.add(-2);
        wg.wait();
        assert_eq!(wg.count(), 0);
    });
}

/// Mutual exclusion under contention (Go's HammerMutex).
#[test]
fn mutex_hammer() {
    deadline(60, || {
        let m = Arc::new(Mutex::new(0u64));
        let inside = Arc::new(AtomicBool::new(false));
        let ts: Vec<_> = (0..8)
            .map(|_| {
                let (m, inside) = (m.clone(), inside.clone());
                spawn(move || {
                    for i in 0..20_000 {
                        let mut g = if i % 3 == 0 {
                            loop {
                                if let Some(g) = m.try_lock() {
                                    break g;
                                }
                                std::thread::yield_now();
                            }
                        } else {
                            m.lock()
                        };
                        assert!(!inside.swap(true, Ordering::SeqCst), "two holders");
                        *g += 1;
                        inside.store(false, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        ts.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(*m.lock(), 8 * 20_000);
    });
}

/// A failed `try_lock` leaves the mutex locked by its holder.
#[test]
fn mutex_try_lock() {
    let m = Mutex::new(1);
    let g = m.lock();
    assert!(m.try_lock().is_none());
    assert!(m.try_lock().is_none(), "a failed try_lock must not unlock");
    drop(g);
    let mut g = m.try_lock().expect("unlocked");
    *g += 1;
    drop(g);
    assert_eq!(m.into_inner(), 2);
}

/// Go's TestMutexFairness: a thread that holds the mutex almost all the time (releasing it
/// for an instant) cannot starve another that wants it ten times (starvation mode hands
/// the lock over).
#[test]
fn mutex_fairness() {
    deadline(30, || {
        let mu = Arc::new(Mutex::new(()));
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (mu, stop) = (mu.clone(), stop.clone());
            spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let g = mu.lock();
                    std::thread::sleep(Duration::from_micros(100));
                    drop(g);
                }
            })
        };
        let (done_tx, done) = bounded::<()>(1);
        let t = {
            let mu = mu.clone();
            spawn(move || {
                for _ in 0..10 {
                    std::thread::sleep(Duration::from_micros(100));
                    drop(mu.lock());
                }
                done_tx.send(()).unwrap();
            })
        };
        let r = done.recv_timeout(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        assert!(r.is_ok(), "can't acquire Mutex in 10 seconds");
        t.join().unwrap();
        hog.join().unwrap();
    });
}

/// Go's TestCondSignalStealing: a waiter that arrives after a broadcast must not steal it
/// from the waiter that was already waiting.
#[test]
fn cond_signal_stealing() {
    deadline(60, || {
        for _ in 0..300 {
            let m = Arc::new(Mutex::new(false));
            let cond = Arc::new(Condvar::new());
            let (ch_tx, ch) = bounded::<()>(0);
            let first = {
                let (m, cond, ch_tx) = (m.clone(), cond.clone(), ch_tx.clone());
                spawn(move || {
                    let g = m.lock();
                    ch_tx.send(()).unwrap();
                    let g = cond.wait(g);
                    drop(g);
                    ch_tx.send(()).unwrap();
                })
            };
            ch.recv().unwrap();
            drop(m.lock()); // the first waiter is inside `wait` now
            let b = {
                let cond = cond.clone();
                spawn(move || cond.notify_all())
            };
            let second = {
                let (m, cond) = (m.clone(), cond.clone());
                spawn(move || {
                    let mut g = m.lock();
                    while !*g {
                        g = cond.wait(g);
                    }
                })
            };
            assert!(
                ch.recv_timeout(Duration::from_secs(10)).is_ok(),
                "first waiter didn't get broadcast"
            );
            *m.lock() = true;
            cond.notify_all();
            first.join().unwrap();
            b.join().unwrap();
            second.join().unwrap();
        }
    });
}

/// notify_one wakes exactly one; wait_timeout times out; wait_while.
#[test]
fn condvar_basics() {
    deadline(30, || {
        let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
        let (m, cv) = &*pair;
        let (g, r) = cv.wait_timeout(m.lock(), Duration::from_millis(10));
        assert!(r.timed_out());
        drop(g);
        let woken = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..3)
            .map(|_| {
                let (pair, woken) = (pair.clone(), woken.clone());
                spawn(move || {
                    let (m, cv) = &*pair;
                    let g = cv.wait_while(m.lock(), |n| *n == 0);
                    woken.fetch_add(1, Ordering::SeqCst);
                    drop(g);
                })
            })
            .collect();
        sleep_ms(10);
        *m.lock() = 1;
        cv.notify_all();
        ts.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(woken.load(Ordering::SeqCst), 3);
        // Timed-out waiters never swallow a notify_one meant for a live waiter.
        let pair2 = pair.clone();
        let live = spawn(move || {
            let (m, cv) = &*pair2;
            let (g, r) = cv.wait_timeout(m.lock(), Duration::from_secs(10));
            drop(g);
            !r.timed_out()
        });
        for _ in 0..5 {
            drop(cv.wait_timeout(m.lock(), Duration::from_millis(1)));
        }
        sleep_ms(10);
        cv.notify_one();
        assert!(live.join().unwrap(), "notify_one lost");
    });
}

/// RwLock: readers share; a waiting writer blocks new readers (Go's writer preference), so
/// a continuous stream of readers cannot starve it.
#[test]
fn rwlock_writer_not_starved() {
    deadline(30, || {
        let lock = Arc::new(RwLock::new(0u64));
        let r1 = lock.read();
        let r2 = lock.try_read().expect("readers share");
        assert!(lock.try_write().is_none());
        drop((r1, r2));
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (lock, stop) = (lock.clone(), stop.clone());
                spawn(move || {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // Overlapping read sections: there is always a reader inside.
                        let g = lock.read();
                        std::thread::sleep(Duration::from_micros(200));
                        n += *g;
                        drop(g);
                    }
                    n
                })
            })
            .collect();
        sleep_ms(5);
        let start = Instant::now();
        for _ in 0..10 {
            *lock.write() += 1;
        }
        let took = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        readers.into_iter().for_each(|t| {
            t.join().unwrap();
        });
        assert_eq!(*lock.read(), 10);
        assert!(took < Duration::from_secs(5), "writer starved for {took:?}");
    });
}

/// RwLock hammer: readers never see a half-done write.
#[test]
fn rwlock_hammer() {
    deadline(60, || {
        let lock = Arc::new(RwLock::new((0u64, 0u64)));
        let ts: Vec<_> = (0..6)
            .map(|k| {
                let lock = lock.clone();
                spawn(move || {
                    for _ in 0..20_000 {
                        if k % 3 == 0 {
                            let mut g = lock.write();
                            g.0 += 1;
                            g.1 += 1;
                        } else {
                            let g = lock.read();
                            assert_eq!(g.0, g.1);
                        }
                    }
                })
            })
            .collect();
        ts.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(*lock.read(), (40_000, 40_000));
    });
}

/// Semaphore: never more than `n` holders at once; try_acquire fails when exhausted.
#[test]
fn semaphore_bound() {
    deadline(30, || {
        const N: usize = 3;
        let sem = Arc::new(Semaphore::new(N));
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let ts: Vec<_> = (0..8)
            .map(|_| {
                let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
                spawn(move || {
                    for _ in 0..2000 {
                        let _p = sem.acquire();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(now, Ordering::SeqCst);
                        std::hint::spin_loop();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        ts.into_iter().for_each(|t| t.join().unwrap());
        assert!(max.load(Ordering::SeqCst) <= N);
        assert_eq!(sem.available_permits(), N);
        let ps: Vec<_> = (0..N).map(|_| sem.try_acquire().unwrap()).collect();
        assert!(sem.try_acquire().is_none());
        drop(ps);
        assert_eq!(sem.available_permits(), N);
    });
}
