//! Loom models of P ownership (`ownership.rs`): an M back from goroutine code claims its P
//! with a store and a load (the light fence) while sysmon retakes it (a CAS to `Retaking`,
//! the heavy fence, a second look at the M's mark, its hog re-check answering yes or no).
//!
//! Modelled, with the real `PWord` (`acquire`, `claim`, `enter_syscall`, `exit_syscall`,
//! `set_idle`, `retake_user`, `retake_syscall`) and `UserMark` (`enter`): claims in two
//! switches in a row; a `blocking` call entered and left; a claim followed by putting the P
//! on the idle list and another thread acquiring it; a hand-over at the same seq to a second
//! M that runs goroutine code with the same token, sysmon reading either M's mark. Whoever
//! believes it owns the P touches its owner half (a loom `UnsafeCell`), so two owners at once
//! is a data race loom reports. Under loom each fence of the asymmetric pair is a `SeqCst`
//! fence, which is the guarantee `membarrier` gives the pair (loom's `SeqCst` fence is, if
//! anything, stronger).
//!
//! Not modelled: more than one sysmon attempt, a retake followed by `handoffp`, the M's
//! other fields (`M::claim` is `PWord::claim` plus bookkeeping on the M's own thread).
//!
//! Teeth: with the light fence in `PWord::claim` removed, loom finds two owners in all four.

use loom::sync::Arc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, Ordering::*};
use loom::thread;

use crate::ownership::{PStatus, PWord, UserMark, token};

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
