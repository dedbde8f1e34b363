//! Loom models of gpm-sched's two lock-free protocols (run with
//! `RUSTFLAGS="--cfg gpm_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gpm-sched --test loom`).
//!
//! 1. park/unpark (`gstate`): a goroutine parking (begin, switch, the M's finish), a waker
//!    and a timer racing: the G is made runnable exactly once if it parked, never if it
//!    consumed a permit, and never while its stack is still in use.
//! 2. spinning/parking of Ms (`spinning`), reduced: one M that was spinning gives up its P,
//!    stops spinning and re-checks before parking, against one submitter that publishes
//!    work and runs the `wakep` gate. No lost wakeup: the model deadlocks (and loom fails)
//!    if the M parks while the work is unseen and nobody wakes it. Not covered: several Ms,
//!    stealing, the idle-M list (the submitter hands its wake-up straight to the one M).
//!    The model has teeth: with the fence in `SpinState::end_spinning` removed, loom reports
//!    the deadlock (the M parked, the work unseen, the submitter saw a spinner).

#![cfg(gpm_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use loom::thread;

use gpm_sched::gstate::{Begin, EMPTY, NOTIFIED, ParkState};
use gpm_sched::parker::Parker;
use gpm_sched::spinning::SpinState;

/// What the parking side observed.
fn park_side(st: &ParkState, token_out: &AtomicU64) -> bool {
    match st.begin() {
        Begin::Consumed => false,
        Begin::Parking(token) => {
            // The switch to the M happens here; the M then finishes the park.
            token_out.store(token | 1 << 63, Release);
            st.finish()
        }
    }
}

#[test]
fn park_unpark_no_lost_or_double_wakeup() {
    loom::model(|| {
        let st = Arc::new(ParkState::new());
        let generation = st.generation();
        let token = Arc::new(AtomicU64::new(0));
        let readied = Arc::new(AtomicUsize::new(0));

        let waker = {
            let (st, readied) = (st.clone(), readied.clone());
            thread::spawn(move || {
                if st.unpark(generation) {
                    readied.fetch_add(1, Relaxed);
                }
            })
        };
        let parked = park_side(&st, &token);
        waker.join().unwrap();
        let r = readied.load(Relaxed);
        if parked {
            assert_eq!(r, 1, "parked G not readied exactly once");
            assert_eq!(st.state(), EMPTY);
        } else {
            assert_eq!(r, 0, "a G that never parked was readied");
            assert_eq!(st.state(), EMPTY, "permit consumed");
        }
    });
}

#[test]
fn park_with_timer_wakes_once() {
    loom::model(|| {
        let st = Arc::new(ParkState::new());
        let generation = st.generation();
        let token = Arc::new(AtomicU64::new(0));
        let readied = Arc::new(AtomicUsize::new(0));

        let waker = {
            let (st, readied) = (st.clone(), readied.clone());
            thread::spawn(move || {
                if st.unpark(generation) {
                    readied.fetch_add(1, Relaxed);
                }
            })
        };
        let timer = {
            let (st, readied, token) = (st.clone(), readied.clone(), token.clone());
            thread::spawn(move || {
                let t = token.load(Acquire);
                if t != 0 && st.timeout(t & !(1 << 63)) {
                    readied.fetch_add(1, Relaxed);
                }
            })
        };
        let parked = park_side(&st, &token);
        waker.join().unwrap();
        timer.join().unwrap();
        let r = readied.load(Relaxed);
        assert_eq!(r, usize::from(parked), "readied {r} times; parked = {parked}");
        // If the timer won, the unpark left its permit for the next park.
        let s = st.state();
        assert!(s == EMPTY || s == NOTIFIED, "state {s}");
    });
}

#[test]
fn stale_unparker_wakes_nobody() {
    loom::model(|| {
        let st = Arc::new(ParkState::new());
        let old = st.generation();
        st.new_life();
        let s2 = st.clone();
        let t = thread::spawn(move || assert!(!s2.unpark(old)));
        let token = AtomicU64::new(0);
        // Nobody may wake this park: cancel it instead of finishing.
        if let Begin::Parking(_) = st.begin() {
            assert!(!st.cancel(), "stale unpark left a permit");
        }
        let _ = token;
        t.join().unwrap();
    });
}

#[test]
fn spinning_m_never_misses_work() {
    loom::model(|| {
        // One P, held by the M, which is the one spinner and has found nothing.
        let spin = Arc::new(SpinState::new(0));
        spin.resume_spinning();
        let work = Arc::new(AtomicUsize::new(0));
        let handed = Arc::new(AtomicBool::new(false));
        let parker = Arc::new(Parker::new());

        let submitter = {
            let (spin, work, handed, parker) =
                (spin.clone(), work.clone(), handed.clone(), parker.clone());
            thread::spawn(move || {
                work.store(1, Release);
                if spin.should_wake() {
                    // startm: take the idle P, hand it to the idle M, wake it.
                    spin.p_left_idle();
                    handed.store(true, Release);
                    parker.unpark();
                }
            })
        };

        // The M: give the P back, stop spinning, re-check, park.
        spin.p_went_idle();
        spin.end_spinning();
        if work.load(Acquire) == 0 {
            while !handed.load(Acquire) {
                parker.park(None);
            }
            assert_eq!(work.load(Acquire), 1, "woken without work");
        }
        submitter.join().unwrap();
    });
}
