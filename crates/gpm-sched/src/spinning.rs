//! Spinning and parking of Ms: the counters and the two fenced steps that keep a wake-up
//! from being lost (Go's "Worker thread parking/unparking", proc.go).
//!
//! # The problem
//! Keep enough Ms running to use every P that has work, but park the rest on a futex (no
//! busy-waiting), and never leave work queued while an idle P exists and every M sleeps.
//!
//! # Rejected designs (as Go lists them)
//! 1. *Centralised state*: one lock around all scheduler state — serialises every spawn.
//! 2. *Direct hand-off*: on new work, unpark an M and hand it a P — thrashes: the readying M
//!    may itself run out of work a moment later, and the new M has nothing to do.
//! 3. *Wake on every spawn with an idle P*: thread churn, and an M woken per goroutine.
//!
//! # The protocol
//! An M is *spinning* while it has no work and looks for some (global queue, stealing,
//! timers). An M may start spinning only while `2 × spinning < busy Ps`, busy meaning not
//! idle ([`SpinState::try_begin_spinning`], Go's check in `findRunnable`): spinners number
//! about half the busy Ps (the check and the increment are separate, so racing Ms may pass
//! it together), and fewer as the machine idles. The one slot a submitter claims in
//! `should_wake` skips the check.
//! * Submitting work ([`SpinState::should_wake`], Go's `wakep`): after publishing the work,
//!   if an idle P exists and *no* M spins, claim the one spinner slot (CAS 0 → 1) and start
//!   an M with it. A spinner already running will find the work, so nobody else is woken.
//!   Exception: a G pushed into the submitter's own `runnext` with nothing else queued wakes
//!   nobody (`runnext.rs`, rule 3; sysmon covers a submitter that keeps the CPU).
//! * A spinner that finds work stops spinning and, if it was the last one, calls `wakep`
//!   itself (Go's `resetspinning`): the next M goes looking for the *rest* of the work.
//! * A spinner that finds nothing releases its P, then stops spinning
//!   ([`SpinState::end_spinning`]), then re-checks every queue, and only then parks: the
//!   whole step is [`SpinState::give_up_and_recheck`], which `find_runnable` runs and the
//!   loom model calls.
//!
//! # The race, and the fence
//! Submitter: push work; read `nmspinning`. Spinner: decrement `nmspinning`; read queues.
//! With plain release/acquire both reads may see the old values (a store-buffering
//! litmus): the submitter sees a spinner and wakes nobody, the spinner sees no work and
//! parks — the work is stranded. A `SeqCst` fence between each side's write and read
//! forbids that outcome: whichever fence is first in the single total order, the other
//! side's read sees the first side's write. The same pair of fences orders `npidle` (a P
//! released before the re-check) against a submitter that reads `npidle == 0`.
//! `src/tests/loom_spinning.rs` checks it (one submitter, one M, the real `Global` queue and
//! `Parker`) for a lost wake-up.

use crate::sync::{AtomicU32, Ordering::*, fence};

/// The spinning and idle-P counters shared by all Ms of a runtime.
#[derive(Debug)]
pub(crate) struct SpinState {
    /// Ms spinning (Go's `sched.nmspinning`).
    nmspinning: AtomicU32,
    /// Ps on the idle list (Go's `sched.npidle`); changed by the idle list's owner.
    npidle: AtomicU32,
}

impl SpinState {
    /// No spinner, `npidle` idle Ps.
    pub(crate) fn new(npidle: u32) -> SpinState {
        SpinState { nmspinning: AtomicU32::new(0), npidle: AtomicU32::new(npidle) }
    }

    /// Ms spinning now.
    pub(crate) fn spinning(&self) -> u32 {
        self.nmspinning.load(Relaxed)
    }

    /// Idle Ps now.
    pub(crate) fn idle_ps(&self) -> u32 {
        self.npidle.load(Relaxed)
    }

    /// A P went onto the idle list. SeqCst: it is one of the writes the fence in
    /// `end_spinning` orders against a submitter's read (see the module docs).
    pub(crate) fn p_went_idle(&self) {
        self.npidle.fetch_add(1, SeqCst);
    }

    /// A P left the idle list.
    pub(crate) fn p_left_idle(&self) {
        self.npidle.fetch_sub(1, SeqCst);
    }

    /// Submitter side, after publishing work: the `SeqCst` fence, then `true` if an idle P
    /// exists and no M spins — in which case this call claimed the spinner slot and the
    /// caller must start a spinning M (or give the slot back with [`Self::cancel_wake`]).
    #[inline]
    pub(crate) fn should_wake(&self) -> bool {
        // SeqCst fence: the submitter half of the store-buffering pair (module docs).
        fence(SeqCst);
        self.npidle.load(Relaxed) != 0 && self.claim_spinner()
    }

    /// As [`Self::should_wake`] without the fence, for work pushed onto the submitter's *own
    /// running* P's local queue. Missing a concurrently parking spinner here loses no work:
    /// the submitter's P runs its own queue when its current goroutine switches away (and
    /// sysmon hands the P on if that goroutine hogs it), so the cost of the race is a moment
    /// of lost parallelism, not a stranded goroutine — and the hot paths (spawn and ready
    /// from a goroutine) skip a full fence. Go's `wakep` after `runqput` makes the same trade.
    #[inline]
    pub(crate) fn should_wake_local(&self) -> bool {
        self.npidle.load(Relaxed) != 0 && self.claim_spinner()
    }

    /// Go's `wakep` gate without the idle-P test: claim the spinner slot if nobody spins.
    pub(crate) fn claim_spinner(&self) -> bool {
        // SeqCst: part of the total order the parking fences rely on.
        self.nmspinning.load(Relaxed) == 0
            && self.nmspinning.compare_exchange(0, 1, SeqCst, Relaxed).is_ok()
    }

    /// The claimed slot is not used (no idle P after all).
    pub(crate) fn cancel_wake(&self) {
        self.nmspinning.fetch_sub(1, SeqCst);
    }

    /// An M with no work asks to spin: allowed while `2 × spinning < busy Ps`.
    pub(crate) fn try_begin_spinning(&self, procs: u32) -> bool {
        let busy = procs.saturating_sub(self.npidle.load(Relaxed));
        let spinning = self.nmspinning.load(Relaxed);
        if 2 * spinning >= busy {
            return false;
        }
        self.nmspinning.fetch_add(1, SeqCst);
        true
    }

    /// An M that was handed the spinner slot (by `should_wake`) or took it back after a
    /// re-check found work.
    pub(crate) fn resume_spinning(&self) {
        self.nmspinning.fetch_add(1, SeqCst);
    }

    /// The last step of an M that found no work, before it parks (Go's `findRunnable` tail):
    /// `give_up_p` puts its P on the idle list (which counts it, `p_went_idle`); then the M
    /// stops spinning ([`Self::end_spinning`]), or, if it was not spinning, runs the same
    /// `SeqCst` fence bare (a submitter that read `npidle == 0` relied on this P's owner);
    /// then `recheck` looks at the queues again. Returns what `recheck` said: `true`, there
    /// is work after all, and the caller takes a P back (and, if it was spinning, its
    /// spinner slot with [`Self::resume_spinning`]) instead of parking.
    #[cold]
    pub(crate) fn give_up_and_recheck(
        &self,
        was_spinning: bool,
        give_up_p: impl FnOnce(),
        recheck: impl FnOnce() -> bool,
    ) -> bool {
        give_up_p();
        if was_spinning {
            self.end_spinning();
        } else {
            // SeqCst fence: the parker half of the store-buffering pair (module docs).
            fence(SeqCst);
        }
        recheck()
    }

    /// A spinner stops spinning. Returns how many spin now. Followed by the `SeqCst` fence:
    /// the caller must re-check every queue *after* this call before parking.
    pub(crate) fn end_spinning(&self) -> u32 {
        let prev = self.nmspinning.fetch_sub(1, SeqCst);
        assert!(prev > 0, "SpinState::end_spinning: not spinning; nmspinning = {prev}");
        // SeqCst fence: the parker half of the store-buffering pair (module docs).
        fence(SeqCst);
        prev - 1
    }
}
