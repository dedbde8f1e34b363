//! `gpm::pool` in the spirit of ants' own tests (`ants_test.go`): wait to get a worker, get a
//! worker from the cache, no pool vs pool, pool with func, purge (plain and pre-allocated),
//! panic handler with and without, nonblocking submit, max blocking submit, release vs
//! blocked submitters, reboot, release timeout, infinite pool, tune up and down, and
//! `MultiPool` balancing; plus what ants lacks: `spawn` results, deadlines, `wait`.
//!
//! Every test runs on the default runtime (its workers are goroutines of it); bodies run as
//! a goroutine (`block_on`) or, where they say so, on plain threads. A watchdog turns a hang
//! into a failure.

mod chan_support;

use chan_support::deadline;
use gpm::chan::{Receiver, Sender, bounded};
use gpm::pool::{LoadBalancing, MultiPool, Pool, PoolError, PoolWithFunc};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Runs `f` as a goroutine of the default runtime, under a watchdog of `secs`.
fn on_goroutine(secs: u64, f: impl FnOnce() + Send + 'static) {
    deadline(secs, move || {
        // SAFETY: the tests hold no thread-local and no std lock guard across a park.
        let rt = unsafe { gpm::init() };
        rt.block_on(f);
    });
}

/// Runs `f` on a plain thread (submits block the thread), under a watchdog of `secs`.
fn on_thread(secs: u64, f: impl FnOnce() + Send + 'static) {
    // SAFETY: as above.
    unsafe { gpm::init() };
    deadline(secs, f);
}

/// A gate: tasks `hold` it until the test drops the sender (every receive then fails).
fn gate() -> (Sender<()>, Receiver<()>) {
    bounded(0)
}

fn hold(rx: &Receiver<()>) {
    let _ = rx.recv();
}

/// Polls `cond` every millisecond for up to 5 s.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < until, "never happened: {what}");
        gpm::sleep(Duration::from_millis(1));
    }
}

#[test]
fn wait_to_get_worker() {
    on_goroutine(20, || {
        let pool = Arc::new(Pool::new(10).unwrap());
        let (done, max_seen) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        for _ in 0..200 {
            let (p, done, max_seen) = (pool.clone(), done.clone(), max_seen.clone());
            pool.submit(move || {
                max_seen.fetch_max(p.running(), Relaxed);
                gpm::sleep(Duration::from_millis(1));
                done.fetch_add(1, Relaxed);
            })
            .unwrap();
        }
        pool.wait();
        assert_eq!(done.load(Relaxed), 200);
        assert!(max_seen.load(Relaxed) <= 10, "running() = {} > cap", max_seen.load(Relaxed));
        assert_eq!(pool.running(), 10, "the workers stay idle until the purge");
    });
}

gpm::local! { static TASKS_HERE: Cell<u32> = Cell::new(0); }

/// A submitter that never blocks does not run ahead of its workers: on one P, submitting
/// 20,000 short tasks from a goroutine reuses a few dozen workers instead of starting one
/// per task up to the capacity (the pacing of `mod.rs`). Without it, the workers handed
/// tasks would wait in the run queue until the loop ends, none would come back idle, and
/// `running` would reach 20,000.
#[test]
fn busy_submitter_reuses_workers() {
    deadline(60, || {
        // SAFETY: the tasks hold no thread-local and no std lock guard across a park.
        let rt = unsafe { gpm::Runtime::builder().procs(1).build() }.unwrap();
        rt.block_on(|| {
            let pool = Pool::new(50_000).unwrap();
            let done = Arc::new(AtomicUsize::new(0));
            for _ in 0..20_000 {
                let done = done.clone();
                pool.submit(move || {
                    done.fetch_add(1, Relaxed);
                })
                .unwrap();
            }
            pool.wait();
            assert_eq!(done.load(Relaxed), 20_000);
            let workers = pool.running();
            assert!(workers <= 200, "{workers} workers started for 20,000 short tasks on one P");
            pool.release_timeout(Duration::from_secs(10)).unwrap();
        });
    });
}

#[test]
fn get_worker_from_cache() {
    on_goroutine(20, || {
        let pool = Pool::new(4).unwrap();
        let run = |pool: &Pool| {
            let h = pool.spawn(|| {
                TASKS_HERE.with(|n| {
                    n.set(n.get() + 1);
                    n.get()
                })
            });
            h.unwrap().join().unwrap()
        };
        assert_eq!(run(&pool), 1);
        // The worker went back on the stack: the next task runs on the same goroutine.
        assert_eq!(run(&pool), 2);
        assert_eq!(run(&pool), 3);
        assert_eq!(pool.running(), 1);
    });
}

#[test]
fn no_pool_vs_pool() {
    on_goroutine(30, || {
        const N: u64 = 20_000;
        let plain: u64 =
            (0..N).map(|i| gpm::go(move || i * 3)).map(|h| h.join().unwrap()).sum::<u64>();
        let pool = Pool::new(100).unwrap();
        let handles: Vec<_> = (0..N).map(|i| pool.spawn(move || i * 3).unwrap()).collect();
        let pooled: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(plain, pooled);
        assert!(pool.running() <= 100);
    });
}

#[test]
fn pool_with_func() {
    on_goroutine(20, || {
        let sum = Arc::new(AtomicUsize::new(0));
        let s = sum.clone();
        let pool = PoolWithFunc::new(10, move |n: usize| {
            gpm::sleep(Duration::from_micros(100));
            s.fetch_add(n, Relaxed);
        })
        .unwrap();
        for n in 0..1000 {
            pool.invoke(n).unwrap();
        }
        pool.wait();
        assert_eq!(sum.load(Relaxed), 999 * 1000 / 2);
        assert!(pool.running() <= 10);
        pool.release_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(pool.invoke(1), Err(PoolError::Closed));
    });
}

fn purge(pre_alloc: bool) {
    on_goroutine(20, move || {
        let expiry = Duration::from_millis(30);
        let pool = Pool::builder().capacity(10).expiry(expiry).pre_alloc(pre_alloc).build();
        let pool = pool.unwrap();
        let (tx, rx) = gate();
        for _ in 0..10 {
            let rx = rx.clone();
            pool.submit(move || hold(&rx)).unwrap();
        }
        assert_eq!(pool.running(), 10);
        drop(tx);
        pool.wait();
        eventually("every idle worker purged", || pool.running() == 0);
        // The pool still works after a purge.
        assert_eq!(pool.spawn(|| 5).unwrap().join().unwrap(), 5);
        assert_eq!(pool.running(), 1);
    });
}

#[test]
fn purge_stale_workers() {
    purge(false);
}

#[test]
fn purge_pre_allocated() {
    purge(true);
}

#[test]
fn disable_purge_keeps_workers() {
    on_goroutine(20, || {
        let pool = Pool::builder()
            .capacity(3)
            .expiry(Duration::from_millis(5))
            .disable_purge(true)
            .build()
            .unwrap();
        pool.spawn(|| ()).unwrap().join().unwrap();
        gpm::sleep(Duration::from_millis(50));
        assert_eq!(pool.running(), 1);
    });
}

#[test]
fn panic_handler() {
    on_goroutine(20, || {
        let caught = Arc::new(AtomicUsize::new(0));
        let c = caught.clone();
        let pool = Pool::builder()
            .capacity(2)
            .panic_handler(move |payload| {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"task panics on purpose"));
                c.fetch_add(1, Relaxed);
            })
            .build()
            .unwrap();
        pool.submit(|| panic!("task panics on purpose")).unwrap();
        pool.wait();
        assert_eq!(caught.load(Relaxed), 1);
        assert_eq!(pool.running(), 1, "the worker survived the panic");
        assert_eq!(pool.spawn(|| 7).unwrap().join().unwrap(), 7);
        assert_eq!(pool.running(), 1, "and ran the next task");
    });
}

#[test]
fn panic_without_handler() {
    on_goroutine(20, || {
        let pool = PoolWithFunc::new(1, |n: u32| assert!(n != 13, "unlucky")).unwrap();
        pool.invoke(13).unwrap();
        pool.invoke(1).unwrap();
        pool.wait();
        assert_eq!(pool.running(), 1);
        let pool = Pool::new(1).unwrap();
        let err = pool.spawn(|| -> u8 { panic!("to the handle") }).unwrap().join().unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"to the handle"));
    });
}

#[test]
fn nonblocking_submit() {
    on_goroutine(20, || {
        let pool = Pool::builder().capacity(2).nonblocking(true).build().unwrap();
        let (tx, rx) = gate();
        for _ in 0..2 {
            let rx = rx.clone();
            pool.submit(move || hold(&rx)).unwrap();
        }
        assert_eq!(pool.submit(|| ()), Err(PoolError::Overload));
        drop(tx);
        pool.wait();
        pool.submit(|| ()).unwrap();
    });
}

/// Max blocking submitters, from plain threads (they block) and goroutines (they park).
fn max_blocking(threads: bool) {
    let body = move || {
        let pool = Arc::new(Pool::builder().capacity(1).max_blocking_tasks(2).build().unwrap());
        let (tx, rx) = gate();
        pool.submit(move || hold(&rx)).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let blocked: Vec<_> = (0..2)
            .map(|_| {
                let (pool, ran) = (pool.clone(), ran.clone());
                let f = move || {
                    pool.submit(move || {
                        ran.fetch_add(1, Relaxed);
                    })
                };
                if threads { Err(std::thread::spawn(f)) } else { Ok(gpm::go(f)) }
            })
            .collect();
        eventually("two submitters blocked", || pool.waiting() == 2);
        assert_eq!(pool.submit(|| ()), Err(PoolError::Overload));
        assert_eq!(pool.submit_timeout(|| (), Duration::from_millis(5)), Err(PoolError::Overload));
        drop(tx);
        for h in blocked {
            match h {
                Ok(g) => g.join().unwrap().unwrap(),
                Err(t) => t.join().unwrap().unwrap(),
            }
        }
        pool.wait();
        assert_eq!(ran.load(Relaxed), 2);
        assert_eq!(pool.waiting(), 0);
    };
    if threads { on_thread(20, body) } else { on_goroutine(20, body) }
}

#[test]
fn max_blocking_submit_goroutines() {
    max_blocking(false);
}

#[test]
fn max_blocking_submit_threads() {
    max_blocking(true);
}

/// ants#202: release while submitters are blocked must wake them all with `Closed`.
#[test]
fn release_wakes_blocked_submitters() {
    on_goroutine(20, || {
        let pool = Arc::new(Pool::new(1).unwrap());
        let (tx, rx) = gate();
        pool.submit(move || hold(&rx)).unwrap();
        let blocked: Vec<_> = (0..8)
            .map(|i| {
                let pool = pool.clone();
                let f = move || pool.submit(|| ());
                if i % 2 == 0 { Ok(gpm::go(f)) } else { Err(std::thread::spawn(f)) }
            })
            .collect();
        eventually("eight submitters blocked", || pool.waiting() == 8);
        pool.release();
        for h in blocked {
            let r = match h {
                Ok(g) => g.join().unwrap(),
                Err(t) => t.join().unwrap(),
            };
            assert_eq!(r, Err(PoolError::Closed));
        }
        drop(tx);
        pool.release_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(pool.running(), 0);
    });
}

#[test]
fn reboot() {
    on_thread(20, || {
        let pool = Pool::new(4).unwrap();
        assert_eq!(pool.spawn(|| 1).unwrap().join().unwrap(), 1);
        pool.release_timeout(Duration::from_secs(5)).unwrap();
        assert!(pool.is_closed());
        assert_eq!(pool.submit(|| ()), Err(PoolError::Closed));
        pool.reboot();
        assert!(!pool.is_closed());
        assert_eq!(pool.spawn(|| 2).unwrap().join().unwrap(), 2);
        pool.release();
        pool.reboot();
        pool.release_timeout(Duration::from_secs(5)).unwrap();
    });
}

#[test]
fn release_timeout() {
    on_goroutine(20, || {
        let pool = Pool::new(10).unwrap();
        for _ in 0..10 {
            pool.submit(|| gpm::sleep(Duration::from_millis(200))).unwrap();
        }
        let t = Instant::now();
        assert_eq!(pool.release_timeout(Duration::from_millis(10)), Err(PoolError::Timeout));
        assert!(t.elapsed() < Duration::from_millis(190));
        pool.release_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(pool.running(), 0);
    });
}

#[test]
fn infinite_pool() {
    on_goroutine(20, || {
        let pool = Pool::unlimited().unwrap();
        assert_eq!((pool.cap(), pool.free()), (None, None));
        let (tx, rx) = gate();
        for _ in 0..500 {
            let rx = rx.clone();
            pool.submit(move || hold(&rx)).unwrap();
        }
        assert_eq!(pool.running(), 500, "every task got its own worker at once");
        drop(tx);
        pool.wait();
        pool.tune(10).unwrap();
        assert_eq!(pool.cap(), Some(10));
        assert_eq!(pool.running(), 10, "idle workers above the new capacity exit at once");
    });
}

#[test]
fn tune_up_and_down() {
    on_goroutine(20, || {
        let pool = Arc::new(Pool::new(2).unwrap());
        let (tx, rx) = gate();
        for _ in 0..2 {
            let rx = rx.clone();
            pool.submit(move || hold(&rx)).unwrap();
        }
        let p = pool.clone();
        let rx2 = rx.clone();
        let blocked = gpm::go(move || p.submit(move || hold(&rx2)));
        eventually("a submitter blocked", || pool.waiting() == 1);
        pool.tune(3).unwrap();
        blocked.join().unwrap().unwrap();
        assert_eq!(pool.running(), 3);
        assert_eq!(pool.free(), Some(0));
        // Down while all three are busy: nobody is interrupted; they leave as they finish.
        pool.tune(1).unwrap();
        assert_eq!(pool.running(), 3);
        drop((tx, rx));
        pool.wait();
        eventually("busy workers above the capacity retired", || pool.running() == 1);
        assert!(pool.tune(0).is_err());
    });
}

#[test]
fn multipool_round_robin_and_least_tasks() {
    on_goroutine(20, || {
        let multi = MultiPool::new(4, 10, LoadBalancing::RoundRobin).unwrap();
        let (tx, rx) = gate();
        for _ in 0..20 {
            let rx = rx.clone();
            multi.submit(move || hold(&rx)).unwrap();
        }
        let per_pool: Vec<_> = multi.pools().iter().map(Pool::running).collect();
        assert_eq!(per_pool, [5, 5, 5, 5]);
        drop(tx);
        multi.wait();

        let least = MultiPool::new(3, 10, LoadBalancing::LeastTasks).unwrap();
        let (tx, rx) = gate();
        let rx2 = rx.clone();
        least.pools()[0].submit(move || hold(&rx2)).unwrap();
        for _ in 0..2 {
            let rx = rx.clone();
            least.pools()[1].submit(move || hold(&rx)).unwrap();
        }
        let rx3 = rx.clone();
        least.submit(move || hold(&rx3)).unwrap();
        assert_eq!(least.pools()[2].in_flight(), 1, "the idle pool got the task");
        drop((tx, rx));
        least.release_timeout(Duration::from_secs(5)).unwrap();
        assert!(least.is_closed());
        assert_eq!(least.submit(|| ()), Err(PoolError::Closed));
        least.reboot();
        assert_eq!(least.spawn(|| 3).unwrap().join().unwrap(), 3);
    });
}

#[test]
fn multipool_overload_moves_to_least_tasks() {
    on_goroutine(20, || {
        let multi = Pool::builder()
            .capacity(1)
            .nonblocking(true)
            .build_multi(2, LoadBalancing::RoundRobin)
            .unwrap();
        let (tx, rx) = gate();
        let rx2 = rx.clone();
        multi.submit(move || hold(&rx2)).unwrap(); // pool 0
        let rx3 = rx.clone();
        multi.submit(move || hold(&rx3)).unwrap(); // pool 1
        assert_eq!(multi.submit(|| ()), Err(PoolError::Overload));
        drop((tx, rx));
        multi.wait();
        multi.submit(|| ()).unwrap();
    });
}

#[test]
fn deadlines_and_try_submit() {
    on_thread(20, || {
        let pool = Pool::new(1).unwrap();
        let (tx, rx) = gate();
        pool.submit(move || hold(&rx)).unwrap();
        assert_eq!(pool.try_submit(|| ()), Err(PoolError::Overload));
        let t = Instant::now();
        assert_eq!(pool.submit_timeout(|| (), Duration::from_millis(30)), Err(PoolError::Timeout));
        assert!(t.elapsed() >= Duration::from_millis(30));
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(pool.submit_deadline(|| (), past), Err(PoolError::Timeout));
        assert_eq!(pool.waiting(), 0);
        drop(tx);
        pool.submit_timeout(|| (), Duration::from_secs(5)).unwrap();
    });
}

#[test]
fn wait_covers_everything_submitted() {
    on_thread(20, || {
        let pool = Pool::new(8).unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            let done = done.clone();
            pool.submit(move || {
                gpm::sleep(Duration::from_millis(2));
                done.fetch_add(1, Relaxed);
            })
            .unwrap();
        }
        pool.wait();
        assert_eq!(done.load(Relaxed), 100);
        assert_eq!(pool.in_flight(), 0);
    });
}

#[test]
fn invalid_options_name_the_value() {
    on_thread(20, || {
        let msg = |r: Result<Pool, PoolError>| r.unwrap_err().to_string();
        assert!(msg(Pool::new(0)).contains("capacity = 0"));
        assert!(msg(Pool::builder().expiry(Duration::ZERO).build()).contains("expiry = 0"));
        assert!(msg(Pool::builder().pre_alloc(true).build()).contains("pre_alloc"));
        let multi = MultiPool::new(0, 1, LoadBalancing::RoundRobin).unwrap_err();
        assert!(matches!(multi, PoolError::InvalidOption(_)));
    });
}

#[test]
fn dropping_the_pool_releases_it() {
    on_goroutine(20, || {
        let counted = Arc::new(AtomicUsize::new(0));
        {
            let pool = Pool::new(4).unwrap();
            for _ in 0..4 {
                let c = counted.clone();
                pool.submit(move || {
                    gpm::sleep(Duration::from_millis(5));
                    c.fetch_add(1, Relaxed);
                })
                .unwrap();
            }
        }
        // Released on drop: the running tasks still finish.
        eventually("the tasks of a dropped pool finish", || counted.load(Relaxed) == 4);
    });
}

/// A runtime dropped under a pool cancels the workers it runs: busy and idle workers count
/// themselves out, a blocked task's handle reports an error, and the pool is left empty and
/// usable for `release_timeout`.
#[test]
fn runtime_drop_cancels_workers() {
    deadline(30, || {
        // SAFETY: the tasks hold no thread-local and no std lock guard across a park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.unwrap();
        let (tx, rx) = gate();
        let (pool, handles) = rt.block_on(move || {
            let pool = Pool::new(8).unwrap();
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    pool.spawn(move || hold(&rx)).unwrap()
                })
                .collect();
            // Four more workers that go idle.
            let idle: Vec<_> = (0..8).map(|_| pool.spawn(|| ()).unwrap()).collect();
            idle.into_iter().for_each(|h| h.join().unwrap());
            assert_eq!(pool.running(), 8);
            (pool, handles)
        });
        drop(rt);
        assert_eq!(pool.running(), 0, "cancelled workers counted out");
        for h in handles {
            assert!(h.join().is_err(), "a task cancelled mid-way reports an error");
        }
        pool.release_timeout(Duration::from_secs(5)).unwrap();
        drop(tx);
    });
}

/// A task that unwinds with a payload other than a panic message (`panic_any`) is reported
/// as `FOREIGN_UNWIND` and takes its worker with it; the pool counts it out and goes on.
#[test]
fn foreign_unwind_replaces_the_worker() {
    on_goroutine(20, || {
        let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
        let r = reports.clone();
        let pool = Pool::builder()
            .capacity(1)
            .panic_handler(move |p| r.lock().unwrap().push(p.downcast_ref::<&str>().copied()))
            .build()
            .unwrap();
        pool.submit(|| std::panic::panic_any(7u8)).unwrap();
        let h = pool.spawn(|| -> u8 { std::panic::panic_any(8u8) }).unwrap();
        let err = h.join().unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&gpm::pool::TASK_DROPPED));
        pool.wait();
        eventually("both workers counted out", || pool.running() == 0);
        let seen = reports.lock().unwrap().clone();
        assert_eq!(seen, [Some(gpm::pool::FOREIGN_UNWIND); 2]);
        assert_eq!(pool.spawn(|| 9).unwrap().join().unwrap(), 9);
    });
}
