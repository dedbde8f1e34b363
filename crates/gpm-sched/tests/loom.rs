//! Loom models of gpm-sched's two lock-free protocols (run with
//! `RUSTFLAGS="--cfg gpm_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gpm-sched --test loom`).
//!
//! 1. park/unpark (`park/state.rs`): a goroutine parking (permit check, switch, the M's park), a waker
//!    and a timer racing: the G is made runnable exactly once if it parked, never if it
//!    consumed a permit, and never while its stack is still in use.
//! 2. spinning/parking of Ms (`spinning`), reduced: one M that was spinning gives up its P,
//!    stops spinning and re-checks before parking, against one submitter that publishes
//!    work and runs the `wakep` gate. No lost wakeup: the model deadlocks (and loom fails)
//!    if the M parks while the work is unseen and nobody wakes it. Not covered: several Ms,
//!    stealing, the idle-M list (the submitter hands its wake-up straight to the one M).
//!    The model has teeth: with the fence in `SpinState::end_spinning` removed, loom reports
//!    the deadlock (the M parked, the work unseen, the submitter saw a spinner).
//! 3. P ownership (`ownership`): an M back from goroutine code claims its P with a store
//!    and a load (the light fence) while sysmon retakes it (CAS to `Retaking`, the heavy
//!    fence, a second look at the M's mark, its hog re-check answering yes or no). Four
//!    models: claims in two switches in a row; a `blocking` call entered and left; a claim
//!    followed by putting the P on the idle list and another thread acquiring it; a hand-over
//!    at the same seq to a second M that runs goroutine code with the same token, sysmon
//!    reading either M's mark. Whoever believes it owns the P touches its owner half (a loom
//!    `UnsafeCell`), so two owners at once is a data race loom reports. Under loom each fence
//!    of the asymmetric pair is a `SeqCst` fence, which is the guarantee `membarrier` gives
//!    the pair (loom's `SeqCst` fence is, if anything, stronger). Not modelled: more than
//!    one sysmon attempt, a retake followed by `handoffp`. The models have teeth: with the
//!    light fence removed, loom finds two owners in all four.
//! 4. Who frees a finished goroutine's task (`joinstate`): the goroutine finishing against
//!    its handle joining (registering, parking until released), detaching, or registering
//!    and then abandoning the wait (a joiner unwound). The task's result and waiter are
//!    loom cells and the free is a write to a third: a read after the free, or a free that
//!    is not ordered after the other party's last read, is a race loom reports, and the
//!    models count exactly one free. Teeth: with `finish` Relaxed, loom reports the race.
//!    Not caught: `release` moved before the goroutine's read of the waiter (loom's clocks
//!    advance only at atomic operations, so a plain read right after the store looks
//!    ordered before it).

#![cfg(gpm_loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use loom::thread;

use loom::cell::UnsafeCell;

use gpm_sched::joinstate::{JoinState, Left};
use gpm_sched::ownership::{PStatus, PWord, UserMark, token};
use gpm_sched::park::parker::Parker;
use gpm_sched::park::state::{EMPTY, NOTIFIED, ParkState};
use gpm_sched::spinning::SpinState;

/// What the parking side observed.
fn park_side(st: &ParkState, token_out: &AtomicU64) -> bool {
    if st.try_consume() {
        return false;
    }
    // The switch to the M happens here; the M then parks the G (or finds a permit).
    match st.park() {
        Some(token) => {
            token_out.store(token | 1 << 63, Release);
            true
        }
        None => false,
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
        // Nobody may wake this G: no permit may appear.
        assert!(!st.try_consume(), "stale unpark left a permit");
        t.join().unwrap();
        assert_eq!(st.state(), EMPTY, "stale unpark changed the state");
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

/// A P acquired with seq `seq` by M1, the marks of M1 and of a second M, and the P's owner
/// half.
struct OwnedP {
    word: PWord,
    m1: UserMark,
    m2: UserMark,
    owner_half: UnsafeCell<u64>,
    /// M1 handed the P over (to idle, or to M2).
    handed: AtomicBool,
}

// SAFETY: the owner half is touched only by whoever owns the P: what the model checks.
unsafe impl Sync for OwnedP {}

impl OwnedP {
    fn new() -> (Arc<OwnedP>, u64) {
        let p = OwnedP {
            word: PWord::new(),
            m1: UserMark::new(),
            m2: UserMark::new(),
            owner_half: UnsafeCell::new(0),
            handed: AtomicBool::new(false),
        };
        let seq = p.word.acquire();
        (Arc::new(p), seq)
    }

    /// What an owner does with the P (loom reports two unordered owners as a race).
    fn touch(&self) {
        self.owner_half.with_mut(|v| {
            // SAFETY: the caller believes it owns the P; loom checks that belief.
            unsafe { *v += 1 };
        });
    }

    /// sysmon's retake, reading `mark` as the owner's (M1's, or M2's after a hand-over),
    /// with its hog re-check answering `still`. `true` if it took the P (and used it).
    fn sysmon_retake(&self, mark: &UserMark, still: bool) -> bool {
        let w = self.word.load();
        let taken = match PWord::status_of(w) {
            PStatus::Running => {
                self.word.retake_user(w, mark, token(0, PWord::seq_of(w)), || still)
            }
            PStatus::Syscall => self.word.retake_syscall(w),
            _ => None,
        };
        if taken.is_some() {
            self.touch();
        }
        taken.is_some()
    }
}

/// Every model's start: M1 owns a fresh P and resumes a G (its mark holds the token), and
/// sysmon, reading M1's or M2's mark and answering `still`, tries to retake the P.
/// Returns the P, its seq and token, and sysmon's thread (`true`: it took the P).
fn running_with_sysmon(
    mark_of_m2: bool,
    still: bool,
) -> (Arc<OwnedP>, u64, u64, thread::JoinHandle<bool>) {
    let (p, seq) = OwnedP::new();
    let tok = token(0, seq);
    p.m1.enter(tok);
    let s = p.clone();
    let sysmon =
        thread::spawn(move || s.sysmon_retake(if mark_of_m2 { &s.m2 } else { &s.m1 }, still));
    (p, seq, tok, sysmon)
}

#[test]
fn claim_and_retake_never_both_own() {
    for still in [true, false] {
        loom::model(move || {
            let (p, seq, tok, sysmon) = running_with_sysmon(false, still);
            // Back from the switch (or a spawn from goroutine code): claim, use, give back,
            // and claim once more (the next switch).
            let mut owned = 0;
            for _ in 0..2 {
                if !p.word.claim(&p.m1, seq, tok) {
                    break;
                }
                owned += 1;
                p.touch();
                p.m1.enter(tok);
            }
            let retaken = sysmon.join().unwrap();
            let w = p.word.load();
            assert!(!retaken || still, "retaken although the hog check said no");
            if retaken {
                // (The M may have claimed twice: sysmon took the P in the user period that
                // followed; the owner half's race check covers the rest.)
                assert_eq!(w, (seq + 8) | PStatus::Running as u64, "retaken: word {w:#x}");
            } else {
                assert_eq!(owned, 2, "not retaken, yet a claim failed");
                assert_eq!(w, seq | PStatus::Running as u64, "word left at {w:#x}");
            }
        });
    }
}

#[test]
fn syscall_and_retake_never_both_own() {
    loom::model(|| {
        let (p, seq, tok, sysmon) = running_with_sysmon(false, true);
        // The G calls `blocking`: enter (the P is not touched inside) and exit; back in
        // goroutine code, it switches to its M, which claims the P and uses it.
        let entered = p.word.enter_syscall(seq);
        let kept = entered && p.word.exit_syscall(seq) && p.word.claim(&p.m1, seq, tok);
        if kept {
            p.touch();
        }
        let retaken = sysmon.join().unwrap();
        assert_eq!(kept, !retaken, "kept = {kept}, retaken = {retaken}");
    });
}

/// The M claims, uses the P and puts it on the idle list, where another thread acquires it
/// (a new seq) and uses it, while sysmon retakes: sysmon's CAS must fail on the idle or
/// re-acquired word.
#[test]
fn claim_then_idle_and_reacquire_against_retake() {
    for still in [true, false] {
        loom::model(move || {
            let (p, seq, tok, sysmon) = running_with_sysmon(false, still);
            let owned = p.word.claim(&p.m1, seq, tok);
            let other = owned.then(|| {
                p.touch();
                p.word.set_idle(seq);
                p.handed.store(true, Release);
                let p2 = p.clone();
                thread::spawn(move || {
                    let _ = p2.word.acquire();
                    p2.touch();
                })
            });
            let retaken = sysmon.join().unwrap();
            if let Some(t) = other {
                t.join().unwrap();
            }
            assert_ne!(owned, retaken, "owned = {owned}, retaken = {retaken}");
        });
    }
}

/// M1 claims and hands the P over at the same seq to M2 (as `hand_to_locked_m` and
/// `startm(Some(p))` do), which runs goroutine code with the same token and claims; sysmon
/// reads either M's mark (a stale or a fresh `owner_mark`).
#[test]
fn same_seq_hand_over_against_retake() {
    for (mark_of_m2, still) in [(false, true), (true, true), (true, false)] {
        loom::model(move || {
            let (p, seq, tok, sysmon) = running_with_sysmon(mark_of_m2, still);
            let m2 = {
                let p = p.clone();
                thread::spawn(move || {
                    if !p.handed.load(Acquire) {
                        return;
                    }
                    p.touch();
                    p.m2.enter(tok);
                    if p.word.claim(&p.m2, seq, tok) {
                        p.touch();
                    }
                })
            };
            if p.word.claim(&p.m1, seq, tok) {
                p.touch();
                p.handed.store(true, Release);
            }
            m2.join().unwrap();
            sysmon.join().unwrap();
        });
    }
}

/// A task as `spawn.rs` keeps it, reduced to what the free protocol orders.
struct ModelTask {
    state: JoinState,
    result: UnsafeCell<Option<u32>>,
    /// The joiner's thread, written before it registers.
    waiter: UnsafeCell<Option<thread::Thread>>,
    /// Written by whoever frees; a touch of the task after it is a race.
    freed: UnsafeCell<bool>,
    frees: AtomicUsize,
}

impl ModelTask {
    fn new() -> Arc<ModelTask> {
        Arc::new(ModelTask {
            state: JoinState::new(),
            result: UnsafeCell::new(None),
            waiter: UnsafeCell::new(None),
            freed: UnsafeCell::new(false),
            frees: AtomicUsize::new(0),
        })
    }

    fn free(&self) {
        self.freed.with_mut(|f| {
            // SAFETY: loom checks that nobody else touches the task now.
            assert!(!unsafe { *f }, "task freed twice");
            // SAFETY: as above.
            unsafe { *f = true };
        });
        self.frees.fetch_add(1, Relaxed);
    }

    fn alive(&self) {
        // SAFETY: a read of the free marker; loom reports it racing a free.
        self.freed.with(|f| assert!(!unsafe { *f }, "task used after its free"));
    }

    /// The goroutine's finish (`Packet::finish`).
    fn finish(&self) {
        self.alive();
        // SAFETY: only the finisher writes the result, before `DONE`.
        self.result.with_mut(|r| unsafe { *r = Some(7) });
        match self.state.finish() {
            Left::Joiner => {
                self.alive();
                // SAFETY: the joiner wrote it before registering and frees after RELEASED.
                let t = self.waiter.with(|w| unsafe { (*w).clone() });
                self.state.release();
                t.expect("a registered joiner left its thread").unpark();
            }
            Left::Nobody => self.free(),
            Left::Handle => {}
        }
    }

    /// The handle taking the result and freeing (after `DONE`, or `RELEASED` if registered).
    fn take_and_free(&self) {
        self.alive();
        // SAFETY: the finisher wrote it before DONE and is done with the task.
        assert_eq!(self.result.with_mut(|r| unsafe { (*r).take() }), Some(7));
        self.free();
    }
}

/// How the handle ends.
#[derive(Clone, Copy)]
enum HandleEnd {
    Join,
    Detach,
    /// Register, then unwind out of the wait without parking.
    Abandon,
}

#[test]
fn task_freed_once_after_every_use() {
    for end in [HandleEnd::Join, HandleEnd::Detach, HandleEnd::Abandon] {
        loom::model(move || {
            let task = ModelTask::new();
            let g = {
                let task = task.clone();
                thread::spawn(move || task.finish())
            };
            match end {
                HandleEnd::Join => {
                    if !task.state.is_done() {
                        // SAFETY: only the joiner writes the waiter, before registering.
                        task.waiter.with_mut(|w| unsafe { *w = Some(thread::current()) });
                        if task.state.wait() {
                            while !task.state.is_released() {
                                thread::park();
                            }
                        }
                    }
                    task.take_and_free();
                }
                HandleEnd::Detach => {
                    if !task.state.detach() {
                        task.take_and_free();
                    }
                }
                HandleEnd::Abandon => {
                    // SAFETY: as in `Join`.
                    task.waiter.with_mut(|w| unsafe { *w = Some(thread::current()) });
                    if task.state.wait() {
                        if !task.state.abandon() {
                            task.take_and_free();
                        }
                    } else {
                        task.take_and_free();
                    }
                }
            }
            g.join().unwrap();
            assert_eq!(task.frees.load(Relaxed), 1, "exactly one free");
        });
    }
}
