//! `gpm::sync` in the spirit of Go's `sync` tests: the WaitGroup barrier and misuse panic,
//! TestMutexFairness (starvation mode), TestCondSignalStealing, RwLock writer preference,
//! and a Semaphore bound. Each blocking test runs three times (`on_both!`): with plain
//! threads as the waiters (they block), with goroutines on a 2-P runtime (they park), and
//! with goroutines on a single-thread runtime (they park, and take turns on one thread).

mod chan_support;

use chan_support::deadline;
use gpm::chan::bounded;
use gpm::sync::{Condvar, Mutex, RwLock, Semaphore, WaitGroup};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Who the waiters of a test are.
#[derive(Debug, Clone, Copy)]
enum On {
    /// Plain threads; the test body on a plain thread.
    Threads,
    /// Goroutines of a 2-P runtime; the test body a goroutine of it (`block_on`).
    Goroutines,
    /// Goroutines of a single-thread runtime; the test body a goroutine of it.
    SingleThread,
}

/// A thread's or a goroutine's join handle.
enum Handle<T> {
    Thread(std::thread::JoinHandle<T>),
    Go(gpm::JoinHandle<T>),
}

impl<T> Handle<T> {
    /// Waits for the waiter; its panic is resumed here.
    fn join(self) -> T {
        match self {
            Handle::Thread(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Handle::Go(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
        }
    }
}

/// Starts `f` as a plain thread or as a goroutine of the calling goroutine's runtime.
fn spawn<T: Send + 'static>(on: On, f: impl FnOnce() -> T + Send + 'static) -> Handle<T> {
    match on {
        On::Threads => Handle::Thread(std::thread::spawn(f)),
        On::Goroutines | On::SingleThread => Handle::Go(gpm::go(f)),
    }
}

/// Runs the test body `f` under a deadline of `secs`, on a plain thread or in a runtime.
fn run(on: On, secs: u64, f: fn(On)) {
    deadline(secs, move || match on {
        On::Threads => f(on),
        On::Goroutines => {
            // SAFETY: the test bodies' goroutines hold no thread-local and no std lock
            // guard across a park.
            let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
            rt.block_on(move || f(on));
        }
        On::SingleThread => {
            let rt = gpm::Runtime::single_thread().expect("runtime");
            rt.block_on(move || f(on));
        }
    });
}

/// `on_both!(name, secs; ...)`: the tests `name::threads`, `name::goroutines` and
/// `name::single_thread`, each
/// running `fn name(On)` under a deadline of `secs` seconds.
macro_rules! on_both {
    ($($name:ident, $secs:expr;)*) => {$(
        mod $name {
            #[test]
            fn threads() {
                super::run(super::On::Threads, $secs, super::$name)
            }
            #[test]
            fn goroutines() {
                super::run(super::On::Goroutines, $secs, super::$name)
            }
            #[test]
            fn single_thread() {
                super::run(super::On::SingleThread, $secs, super::$name)
            }
        }
    )*};
}

on_both! {
    waitgroup_barrier, 30;
    mutex_hammer, 60;
    mutex_fairness, 30;
    cond_signal_stealing, 60;
    condvar_basics, 30;
    rwlock_writer_not_starved, 30;
    rwlock_hammer, 60;
    semaphore_bound, 30;
}

/// Go's testWaitGroup: nobody passes `wg2.wait()` before all 16 `done`s, and everybody
/// does after; run 8 times on the same groups to check they reset.
fn waitgroup_barrier(on: On) {
    let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
    for _ in 0..8 {
        const N: usize = 16;
        wg1.add(N as isize);
        wg2.add(N as isize);
        let (exited_tx, exited) = bounded::<()>(N);
        let ts: Vec<_> = (0..N)
            .map(|_| {
                let (wg1, wg2, exited_tx) = (wg1.clone(), wg2.clone(), exited_tx.clone());
                spawn(on, move || {
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
        ts.into_iter().for_each(|t| t.join());
    }
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
fn mutex_hammer(on: On) {
    let m = Arc::new(Mutex::new(0u64));
    let inside = Arc::new(AtomicBool::new(false));
    let ts: Vec<_> = (0..8)
        .map(|_| {
            let (m, inside) = (m.clone(), inside.clone());
            spawn(on, move || {
                for i in 0..20_000 {
                    let mut g = if i % 3 == 0 {
                        loop {
                            if let Some(g) = m.try_lock() {
                                break g;
                            }
                            gpm::yield_now();
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
    ts.into_iter().for_each(|t| t.join());
    assert_eq!(*m.lock(), 8 * 20_000);
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
fn mutex_fairness(on: On) {
    let mu = Arc::new(Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let hog = {
        let (mu, stop) = (mu.clone(), stop.clone());
        spawn(on, move || {
            while !stop.load(Ordering::Relaxed) {
                let g = mu.lock();
                gpm::sleep(Duration::from_micros(100));
                drop(g);
            }
        })
    };
    let (done_tx, done) = bounded::<()>(1);
    let t = {
        let mu = mu.clone();
        spawn(on, move || {
            for _ in 0..10 {
                gpm::sleep(Duration::from_micros(100));
                drop(mu.lock());
            }
            done_tx.send(()).unwrap();
        })
    };
    let r = done.recv_timeout(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    assert!(r.is_ok(), "can't acquire Mutex in 10 seconds");
    t.join();
    hog.join();
}

/// Go's TestCondSignalStealing: a waiter that arrives after a broadcast must not steal it
/// from the waiter that was already waiting.
fn cond_signal_stealing(on: On) {
    for _ in 0..300 {
        let m = Arc::new(Mutex::new(false));
        let cond = Arc::new(Condvar::new());
        let (ch_tx, ch) = bounded::<()>(0);
        let first = {
            let (m, cond, ch_tx) = (m.clone(), cond.clone(), ch_tx.clone());
            spawn(on, move || {
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
            spawn(on, move || cond.notify_all())
        };
        let second = {
            let (m, cond) = (m.clone(), cond.clone());
            spawn(on, move || {
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
        first.join();
        b.join();
        second.join();
    }
}

/// notify_one wakes exactly one; wait_timeout times out; wait_while.
fn condvar_basics(on: On) {
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let (m, cv) = &*pair;
    let (g, r) = cv.wait_timeout(m.lock(), Duration::from_millis(10));
    assert!(r.timed_out());
    drop(g);
    let woken = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..3)
        .map(|_| {
            let (pair, woken) = (pair.clone(), woken.clone());
            spawn(on, move || {
                let (m, cv) = &*pair;
                let g = cv.wait_while(m.lock(), |n| *n == 0);
                woken.fetch_add(1, Ordering::SeqCst);
                drop(g);
            })
        })
        .collect();
    gpm::sleep(Duration::from_millis(10));
    *m.lock() = 1;
    cv.notify_all();
    ts.into_iter().for_each(|t| t.join());
    assert_eq!(woken.load(Ordering::SeqCst), 3);
    // Timed-out waiters never swallow a notify_one meant for a live waiter.
    let pair2 = pair.clone();
    let live = spawn(on, move || {
        let (m, cv) = &*pair2;
        let (g, r) = cv.wait_timeout(m.lock(), Duration::from_secs(10));
        drop(g);
        !r.timed_out()
    });
    for _ in 0..5 {
        drop(cv.wait_timeout(m.lock(), Duration::from_millis(1)));
    }
    gpm::sleep(Duration::from_millis(10));
    cv.notify_one();
    assert!(live.join(), "notify_one lost");
}

/// RwLock: readers share; a waiting writer blocks new readers (Go's writer preference), so
/// a continuous stream of readers cannot starve it.
fn rwlock_writer_not_starved(on: On) {
    let lock = Arc::new(RwLock::new(0u64));
    let r1 = lock.read();
    let r2 = lock.try_read().expect("readers share");
    assert!(lock.try_write().is_none());
    drop((r1, r2));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (lock, stop) = (lock.clone(), stop.clone());
            spawn(on, move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // Overlapping read sections: there is always a reader inside.
                    let g = lock.read();
                    gpm::sleep(Duration::from_micros(200));
                    n += *g;
                    drop(g);
                }
                n
            })
        })
        .collect();
    gpm::sleep(Duration::from_millis(5));
    let start = Instant::now();
    for _ in 0..10 {
        *lock.write() += 1;
    }
    let took = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    readers.into_iter().for_each(|t| {
        t.join();
    });
    assert_eq!(*lock.read(), 10);
    assert!(took < Duration::from_secs(5), "writer starved for {took:?}");
}

/// RwLock hammer: readers never see a half-done write.
fn rwlock_hammer(on: On) {
    let lock = Arc::new(RwLock::new((0u64, 0u64)));
    let ts: Vec<_> = (0..6)
        .map(|k| {
            let lock = lock.clone();
            spawn(on, move || {
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
    ts.into_iter().for_each(|t| t.join());
    assert_eq!(*lock.read(), (40_000, 40_000));
}

/// Semaphore: never more than `n` holders at once, and `n` at once under contention (each
/// holder keeps its permit across a sleep, so 8 contenders overlap); try_acquire fails
/// when exhausted.
fn semaphore_bound(on: On) {
    const N: usize = 3;
    let sem = Arc::new(Semaphore::new(N));
    let inside = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let ts: Vec<_> = (0..8)
        .map(|_| {
            let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
            spawn(on, move || {
                for _ in 0..200 {
                    let _p = sem.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    gpm::sleep(Duration::from_micros(50));
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    ts.into_iter().for_each(|t| t.join());
    assert_eq!(max.load(Ordering::SeqCst), N, "holders at once (bound {N})");
    assert_eq!(sem.available_permits(), N);
    let ps: Vec<_> = (0..N).map(|_| sem.try_acquire().unwrap()).collect();
    assert!(sem.try_acquire().is_none());
    drop(ps);
    assert_eq!(sem.available_permits(), N);
}
