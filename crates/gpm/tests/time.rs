//! `gpm::time`: Go's timers, tickers, `after`/`at`/`tick`, `after_func` and `timeout`,
//! from goroutines and from plain threads; stop and reset against firing (no stale value
//! after either, as Go 1.23); no timer kept alive by a dropped receiver.

mod chan_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

use chan_support::deadline;
use gpm::select;
use gpm::time::{self, Ticker, Timer};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn runtime() -> gpm::Runtime {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    unsafe { gpm::Runtime::builder().procs(2).build() }.unwrap()
}

#[test]
fn after_and_at_fire_once_never_early_on_threads_and_goroutines() {
    deadline(30, || {
        let check = || {
            let start = Instant::now();
            let got = time::after(ms(10)).recv().unwrap();
            assert!(got >= start + ms(10) && start.elapsed() >= ms(10));
            let when = Instant::now() + ms(5);
            let rx = time::at(when);
            assert!(rx.recv().unwrap() >= when);
            assert!(rx.recv_timeout(ms(30)).is_err(), "a one-shot sent twice");
            // A past instant fires at once.
            time::at(Instant::now() - ms(1)).recv_timeout(Duration::from_secs(5)).unwrap();
        };
        check(); // a plain thread with no runtime: the fallback runtime keeps the timers
        runtime().block_on(check);
    });
}

#[test]
fn after_in_select_times_out_a_receive() {
    deadline(30, || {
        runtime().block_on(|| {
            let (_tx, rx) = gpm::chan::bounded::<u32>(0);
            let start = Instant::now();
            let timed_out = select! {
                recv(rx) -> _ => false,
                recv(time::after(ms(15))) -> _ => true,
            };
            assert!(timed_out && start.elapsed() >= ms(15));
        })
    });
}

#[test]
fn timer_stop_before_and_after_firing() {
    deadline(30, || {
        runtime().block_on(|| {
            let t = Timer::new(ms(20));
            assert!(t.stop(), "stopped while armed");
            assert!(!t.stop(), "stopped twice");
            assert!(t.c().recv_timeout(ms(50)).is_err(), "a stopped timer sent");

            let t = Timer::new(ms(1));
            t.c().recv().unwrap();
            assert!(!t.stop(), "stop after the value was received");

            // Fired but not received: Go 1.23's synchronous timer channel says stop kept
            // it from delivering, and nothing is received after.
            let t = Timer::new(ms(1));
            gpm::sleep(ms(20));
            assert!(t.stop());
            assert!(t.c().try_recv().is_err(), "a stale value after stop");
        })
    });
}

/// Reset racing the firing, many times: right after `reset` returns, no value from before
/// it can be received, and the new arming delivers exactly once.
#[test]
fn timer_reset_racing_fire_leaves_no_stale_value() {
    deadline(60, || {
        runtime().block_on(|| {
            let t = Timer::new(ms(1));
            for i in 0..300u64 {
                gpm::sleep(Duration::from_micros(i % 7 * 150));
                t.reset(ms(1000));
                assert!(t.c().try_recv().is_err(), "round {i}: a stale value after reset");
                t.reset(Duration::from_micros(i % 5 * 100));
                t.c().recv().unwrap();
                assert!(t.c().recv_timeout(ms(2)).is_err(), "round {i}: delivered twice");
                t.reset(Duration::from_micros(i % 3 * 200));
            }
        })
    });
}

#[test]
fn ticker_ticks_on_its_grid_drops_missed_ticks_and_stops() {
    deadline(30, || {
        runtime().block_on(|| {
            let t = Ticker::new(ms(5));
            let a = t.c().recv().unwrap();
            let b = t.c().recv().unwrap();
            assert!(b >= a + ms(4), "ticks {a:?} then {b:?}");
            // A slow reader: one tick waits, the rest are dropped.
            gpm::sleep(ms(60));
            let waiting = t.c().try_iter().count();
            assert_eq!(waiting, 1, "ticks queued for a slow reader");
            t.reset(ms(20));
            let start = Instant::now();
            t.c().recv().unwrap();
            assert!(start.elapsed() >= ms(15), "reset did not change the period");
            t.stop();
            assert!(t.c().recv_timeout(ms(60)).is_err(), "ticked after stop");
        })
    });
}

#[test]
fn ticker_with_a_zero_period_panics_with_the_way_out() {
    let err = std::panic::catch_unwind(|| Ticker::new(Duration::ZERO)).unwrap_err();
    let msg = err.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
    assert!(msg.contains("zero period") && msg.contains("Ticker::new"), "{msg}");
    assert!(time::tick(Duration::ZERO).recv_timeout(ms(10)).is_err(), "tick(0) never ticks");
}

#[test]
fn tick_stops_when_its_receiver_is_dropped() {
    deadline(30, || {
        let rt = runtime();
        rt.block_on(|| {
            let rx = time::tick(ms(2));
            rx.recv().unwrap();
            drop(rx);
        });
        // The ticker's last firing finds the receiver gone and does not re-arm.
        std::thread::sleep(ms(30));
        assert_eq!(rt.stats().timers, 0, "a dropped tick channel's timer is still armed");
    });
}

/// Dropped one-shot receivers with far deadlines do not pile up: pruning drops their
/// entries once nobody can receive.
#[test]
fn dropped_after_receivers_do_not_accumulate() {
    deadline(60, || {
        let rt = runtime();
        rt.block_on(|| {
            for _ in 0..50_000 {
                drop(time::after(Duration::from_secs(3600)));
            }
        });
        assert!(rt.stats().timers < 4096, "{} timer entries kept", rt.stats().timers);
    });
}

#[test]
fn after_func_runs_as_a_goroutine_stops_and_resets() {
    deadline(30, || {
        runtime().block_on(|| {
            let runs = Arc::new(AtomicUsize::new(0));
            let (tx, rx) = gpm::chan::bounded(4);
            let r = runs.clone();
            let t = time::after_func(ms(5), move || {
                r.fetch_add(1, SeqCst);
                let _ = tx.try_send(gpm_sched_goroutine());
            });
            assert!(rx.recv().unwrap(), "after_func's f did not run as a goroutine");
            assert!(!t.stop(), "it had fired");
            assert!(!t.reset(ms(5)));
            rx.recv().unwrap();
            assert_eq!(runs.load(SeqCst), 2);
            assert!(!t.reset(Duration::from_secs(3600)), "it had fired again");
            assert!(t.stop(), "armed for an hour");
            let stopped = time::after_func(ms(5), || unreachable!("a stopped after_func ran"));
            assert!(stopped.stop());
            gpm::sleep(ms(20));
        })
    });
}

fn gpm_sched_goroutine() -> bool {
    gpm_sched::testing::whereami().is_some()
}

#[test]
fn timeout_returns_the_result_or_elapsed_and_resumes_a_panic() {
    deadline(30, || {
        let rt = runtime();
        rt.block_on(|| {
            assert_eq!(time::timeout(ms(20_000), || 7), Ok(7));
            let e = time::timeout(ms(10), || gpm::sleep(ms(300))).unwrap_err();
            assert_eq!(e.limit(), ms(10));
            assert!(e.to_string().contains("10ms"), "{e}");
            // Generous: the panic hook (a backtrace) runs before the unwind reports the end.
            let p = std::panic::catch_unwind(|| time::timeout(ms(20_000), || panic!("boom")));
            let payload = p.unwrap_err();
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        });
    });
}
