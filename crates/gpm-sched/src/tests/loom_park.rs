//! Loom models of parking: a goroutine's park word (`park/state.rs`) and a thread's parker
//! (`park/parker.rs`, reached through the public `park` / `Unparker` of a plain thread).
//!
//! Modelled, with the real functions:
//! 1. A goroutine parking (`ParkState::try_consume`, the switch, the M's `ParkState::park`)
//!    against a waker (`unpark`) and a timer armed for that park (`timeout`): the G is made
//!    runnable exactly once if it parked, never if it consumed a permit; a stale waker (an
//!    `Unparker` of the G's previous life, after `new_life`) wakes nobody and leaves no
//!    permit.
//! 2. A plain thread in `park::park` / `park_deadline` against `Unparker::unpark` from
//!    another thread (`park_thread` and `thread_waiter` as shipped, over a `Parker` built on
//!    loom's atomic and `park`): the permit is never lost (else loom reports a deadlock), and
//!    what the waker wrote before `unpark` is visible after the park returns (a loom cell, so
//!    a missing Release/Acquire pair is a data race loom reports). A timed park may time out
//!    (loom has no clock: `sync::deadline_passed` is true at its first look), and then the
//!    late permit stays for the next park.
//!
//! Not modelled: the switch itself (a G's stack is not a loom object; the models take "the
//! M runs `park` after the switch" as one step), the pre-park spin (`multicore()` is false
//! under loom), spurious futex wake-ups (loom's `park` has none; `Parker::park` loops on
//! them anyway), wrap-around of the park counter.
//!
//! Teeth: with `Parker::unpark`'s swap made `Relaxed`, model 2 reports the race on the
//! waker's cell; with `ParkState::unpark` leaving no permit when it finds the G not parked,
//! model 1 finds a parked G nobody readied. Not caught: a weaker ordering on the park word
//! alone (no data rides on it in these models; the G's stack is not a loom object).

use loom::sync::Arc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use loom::thread;

use crate::park::state::{EMPTY, NOTIFIED, ParkState};
use crate::park::{WaitReason, park, park_deadline, unparker};

/// The parking side: step 1 on the goroutine, then (after the switch) step 2 on the M.
/// `true` if the G parked; its park token is published in `token_out` for a timer.
fn park_side(st: &ParkState, token_out: &AtomicU64) -> bool {
    if st.try_consume() {
        return false;
    }
    match st.park() {
        Some(token) => {
            token_out.store(token | 1 << 63, Release);
            true
        }
        None => false,
    }
}

/// A waker thread holding `generation`: counts the G it readied.
fn waker(
    st: &Arc<ParkState>,
    generation: u32,
    readied: &Arc<AtomicUsize>,
) -> thread::JoinHandle<()> {
    let (st, readied) = (st.clone(), readied.clone());
    thread::spawn(move || {
        if st.unpark(generation) {
            readied.fetch_add(1, Relaxed);
        }
    })
}

#[test]
fn park_unpark_no_lost_or_double_wakeup() {
    loom::model(|| {
        let st = Arc::new(ParkState::new());
        let token = AtomicU64::new(0);
        let readied = Arc::new(AtomicUsize::new(0));
        let w = waker(&st, st.generation(), &readied);
        let parked = park_side(&st, &token);
        w.join().unwrap();
        let r = readied.load(Relaxed);
        assert_eq!(r, usize::from(parked), "readied {r} times; parked = {parked}");
        // Parked and readied, or the permit was consumed: nothing is left either way.
        assert_eq!(st.state(), EMPTY, "state left behind");
    });
}

#[test]
fn park_with_timer_wakes_once() {
    loom::model(|| {
        let st = Arc::new(ParkState::new());
        let token = Arc::new(AtomicU64::new(0));
        let readied = Arc::new(AtomicUsize::new(0));
        let w = waker(&st, st.generation(), &readied);
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
        w.join().unwrap();
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
        assert!(!st.try_consume(), "stale unpark left a permit");
        t.join().unwrap();
        assert_eq!(st.state(), EMPTY, "stale unpark changed the state");
    });
}

/// What a waker hands the parked thread: written before `unpark`, read after the park.
struct Mail(UnsafeCell<u32>);

// SAFETY: the cell is written by the waker before its `unpark` and read by the parker after
// its park returned; loom checks that this order is a happens-before.
unsafe impl Sync for Mail {}

#[test]
fn thread_park_sees_what_the_waker_wrote() {
    loom::model(|| {
        let me = unparker();
        let mail = Arc::new(Mail(UnsafeCell::new(0)));
        let t = {
            let mail = mail.clone();
            thread::spawn(move || {
                // SAFETY: the parker reads only after the park returns (see `Mail`).
                mail.0.with_mut(|m| unsafe { *m = 7 });
                me.unpark();
            })
        };
        park(WaitReason::Park);
        // SAFETY: the waker's write is ordered before its unpark, consumed by the park.
        assert_eq!(mail.0.with(|m| unsafe { *m }), 7);
        t.join().unwrap();
    });
}

#[test]
fn timed_thread_park_keeps_a_late_permit() {
    loom::model(|| {
        let me = unparker();
        let t = thread::spawn(move || me.unpark());
        let deadline = Some(std::time::Instant::now());
        if !park_deadline(WaitReason::Park, deadline) {
            // Timed out first: the permit arrives (or has arrived) and is not lost.
            t.join().unwrap();
            assert!(park_deadline(WaitReason::Park, deadline), "late permit lost");
        } else {
            t.join().unwrap();
        }
        // One unpark, one permit: it has been consumed.
        assert!(!park_deadline(WaitReason::Park, deadline), "a second permit appeared");
    });
}
