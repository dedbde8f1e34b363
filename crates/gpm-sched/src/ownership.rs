//! Who owns a P, and how an M takes its P back after running goroutine code with no locked
//! instruction: the P's status word, the M's user mark, and the asymmetric claim.
//!
//! # The problem
//! While an M runs a goroutine's code, sysmon may take the M's P away (the goroutine hogs
//! the CPU, or sits in `blocking`). When the goroutine switches back to the M, or calls into
//! the scheduler (spawn, ready), the M must learn whether it still owns the P, and from that
//! moment sysmon must not take it. That is a store-load handshake in both directions
//! (Dekker's): the M says "I am back" and looks for a retake; sysmon says "I am retaking"
//! and looks whether the M is back. With ordinary atomics one side or the other needs a
//! full fence or a CAS, and the M's side runs on every switch (a `lock cmpxchg` was a fifth
//! of a `yield_now`), while sysmon's runs once per 10 ms hog.
//!
//! # The protocol
//! * The P's word ([`PWord`]): `seq << 3 | status`. `seq` counts acquisitions, so an M that
//!   lost its P can never mistake a later owner's state for its own.
//! * The M's user mark ([`UserMark`]): the [`token`] of the (P, seq) whose goroutine code the
//!   M runs now, or 0 while the M is in the scheduler. Written only by its M.
//!
//! The M, owning its P with `seq`:
//! 1. [`UserMark::enter`] before it resumes a G, and when goroutine code is done with the P
//!    (Release: the owner half it wrote is published to a sysmon that then sees the token).
//! 2. [`PWord::claim`] after the switch back, and before goroutine code touches the P:
//!    mark = 0; light fence; load the word. `seq | Running`: still ours, no locked
//!    instruction. `seq | Retaking`: sysmon is deciding; the M puts the token back in its
//!    mark (it touches nothing of the P), waits until the word leaves `Retaking`, and
//!    claims again. Any other seq: retaken.
//!
//! sysmon, retaking a P it saw in `seq | Running` whose owner's mark held the token
//! ([`PWord::retake_user`]):
//! 1. CAS `seq | Running → seq | Retaking`;
//! 2. heavy fence (`membarrier`): every thread of the process executes a full barrier;
//! 3. if the mark holds the token (and the caller's hog check still holds), CAS
//!    `seq | Retaking → seq+1 | Running`: the P is sysmon's; otherwise CAS it back to
//!    `seq | Running`. (Either CAS fails only if the M entered `blocking` or went idle
//!    meanwhile, from `Retaking`.)
//!
//! Why never two owners: the light and the heavy fence act as a pair of `SeqCst` fences
//! (`gpm_stack::asymmetric_heavy` says why). So if the M's load in its step 2 did not see
//! `Retaking`, sysmon's load of the mark in its step 3 sees the M's 0 or a later value, and
//! the only later value is the token of a new user period — written, with Release, after
//! the M finished with the owner half. If the M's load did see `Retaking`, the M touches
//! nothing until the word leaves `Retaking`, and then claims again from step 2: sysmon's
//! decision, whichever it is, was safe. A syscall enters by CAS from
//! `Running` or `Retaking` (sysmon's CAS then fails) and leaves by CAS, and sysmon takes a
//! P in `Syscall` by CAS: no fence needed there. `acquire` is a plain store (sysmon ignores
//! idle Ps); `set_idle` is a CAS from `Running` or `Retaking` (by the M in its loop, which
//! by the argument above sysmon cannot retake).
//!
//! # The claim as a value
//! [`OwnedP`] is the ownership this protocol grants, as a value: only the functions of this
//! module make one, each at the step that makes its caller the P's owner (taken off the
//! idle list, claimed back from goroutine code, retaken by sysmon, handed over by the
//! previous owner), and the P's owner half is reached only through it (`OwnedP::core`, in
//! `p.rs`). It is neither `Clone` nor `Send`, and whatever gives the P up consumes it
//! (`OwnedP::lend` before goroutine code runs, `OwnedP::hand_over` for another thread,
//! `Sched::pidleput`): code that holds no `OwnedP` cannot touch a run queue, and the
//! borrow checker sees every `&mut` the owner half gives out. The two makers that the
//! types cannot check, [`OwnedP::claim`] (which the M's bookkeeping makes safe, `M::claim`)
//! and [`OwnedP::assume`] (runtime drop), are `unsafe fn`s that say what their caller
//! promises.
//!
//! Rejected: a CAS `Executing → Running` per switch (the old claim: one locked instruction
//! per switch and per spawn and wake-up); a per-P lock (two, and a line sysmon bounces);
//! letting a hog keep its P (one CPU-bound goroutine would starve its P's whole queue).
//! Where the heavy fence is unavailable ([`heavy_fence`] fails), sysmon never retakes a P
//! from running goroutine code (it still retakes Ps stuck in `blocking`).

use std::marker::PhantomData;

use crate::p::P;
use crate::sync::{AtomicU64, Ordering::*};

/// P status (low 3 bits of the word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum PStatus {
    /// On the idle list.
    Idle = 0,
    /// Owned by an M: in its schedule loop, or running a goroutine (see the M's mark).
    Running = 1,
    /// Its M is inside `blocking`.
    Syscall = 3,
    /// sysmon is deciding whether to take it from its M (see the module docs).
    Retaking = 4,
}

const STATUS: u64 = 7;
const SEQ_ONE: u64 = 8;
const RUNNING: u64 = PStatus::Running as u64;
const SYSCALL: u64 = PStatus::Syscall as u64;
const RETAKING: u64 = PStatus::Retaking as u64;
const IDLE: u64 = PStatus::Idle as u64;

/// The token an M's mark holds while it runs goroutine code on P `id` acquired with `seq`:
/// unique per (P, acquisition), never 0.
pub fn token(id: usize, seq: u64) -> u64 {
    debug_assert!(id < 1 << 9, "token: P id out of range; value = {id}");
    (seq >> 3) << 10 | (id as u64) << 1 | 1
}

/// The light half of the asymmetric fence pair (a compiler barrier; a `SeqCst` fence under
/// loom, which models the pair as two such fences).
#[inline(always)]
fn light_fence() {
    #[cfg(gpm_loom)]
    crate::sync::fence(SeqCst);
    #[cfg(not(gpm_loom))]
    gpm_stack::asymmetric_light();
}

/// The heavy half: `membarrier(2)`. `false` if the system has none.
pub fn heavy_fence() -> bool {
    #[cfg(gpm_loom)]
    {
        crate::sync::fence(SeqCst);
        true
    }
    #[cfg(not(gpm_loom))]
    gpm_stack::asymmetric_heavy()
}

/// Whether the user code of `word`'s owner can be retaken (a heavy fence exists here).
pub fn can_retake_user() -> bool {
    #[cfg(gpm_loom)]
    {
        true
    }
    #[cfg(not(gpm_loom))]
    gpm_stack::asymmetric_supported()
}

/// An M's user mark: the token of the P whose goroutine code it runs, or 0.
#[derive(Debug, Default)]
pub struct UserMark(AtomicU64);

impl UserMark {
    /// 0: in the scheduler.
    pub fn new() -> UserMark {
        UserMark(AtomicU64::new(0))
    }

    /// Step 1: the M runs goroutine code on the P named by `token` from now on. Release:
    /// publishes the owner half to a sysmon that sees the token (Acquire in `retake_user`).
    #[inline]
    pub fn enter(&self, token: u64) {
        self.0.store(token, Release);
    }

    /// The token now (sysmon's look). Acquire: pairs with the Release in `enter`.
    pub fn get(&self) -> u64 {
        self.0.load(Acquire)
    }
}

/// A P's status word; see the module docs.
#[derive(Debug)]
pub struct PWord(AtomicU64);

impl PWord {
    /// Idle, seq 0.
    pub fn new() -> PWord {
        PWord(AtomicU64::new(IDLE))
    }

    /// The raw word. Acquire: a reader that then takes the P by CAS sees its owner half.
    #[inline]
    pub fn load(&self) -> u64 {
        self.0.load(Acquire)
    }

    /// The word as its owner sees it. Relaxed: the owner wrote the seq, or read it with
    /// Acquire when it became the owner, and no one else changes it (`OwnedP::seq`).
    #[inline]
    fn load_owned(&self) -> u64 {
        self.0.load(Relaxed)
    }

    /// The status part of a word.
    pub fn status_of(word: u64) -> PStatus {
        match word & STATUS {
            0 => PStatus::Idle,
            1 => PStatus::Running,
            3 => PStatus::Syscall,
            4 => PStatus::Retaking,
            s => panic!("PWord::status_of: no such status; value = {s}"),
        }
    }

    /// The seq part of a word (what an owner holds).
    pub fn seq_of(word: u64) -> u64 {
        word & !STATUS
    }

    /// Taken off the idle list: a new seq, `Running`. A plain store: sysmon ignores idle
    /// Ps. Release: pairs with the Acquire of whoever takes it next. Returns the seq.
    pub fn acquire(&self) -> u64 {
        let w = self.0.load(Relaxed);
        debug_assert_eq!(w & STATUS, IDLE, "PWord::acquire: not idle; word = {w:#x}");
        let seq = PWord::seq_of(w) + SEQ_ONE;
        self.0.store(seq | RUNNING, Release);
        seq
    }

    /// Given back by its owner (in its schedule loop, or the thread that retook it) to go
    /// on the idle list. A CAS, since sysmon may have put `Retaking` there meanwhile (its
    /// own CAS then fails: it cannot have decided to retake, see the module docs).
    pub fn set_idle(&self, seq: u64) {
        let mut w = self.0.load(Relaxed);
        loop {
            assert!(
                w == seq | RUNNING || w == seq | RETAKING,
                "PWord::set_idle: P not owned with seq {seq:#x}; word = {w:#x}"
            );
            // Release: publishes the owner half to the next owner.
            match self.0.compare_exchange_weak(w, seq | IDLE, Release, Relaxed) {
                Ok(_) => return,
                Err(now) => w = now,
            }
        }
    }

    /// Step 2: the M with `mark`, owner with `seq` (`token` names both), is back from
    /// goroutine code. `true`: it still owns the P (and sysmon cannot take it until the
    /// next `enter`); `false`: the P was retaken.
    #[inline]
    pub fn claim(&self, mark: &UserMark, seq: u64, token: u64) -> bool {
        mark.0.store(0, Relaxed);
        light_fence();
        // Relaxed: when the P is still ours, the owner half holds our own writes (sysmon
        // writes none unless it retakes, which changes the seq).
        if self.0.load(Relaxed) == seq | RUNNING {
            return true;
        }
        self.claim_slow(mark, seq, token)
    }

    /// The word was not `seq | Running`: retaken, or sysmon is deciding. While it decides,
    /// the M says again that it runs goroutine code (it touches nothing of the P) and waits
    /// for the decision, then claims afresh. Taking the P back by CAS instead would let a
    /// goroutine that claims every few hundred nanoseconds (a hog spawning in a loop) win
    /// every retake: each one spans a `membarrier` call.
    #[cold]
    fn claim_slow(&self, mark: &UserMark, seq: u64, token: u64) -> bool {
        let mut spins = 0u32;
        loop {
            let w = self.0.load(Acquire);
            if w == seq | RUNNING {
                // sysmon gave it back: claim again (its next attempt may have begun).
                mark.0.store(0, Relaxed);
                light_fence();
                if self.0.load(Relaxed) == seq | RUNNING {
                    return true;
                }
                continue;
            }
            if w != seq | RETAKING {
                debug_assert_ne!(PWord::seq_of(w), seq, "PWord::claim: own P in {w:#x}");
                return false;
            }
            // Release: as in `UserMark::enter`; sysmon's second look may now see the token.
            mark.0.store(token, Release);
            spins += 1;
            crate::sync::backoff(spins);
        }
    }

    /// `blocking` begins: `Running` (or `Retaking`, which this overrules) `→ Syscall`.
    /// `false`: the P was retaken already.
    pub fn enter_syscall(&self, seq: u64) -> bool {
        let mut w = self.0.load(Relaxed);
        loop {
            if w != seq | RUNNING && w != seq | RETAKING {
                return false;
            }
            // Release: the owner half is published to whoever retakes the P.
            match self.0.compare_exchange_weak(w, seq | SYSCALL, Release, Relaxed) {
                Ok(_) => return true,
                Err(now) => w = now,
            }
        }
    }

    /// `blocking` ends: `Syscall → Running`. `false`: sysmon retook the P meanwhile.
    #[inline]
    pub fn exit_syscall(&self, seq: u64) -> bool {
        // Acquire: pairs with the Release of `enter_syscall` (and of a retaker's hand-back).
        self.0.compare_exchange(seq | SYSCALL, seq | RUNNING, Acquire, Relaxed).is_ok()
    }

    /// sysmon: takes a P in `Syscall` (word `w`). On success the caller owns it with the
    /// returned seq, `Running`; the old owner's `exit_syscall` fails from now on.
    pub fn retake_syscall(&self, w: u64) -> Option<u64> {
        debug_assert_eq!(w & STATUS, SYSCALL);
        let seq = PWord::seq_of(w) + SEQ_ONE;
        // AcqRel: takes the owner half (Acquire) and publishes the new state.
        self.0.compare_exchange(w, seq | RUNNING, AcqRel, Relaxed).ok().map(|_| seq)
    }

    /// sysmon: takes a P seen `Running` in word `w` from an M running goroutine code on it
    /// (`mark` holding `token`), if `still()` agrees after the fence (the caller's hog check
    /// read again). On success the caller owns it with the returned seq, `Running`.
    pub fn retake_user(
        &self,
        w: u64,
        mark: &UserMark,
        token: u64,
        still: impl FnOnce() -> bool,
    ) -> Option<u64> {
        debug_assert_eq!(w & STATUS, RUNNING);
        let seq = PWord::seq_of(w);
        if mark.get() != token {
            return None;
        }
        // Step 1. AcqRel: ordered before the fence and the mark's load.
        if self.0.compare_exchange(w, seq | RETAKING, AcqRel, Relaxed).is_err() {
            return None;
        }
        // Steps 2 and 3. The mark's load is Acquire: pairs with the Release in `enter`.
        if heavy_fence() && mark.get() == token && still() {
            let next = seq + SEQ_ONE;
            // AcqRel: takes the owner half and publishes the new owner's state.
            if self.0.compare_exchange(seq | RETAKING, next | RUNNING, AcqRel, Relaxed).is_ok() {
                return Some(next);
            }
            return None;
        }
        // The M is back (or the hog moved on): hand the word back, unless the M did.
        let _ = self.0.compare_exchange(seq | RETAKING, seq | RUNNING, Release, Relaxed);
        None
    }
}

impl Default for PWord {
    fn default() -> Self {
        PWord::new()
    }
}

/// Ownership of a P, as a value (module docs, "The claim as a value"): the holder owns `P`
/// in status `Running` with `seq`, and only the holder touches its owner half.
#[must_use = "an OwnedP dropped without being given up strands its P"]
pub(crate) struct OwnedP<'a> {
    p: &'a P,
    /// The seq it was made with, to check `seq()` against.
    #[cfg(debug_assertions)]
    seq: u64,
    /// Not `Send`: a claim belongs to the thread that made it (`hand_over` crosses threads).
    _thread: PhantomData<*const ()>,
}

impl<'a> OwnedP<'a> {
    /// One pointer: the schedule loop moves it on every switch. The seq stays in the P's
    /// word (`seq()`).
    #[inline]
    fn new(p: &'a P, seq: u64) -> OwnedP<'a> {
        #[cfg(not(debug_assertions))]
        let _ = seq;
        OwnedP {
            p,
            #[cfg(debug_assertions)]
            seq,
            _thread: PhantomData,
        }
    }

    /// Takes `p` off the idle list: a new seq, `Running`.
    ///
    /// # Safety
    /// `p` was on the idle list and the caller took it off (under the list's lock): no one
    /// else owns it.
    pub(crate) unsafe fn acquire(p: &'a P) -> OwnedP<'a> {
        OwnedP::new(p, p.word.acquire())
    }

    /// Step 2 of the protocol: the M whose mark is `mark` is back from goroutine code on `p`,
    /// which it held with `seq`. `None`: the P was retaken.
    ///
    /// # Safety
    /// The caller runs on the thread of the M that lent `p` (`lend`, with this `seq` and
    /// `token`) and holds no other `OwnedP` of it: every earlier claim since that lend was
    /// lent again or given up.
    #[inline]
    pub(crate) unsafe fn claim(
        p: &'a P,
        mark: &UserMark,
        seq: u64,
        token: u64,
    ) -> Option<OwnedP<'a>> {
        p.word.claim(mark, seq, token).then(|| OwnedP::new(p, seq))
    }

    /// The P as it stands, without the protocol: for the thread dropping a runtime once
    /// every M has stopped.
    ///
    /// # Safety
    /// No M, sysmon or other thread can reach the P's owner half any more, and the caller
    /// makes one `OwnedP` per P at a time.
    pub(crate) unsafe fn assume(p: &'a P) -> OwnedP<'a> {
        OwnedP::new(p, PWord::seq_of(p.word.load()))
    }

    /// sysmon: takes `p`, seen in `Syscall` in word `w`, from its M.
    pub(crate) fn retake_syscall(p: &'a P, w: u64) -> Option<OwnedP<'a>> {
        p.word.retake_syscall(w).map(|seq| OwnedP::new(p, seq))
    }

    /// sysmon: takes `p`, seen `Running` in word `w`, from its M running goroutine code
    /// (`mark` holding `token`), if `still()` agrees after the heavy fence.
    pub(crate) fn retake_user(
        p: &'a P,
        w: u64,
        mark: &UserMark,
        token: u64,
        still: impl FnOnce() -> bool,
    ) -> Option<OwnedP<'a>> {
        p.word.retake_user(w, mark, token, still).map(|seq| OwnedP::new(p, seq))
    }

    /// The P (its shared half: atomics, the stealer, timers).
    #[inline]
    pub(crate) fn p(&self) -> &'a P {
        self.p
    }

    /// The P's index.
    #[inline]
    pub(crate) fn id(&self) -> usize {
        self.p.id
    }

    /// The seq this ownership holds.
    #[inline]
    pub(crate) fn seq(&self) -> u64 {
        // Only an acquisition changes a word's seq, and none can happen while the P has an
        // owner outside goroutine code (module docs: sysmon retakes from a mark holding a
        // token, or from `Syscall`, and an `OwnedP` lives only with a zero mark in status
        // `Running` or `Retaking`).
        let seq = PWord::seq_of(self.p.word.load_owned());
        #[cfg(debug_assertions)]
        debug_assert_eq!(seq, self.seq, "OwnedP::seq: P {} was acquired again", self.p.id);
        seq
    }

    /// The token an M's mark holds while goroutine code runs on this P.
    #[inline]
    pub(crate) fn token(&self) -> u64 {
        token(self.p.id, self.seq())
    }

    /// Step 1: the M with `mark` runs goroutine code on the P from now on; the ownership
    /// goes back into the protocol until the next claim. `token`: `self.token()`, which
    /// the M keeps at hand.
    #[inline]
    pub(crate) fn lend(self, mark: &UserMark, token: u64) {
        debug_assert_eq!(token, self.token(), "OwnedP::lend: token of another ownership");
        mark.enter(token);
    }

    /// Back on the idle list (the caller then pushes its index there).
    pub(crate) fn set_idle(self) {
        self.p.word.set_idle(self.seq());
    }

    /// For another thread (`startm`'s M): the P travels as a `HandOff`.
    pub(crate) fn hand_over(self) -> HandOff {
        HandOff { id: self.p.id, seq: self.seq() }
    }
}

/// An [`OwnedP`] on its way to another thread: made only by consuming one, and turned back
/// into one by its receiver.
#[derive(Debug)]
#[must_use = "a HandOff dropped strands its P"]
pub(crate) struct HandOff {
    id: usize,
    seq: u64,
}

impl HandOff {
    /// The P's index.
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// The receiver's ownership of the P (one of `ps`).
    pub(crate) fn receive(self, ps: &[P]) -> OwnedP<'_> {
        OwnedP::new(&ps[self.id], self.seq)
    }

    /// A hand-off that travelled as a bare index (`M::hand_p` stores `id` in an atomic),
    /// with the seq read from the P's word.
    ///
    /// # Safety
    /// `id` comes from a `HandOff` consumed by the sender (`M::hand_p`), received once, and
    /// the sender's Release (the unpark) is ordered before this call.
    pub(crate) unsafe fn from_index(ps: &[P], id: usize) -> HandOff {
        HandOff { id, seq: PWord::seq_of(ps[id].word.load()) }
    }
}
