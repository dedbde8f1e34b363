//! The park/unpark state machine of one goroutine (Go's `gopark` / `goready` handshake,
//! made permit-based like `std::thread::park`).
//!
//! # States (low 2 bits of one `AtomicU64`)
//! | state      | meaning                                         | who owns the G's stack        |
//! |------------|-------------------------------------------------|-------------------------------|
//! | `EMPTY`    | no permit; the G runs, is runnable, or is switching away to park | its M (or a run queue) |
//! | `NOTIFIED` | a permit is stored; the next park returns at once | its M (or a run queue)      |
//! | `PARKED`   | switched away; no queue holds it                 | nobody: the waker that moves it out of PARKED owns it |
//!
//! The rest of the word: bits 2..32 count parks (`seq`, so a timer armed for one park
//! cannot wake a later one), bits 32..64 count lives of the G (`gen`, bumped when a dead G
//! is reused, so an `Unparker` kept past its goroutine's end wakes nobody).
//!
//! # Protocol
//! 1. The goroutine takes a stored permit if there is one ([`ParkState::try_consume`]: park
//!    returns at once); otherwise it switches to its M asking to park, leaving the word
//!    alone.
//! 2. On its native stack, *after* the switch, the M calls [`ParkState::park`] (Go's
//!    `park_m` + `unlockf`): `EMPTY → PARKED` with the next seq. From then on the G belongs
//!    to whoever wakes it. If an unpark came before or during the switch the state is
//!    `NOTIFIED`: the M consumes the permit and runs the G again at once.
//! 3. A waker calls [`ParkState::unpark`]: `EMPTY → NOTIFIED` (the permit is stored; the
//!    parker will see it in step 1 or 2), or `PARKED → EMPTY` and the waker must make the G
//!    runnable (the wake-up consumed the permit).
//! 4. A timer calls [`ParkState::timeout`] with the token of the park it was armed for:
//!    `PARKED → EMPTY` only if that park is still in progress.
//!
//! The race it prevents: a wake-up between "decided to park" and "is off the CPU" —
//! readying a G whose stack is still in use would run it on two threads at once, and
//! ignoring the wake-up would lose it. Only the M, once the G is off its stack, may write
//! `PARKED`, so a waker that comes earlier finds `EMPTY` and leaves the permit for the M to
//! find. One CAS per park, on the M. Rejected: a `PARKING` state the goroutine sets before
//! switching (the design before this one: a second CAS per park, buying only an early
//! return on a permit, which the plain-load check of step 1 gives too); parking under a
//! lock held across the switch (a lock on a goroutine stack outliving its owner's switch,
//! and contention on every wake-up).

use crate::sync::{AtomicU64, Ordering::*};

/// No permit.
pub(crate) const EMPTY: u64 = 0;
/// A permit is stored.
pub(crate) const NOTIFIED: u64 = 1;
/// Parked: off CPU, on no queue.
pub(crate) const PARKED: u64 = 3;

const STATE: u64 = 3;
const SEQ_ONE: u64 = 4;
const SEQ_MASK: u64 = 0xFFFF_FFFC;
const GEN_SHIFT: u32 = 32;

/// One goroutine's park state; see the module docs.
#[derive(Debug)]
pub(crate) struct ParkState {
    word: AtomicU64,
    /// An address near the stack pointer of the G's last switch out (a park), beside the
    /// word so that the timer or the poller that ends the park finds it on the line it
    /// just wrote: a prefetch hint only (`prefetch::parked`), never dereferenced.
    /// std's atomic even under loom: not part of the protocol the models check.
    sp_hint: std::sync::atomic::AtomicUsize,
    /// The address of the G's coroutine (the switch state its resume reads first), kept
    /// with `sp_hint` for the same reason.
    co_hint: std::sync::atomic::AtomicUsize,
}

impl ParkState {
    /// `EMPTY`, generation 0.
    pub(crate) fn new() -> ParkState {
        ParkState {
            word: AtomicU64::new(EMPTY),
            sp_hint: std::sync::atomic::AtomicUsize::new(0),
            co_hint: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Records where the G's stack is as it parks (the owner, before switching out).
    /// Relaxed: a hint; a stale or torn-by-reuse value only prefetches the wrong lines.
    #[inline]
    pub(crate) fn set_sp_hint(&self, sp: usize) {
        self.sp_hint.store(sp, Relaxed);
    }

    /// Records the G's coroutine address (its M, after the switch out of a park).
    #[inline]
    pub(crate) fn set_co_hint(&self, co: usize) {
        self.co_hint.store(co, Relaxed);
    }

    /// The last hints: (stack address, coroutine address), 0 if none.
    #[inline]
    pub(crate) fn hints(&self) -> (usize, usize) {
        (self.sp_hint.load(Relaxed), self.co_hint.load(Relaxed))
    }

    /// The generation an `Unparker` made now must carry.
    #[inline]
    pub(crate) fn generation(&self) -> u32 {
        (self.word.load(Relaxed) >> GEN_SHIFT) as u32
    }

    /// The current state (`EMPTY` .. `PARKED`), for the loom models.
    #[cfg(all(test, gpm_loom))]
    pub(crate) fn state(&self) -> u64 {
        self.word.load(Relaxed) & STATE
    }

    /// Step 1 (the goroutine): takes a stored permit. `true`: consumed, do not park.
    #[inline]
    pub(crate) fn try_consume(&self) -> bool {
        let w = self.word.load(Relaxed);
        // Acquire: pairs with the Release in `unpark`, so the waker's writes before the
        // permit are visible when the permit is consumed.
        w & STATE == NOTIFIED && self.word.compare_exchange(w, w & !STATE, Acquire, Relaxed).is_ok()
    }

    /// Step 2 (the M, after the G switched away to park). `Some(token)`: now `PARKED`; the
    /// token names this park (for its timer) and the G belongs to its waker. `None`: a
    /// permit came before or during the switch and is consumed now; run the G again.
    #[inline]
    pub(crate) fn park(&self) -> Option<u64> {
        let mut w = self.word.load(Relaxed);
        loop {
            let next = match w & STATE {
                EMPTY => {
                    ((w & SEQ_MASK).wrapping_add(SEQ_ONE) & SEQ_MASK)
                        | (w & !(SEQ_MASK | STATE))
                        | PARKED
                }
                NOTIFIED => w & !STATE,
                s => panic!("ParkState::park: goroutine already parked; state = {s}"),
            };
            // Release (PARKED): the G's stack is off CPU; pairs with the Acquire in `unpark`
            // of the waker that takes it. Acquire (NOTIFIED): the waker's writes before the
            // permit, as in `try_consume`.
            match self.word.compare_exchange_weak(w, next, AcqRel, Relaxed) {
                Ok(_) if next & STATE == PARKED => return Some(next & !STATE),
                Ok(_) => return None,
                Err(now) => w = now,
            }
        }
    }

    /// Step 3 (a waker holding generation `generation`). `true`: the G was parked and the
    /// caller now owns it and must make it runnable. `false`: the permit is stored (or the
    /// G has moved on to another life).
    #[inline]
    pub(crate) fn unpark(&self, generation: u32) -> bool {
        let mut w = self.word.load(Relaxed);
        loop {
            if (w >> GEN_SHIFT) as u32 != generation {
                return false;
            }
            let (next, wake) = match w & STATE {
                PARKED => (w & !STATE, true),
                _ => ((w & !STATE) | NOTIFIED, false),
            };
            // Release: publishes the waker's writes to the parker. Acquire (PARKED): pairs
            // with the Release in `park`; the G's stack is ours now.
            match self.word.compare_exchange_weak(w, next, AcqRel, Relaxed) {
                Ok(_) => return wake,
                Err(now) => w = now,
            }
        }
    }

    /// Step 4 (a timer armed with `token`). `true`: the G was still in that park; the
    /// caller owns it and must make it runnable (it wakes with "timed out").
    pub(crate) fn timeout(&self, token: u64) -> bool {
        // AcqRel: as `unpark` from PARKED.
        self.word.compare_exchange(token | PARKED, token, AcqRel, Relaxed).is_ok()
    }

    /// Whether the G is still parked in the park named by `token` (a timer armed for it is
    /// live). A snapshot, for pruning timer heaps.
    pub(crate) fn is_parked_in(&self, token: u64) -> bool {
        self.word.load(Relaxed) == token | PARKED
    }

    /// A dead G starts a new life: generation + 1, `EMPTY`. Old `Unparker`s and timers no
    /// longer match. Called only by the owner of a dead G.
    ///
    /// A plain store, not a CAS: nobody else writes the word of a dead G except stale
    /// wakers and timers, whose CASes expect the old word and so fail once this store is
    /// visible, while one that landed before it only left a permit of the old life, which
    /// this store discards. Relaxed: the spawner publishes the G through a run queue.
    pub(crate) fn new_life(&self) -> u32 {
        let g = ((self.word.load(Relaxed) >> GEN_SHIFT) as u32).wrapping_add(1);
        self.word.store((g as u64) << GEN_SHIFT, Relaxed);
        g
    }
}

impl Default for ParkState {
    fn default() -> Self {
        ParkState::new()
    }
}
