//! `gpm::pool` beyond ants: submits that wait on a `CancellationToken`, and `Pool::scope`,
//! whose tasks borrow from the caller. Each body runs as a goroutine of the default runtime
//! (or on a plain thread where it says so) under a watchdog.

mod chan_support;

use chan_support::deadline;
use gpm::CancellationToken;
use gpm::pool::{Pool, PoolError, PoolWithFunc};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

fn on_goroutine(f: impl FnOnce() + Send + 'static) {
    deadline(30, move || {
        // SAFETY: the tests hold no thread-local and no std lock guard across a park.
        let rt = unsafe { gpm::init() };
        rt.block_on(f);
    });
}

/// A pool of one worker held until the returned sender is dropped.
fn busy_pool() -> (Pool, gpm::chan::Sender<()>) {
    let pool = Pool::new(1).unwrap();
    let (tx, rx) = gpm::chan::bounded::<()>(0);
    pool.submit(move || {
        let _ = rx.recv();
    })
    .unwrap();
    (pool, tx)
}

#[test]
fn a_cancelled_token_refuses_at_once_even_with_free_workers() {
    on_goroutine(|| {
        let pool = Pool::new(4).unwrap();
        let token = CancellationToken::new();
        token.cancel();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let outcome = pool.submit_with_token(
            move || {
                r.fetch_add(1, Relaxed);
            },
            &token,
        );
        assert_eq!(outcome, Err(PoolError::Cancelled));
        pool.wait();
        assert_eq!(ran.load(Relaxed), 0, "a refused task must not run");
        assert!(PoolError::Cancelled.to_string().contains("cancellation token"));
    });
}

#[test]
fn cancelling_wakes_a_blocked_submit_and_drops_its_task() {
    on_goroutine(|| {
        let (pool, hold) = busy_pool();
        let token = CancellationToken::new();
        let t = token.clone();
        let canceller = gpm::go(move || {
            gpm::sleep(Duration::from_millis(20));
            t.cancel();
        });
        let dropped = Arc::new(AtomicUsize::new(0));
        struct OnDrop(Arc<AtomicUsize>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.fetch_add(1, Relaxed);
            }
        }
        let guard = OnDrop(dropped.clone());
        let outcome = pool.submit_with_token(move || drop(guard), &token);
        assert_eq!(outcome, Err(PoolError::Cancelled));
        assert_eq!(dropped.load(Relaxed), 1, "the refused task is dropped, once");
        assert_eq!(pool.waiting(), 0);
        canceller.join().unwrap();
        drop(hold);
    });
}

#[test]
fn a_token_that_is_not_cancelled_waits_like_submit() {
    on_goroutine(|| {
        let (pool, hold) = busy_pool();
        let token = CancellationToken::new();
        let freer = gpm::go(move || {
            gpm::sleep(Duration::from_millis(20));
            drop(hold);
        });
        let (tx, rx) = gpm::chan::bounded(1);
        pool.submit_with_token(move || tx.send(7).unwrap(), &token).unwrap();
        assert_eq!(rx.recv(), Ok(7));
        freer.join().unwrap();
    });
}

/// Two submitters wait for the one worker; one's token is cancelled just as the worker
/// frees. Whichever wake-up the cancelled one consumed, the other still gets the worker:
/// no submit is left parked with a worker idle.
#[test]
fn a_cancelled_submitter_passes_the_wake_up_on() {
    for round in 0..50 {
        on_goroutine(move || {
            let (pool, hold) = busy_pool();
            let pool = Arc::new(pool);
            let token = CancellationToken::new();
            let (p, t) = (pool.clone(), token.clone());
            let cancelled = gpm::go(move || p.submit_with_token(|| (), &t));
            let p = pool.clone();
            let (tx, rx) = gpm::chan::bounded(1);
            let plain = gpm::go(move || p.submit(move || tx.send(()).unwrap()));
            while pool.waiting() < 2 {
                gpm::yield_now();
            }
            if round % 2 == 0 {
                token.cancel();
                drop(hold);
            } else {
                drop(hold);
                token.cancel();
            }
            assert_eq!(plain.join().unwrap(), Ok(()));
            assert_eq!(rx.recv(), Ok(()), "the plain submit's task ran");
            let c = cancelled.join().unwrap();
            assert!(matches!(c, Ok(()) | Err(PoolError::Cancelled)), "{c:?}");
        });
    }
}

#[test]
fn invoke_with_token_and_from_a_thread() {
    // SAFETY: as above.
    unsafe { gpm::init() };
    deadline(30, || {
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let pool = PoolWithFunc::new(1, move |n: usize| {
            s.fetch_add(n, Relaxed);
            gpm::sleep(Duration::from_millis(50));
        })
        .unwrap();
        let token = CancellationToken::new();
        pool.invoke_with_token(1, &token).unwrap(); // takes the worker for 50 ms
        let t = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            t.cancel();
        });
        // This plain thread blocks on the busy worker until the cancel wakes it.
        assert_eq!(pool.invoke_with_token(10, &token), Err(PoolError::Cancelled));
        pool.wait();
        assert_eq!(seen.load(Relaxed), 1);
    });
}

#[test]
fn scope_waits_for_every_borrowing_task() {
    on_goroutine(|| {
        let pool = Pool::new(8).unwrap();
        let mut slots = vec![0u64; 1000];
        let base = 7u64;
        pool.scope(|s| {
            for (i, slot) in slots.iter_mut().enumerate() {
                s.submit(move || {
                    if i % 10 == 0 {
                        gpm::sleep(Duration::from_millis(1));
                    }
                    *slot = i as u64 * base;
                })
                .unwrap();
            }
        });
        assert!(slots.iter().enumerate().all(|(i, &v)| v == i as u64 * 7));
    });
}

#[test]
fn scope_spawn_returns_borrowed_values() {
    on_goroutine(|| {
        let pool = Pool::new(2).unwrap();
        let text = String::from("alpha beta gamma");
        let text = text.as_str();
        let words: Vec<&str> = pool.scope(|s| {
            let hs: Vec<_> =
                (0..3).map(|i| s.spawn(move || text.split(' ').nth(i).unwrap()).unwrap()).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(words, ["alpha", "beta", "gamma"]);
    });
}

/// The scope's closure panics with tasks still running: `scope` waits for them before the
/// panic goes on, so the borrowed data outlives every task.
#[test]
fn scope_panic_is_resumed_after_the_tasks_finish() {
    on_goroutine(|| {
        let pool = Pool::new(4).unwrap();
        let finished = AtomicUsize::new(0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.scope(|s| {
                for _ in 0..4 {
                    s.submit(|| {
                        gpm::sleep(Duration::from_millis(20));
                        finished.fetch_add(1, Relaxed);
                    })
                    .unwrap();
                }
                panic!("scope body");
            })
        }));
        assert!(r.is_err());
        assert_eq!(finished.load(Relaxed), 4, "scope returned before its tasks finished");
    });
}

/// Tasks refused (the pool closed mid-scope) are dropped, not waited for forever; a
/// task's panic goes to the handler and does not fail the scope.
#[test]
fn scope_with_refused_and_panicking_tasks_returns() {
    on_goroutine(|| {
        let panics = Arc::new(AtomicUsize::new(0));
        let p = panics.clone();
        let pool = Pool::builder()
            .capacity(2)
            .panic_handler(move |_| {
                p.fetch_add(1, Relaxed);
            })
            .build()
            .unwrap();
        let ran = AtomicUsize::new(0);
        pool.scope(|s| {
            s.submit(|| panic!("task")).unwrap();
            s.submit(|| {
                ran.fetch_add(1, Relaxed);
            })
            .unwrap();
            pool.release();
            assert_eq!(
                s.submit(|| {
                    ran.fetch_add(100, Relaxed);
                }),
                Err(PoolError::Closed)
            );
        });
        assert_eq!(ran.load(Relaxed), 1);
        // The handler runs after the task is gone (and counted out of the scope).
        while panics.load(Relaxed) == 0 {
            gpm::sleep(Duration::from_millis(1));
        }
        assert_eq!(panics.load(Relaxed), 1);
    });
}

#[test]
fn scope_from_a_plain_thread() {
    // SAFETY: as above.
    unsafe { gpm::init() };
    deadline(30, || {
        let pool = Pool::new(4).unwrap();
        let data: Vec<u32> = (1..=100).collect();
        let total = AtomicUsize::new(0);
        pool.scope(|s| {
            for chunk in data.chunks(10) {
                let total = &total;
                s.submit(move || {
                    total.fetch_add(chunk.iter().sum::<u32>() as usize, Relaxed);
                })
                .unwrap();
            }
        });
        assert_eq!(total.into_inner(), 5050);
    });
}
