//! Function timers (`FuncTimer`): fire once at or after the deadline; `stop` and `reset`
//! against firing, as Go's `Timer.Stop` / `Timer.Reset` report them; re-arming from the
//! callback; `Fired::go`; a timer of a dropped runtime.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gpm_sched::{FuncTimer, Runtime};

fn runtime(procs: usize) -> Runtime {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    unsafe { Runtime::builder().procs(procs).build() }.unwrap()
}

#[test]
fn fires_once_never_early() {
    let _w = common::watchdog(30, "fires_once_never_early");
    let rt = runtime(2);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let t = FuncTimer::new_in(&rt, move |f| {
        tx.lock().unwrap().send((f.when(), Instant::now())).unwrap()
    });
    let when = Instant::now() + Duration::from_millis(20);
    assert!(!t.reset(when), "a new timer is not armed");
    assert!(t.is_armed());
    let (armed_for, fired_at) = rx.recv_timeout(Duration::from_secs(5)).expect("fired");
    assert!(armed_for >= when && fired_at >= when, "early: {fired_at:?} < {when:?}");
    assert!(!t.is_armed());
    assert!(!t.stop(), "stop after the firing reports false");
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err(), "fired twice");
}

#[test]
fn stop_before_the_deadline_prevents_the_call() {
    let _w = common::watchdog(30, "stop_before_the_deadline_prevents_the_call");
    let rt = runtime(2);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let t = FuncTimer::new_in(&rt, move |_| {
        c.fetch_add(1, SeqCst);
    });
    t.reset(Instant::now() + Duration::from_millis(30));
    assert!(t.stop(), "stopping an armed timer reports true");
    assert!(!t.stop(), "a second stop reports false");
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(calls.load(SeqCst), 0);
    // Dropping the handle stops it too.
    let c = calls.clone();
    let t = FuncTimer::new_in(&rt, move |_| {
        c.fetch_add(1, SeqCst);
    });
    t.reset(Instant::now() + Duration::from_millis(30));
    drop(t);
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(calls.load(SeqCst), 0);
}

#[test]
fn reset_replaces_the_arming() {
    let _w = common::watchdog(30, "reset_replaces_the_arming");
    let rt = runtime(2);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let t = FuncTimer::new_in(&rt, move |f| tx.lock().unwrap().send(f.when()).unwrap());
    let first = Instant::now() + Duration::from_millis(20);
    t.reset(first);
    let second = Instant::now() + Duration::from_millis(60);
    assert!(t.reset(second), "reset of an armed timer reports true");
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), second);
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err(), "the old arming fired");
}

/// Many timers reset and stopped while they fire, from goroutines and a plain thread:
/// each `stop` that reports `true` cancels a call, so calls + successful stops equals
/// armings (every arming is either fired or stopped, never both, never neither).
#[test]
fn stop_and_reset_race_firing_without_loss_or_double() {
    let _w = common::watchdog(60, "stop_and_reset_race_firing_without_loss_or_double");
    let rt = runtime(2);
    let calls = Arc::new(AtomicU64::new(0));
    let stops = Arc::new(AtomicU64::new(0));
    let armings = Arc::new(AtomicU64::new(0));
    let work = {
        let (calls, stops, armings) = (calls.clone(), stops.clone(), armings.clone());
        move |seed: u64| {
            let c = calls.clone();
            let t = FuncTimer::new(move |_| {
                c.fetch_add(1, SeqCst);
            });
            let mut rng = seed;
            for _ in 0..400 {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let us = (rng >> 33) % 200;
                // A reset of an armed timer cancels that arming (it reports `true`).
                if t.reset(Instant::now() + Duration::from_micros(us)) {
                    stops.fetch_add(1, SeqCst);
                }
                armings.fetch_add(1, SeqCst);
                if rng & 1 == 0 {
                    std::hint::spin_loop();
                } else if t.stop() {
                    stops.fetch_add(1, SeqCst);
                }
                if rng & 6 == 0 {
                    gpm_sched::sleep(Duration::from_micros(us / 2));
                }
            }
            // Let the last arming fire or stop it.
            if t.stop() {
                stops.fetch_add(1, SeqCst);
            }
        }
    };
    rt.block_on(move || {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                gpm_sched::go({
                    let w = work.clone();
                    move || w(i)
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    // A callback that won its CAS may still be running on an M: give it a moment.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(calls.load(SeqCst) + stops.load(SeqCst), armings.load(SeqCst));
}

#[test]
fn rearm_from_the_callback_ticks_until_stopped() {
    let _w = common::watchdog(30, "rearm_from_the_callback_ticks_until_stopped");
    let rt = runtime(1);
    let ticks = Arc::new(AtomicUsize::new(0));
    let k = ticks.clone();
    let period = Duration::from_millis(5);
    let t = FuncTimer::new_in(&rt, move |f| {
        k.fetch_add(1, SeqCst);
        assert!(f.rearm(f.when() + period).is_some());
    });
    t.reset(Instant::now() + period);
    std::thread::sleep(Duration::from_millis(100));
    assert!(t.stop(), "a ticking timer is armed");
    let seen = ticks.load(SeqCst);
    assert!((3..=25).contains(&seen), "{seen} ticks of 5 ms in 100 ms");
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(ticks.load(SeqCst), seen, "ticked after stop");
}

#[test]
fn fired_go_spawns_on_the_timers_runtime_and_detach_keeps_it_armed() {
    let _w = common::watchdog(30, "fired_go_spawns_on_the_timers_runtime");
    let rt = runtime(2);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let t = FuncTimer::new_in(&rt, move |f| {
        let tx = tx.lock().unwrap().clone();
        f.go(move || tx.send(gpm_sched::testing::whereami().is_some()).unwrap());
    });
    t.reset(Instant::now() + Duration::from_millis(10));
    t.detach();
    assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "not run as a goroutine");
}

#[test]
fn a_timer_of_a_dropped_runtime_never_fires() {
    let _w = common::watchdog(30, "a_timer_of_a_dropped_runtime_never_fires");
    let rt = runtime(1);
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let t = FuncTimer::new_in(&rt, move |_| {
        c.fetch_add(1, SeqCst);
    });
    drop(rt);
    assert!(!t.reset(Instant::now()));
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(calls.load(SeqCst), 0);
    assert!(FuncTimer::try_new(|_| {}).is_none(), "a plain thread with no default runtime");
}
