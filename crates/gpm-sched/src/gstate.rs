//! The park/unpark state machine of one goroutine (Go's `gopark` / `goready` handshake,
//! made permit-based like `std::thread::park`).
//!
//! # States (low 2 bits of one `AtomicU64`)
//! | state      | meaning                                         | who owns the G's stack        |
//! |------------|-------------------------------------------------|-------------------------------|
//! | `EMPTY`    | no permit; the G runs or is runnable            | its M (or a run queue)        |
//! | `NOTIFIED` | a permit is stored; the next park returns at once| its M (or a run queue)       |
//! | `PARKING`  | the G decided to park and is switching to its M  | its M, on the way to g0       |
//! | `PARKED`   | switched away; no queue holds it                 | nobody: the waker that moves it out of PARKED owns it |
//!
//! The rest of the word: bits 2..32 count parks (`seq`, so a timer armed for one park
//! cannot wake a later one), bits 32..64 count lives of the G (`gen`, bumped when a dead G
//! is reused, so an `Unparker` kept past its goroutine's end wakes nobody).
//!
//! # Protocol
//! 1. The goroutine calls [`ParkState::begin`]: a stored permit is consumed (park returns at
//!    once), else `EMPTY → PARKING` and the G switches to its M.
//! 2. On its native stack, *after* the switch, the M calls [`ParkState::finish`]
//!    (Go's `unlockf`): `PARKING → PARKED`. From then on the G belongs to whoever wakes it.
//!    If an unpark came during the switch the state is `NOTIFIED`: the M consumes the permit
//!    and runs the G again at once.
//! 3. A waker calls [`ParkState::unpark`]: `EMPTY | PARKING → NOTIFIED` (the permit is
//!    stored; the parker will see it in step 1 or 2), or `PARKED → EMPTY` and the waker
//!    must make the G runnable (the wake-up consumed the permit).
//! 4. A timer calls [`ParkState::timeout`] with the token of the park it was armed for:
//!    `PARKED → EMPTY` only if that park is still in progress.
//!
//! The race it prevents: a wake-up between "decided to park" and "is off the CPU" —
//! readying a G whose stack is still in use would run it on two threads at once, and
//! ignoring the wake-up would lose it. `PARKING` makes the waker leave the permit for the
//! M to find. Rejected: parking under a lock held across the switch (a lock on a
//! goroutine stack outliving its owner's switch, and contention on every wake-up).

use crate::sync::{AtomicU64, Ordering::*};

/// No permit.
pub const EMPTY: u64 = 0;
/// A permit is stored.
pub const NOTIFIED: u64 = 1;
/// Switching away to park.
pub const PARKING: u64 = 2;
/// Parked: off CPU, on no queue.
pub const PARKED: u64 = 3;

const STATE: u64 = 3;
const SEQ_ONE: u64 = 4;
const SEQ_MASK: u64 = 0xFFFF_FFFC;
const GEN_SHIFT: u32 = 32;

/// One goroutine's park state; see the module docs.
#[derive(Debug)]
pub struct ParkState {
    word: AtomicU64,
}

/// The outcome of [`ParkState::begin`].
#[derive(Debug, PartialEq, Eq)]
pub enum Begin {
    /// A permit was stored and is now consumed: do not park.
    Consumed,
    /// Now `PARKING`; the token names this park (for its timer).
    Parking(u64),
}

impl ParkState {
    /// `EMPTY`, generation 0.
    pub fn new() -> ParkState {
        ParkState { word: AtomicU64::new(EMPTY) }
    }

    /// The generation an `Unparker` made now must carry.
    #[inline]
    pub fn generation(&self) -> u32 {
        (self.word.load(Relaxed) >> GEN_SHIFT) as u32
    }

    /// The current state (`EMPTY` .. `PARKED`), for tests and dumps.
    pub fn state(&self) -> u64 {
        self.word.load(Relaxed) & STATE
    }

    /// Step 1 (the goroutine). Panics if already parking: only the G itself parks.
    #[inline]
    pub fn begin(&self) -> Begin {
        let mut w = self.word.load(Relaxed);
        loop {
            let (next, consumed) = match w & STATE {
                NOTIFIED => (w & !STATE, true),
                EMPTY => (
                    ((w & SEQ_MASK).wrapping_add(SEQ_ONE) & SEQ_MASK)
                        | (w & !(SEQ_MASK | STATE))
                        | PARKING,
                    false,
                ),
                s => panic!("ParkState::begin: goroutine already parking; state = {s}"),
            };
            // Acquire: pairs with the Release in `unpark`, so the waker's writes before the
            // permit are visible when the permit is consumed.
            match self.word.compare_exchange_weak(w, next, Acquire, Relaxed) {
                Ok(_) if consumed => return Begin::Consumed,
                Ok(_) => return Begin::Parking(next & !STATE),
                Err(now) => w = now,
            }
        }
    }

    /// Abandons a park begun with `begin` (deadline already past): `PARKING → EMPTY`.
    /// Returns `true` if a permit arrived meanwhile (and consumes it).
    pub fn cancel(&self) -> bool {
        let mut w = self.word.load(Relaxed);
        loop {
            let consumed = match w & STATE {
                PARKING => false,
                NOTIFIED => true,
                s => panic!("ParkState::cancel: not parking; state = {s}"),
            };
            match self.word.compare_exchange_weak(w, w & !STATE, Acquire, Relaxed) {
                Ok(_) => return consumed,
                Err(now) => w = now,
            }
        }
    }

    /// Step 2 (the M, after the switch). `true`: now `PARKED`, the G belongs to its waker.
    /// `false`: a permit came during the switch and is consumed; run the G again.
    #[inline]
    pub fn finish(&self) -> bool {
        let mut w = self.word.load(Relaxed);
        loop {
            let (next, parked) = match w & STATE {
                PARKING => ((w & !STATE) | PARKED, true),
                NOTIFIED => (w & !STATE, false),
                s => panic!("ParkState::finish: not parking; state = {s}"),
            };
            // Release (PARKED): the G's stack is off CPU; pairs with the Acquire in `unpark`
            // of the waker that takes it. Acquire (NOTIFIED): as in `begin`.
            match self.word.compare_exchange_weak(w, next, AcqRel, Relaxed) {
                Ok(_) => return parked,
                Err(now) => w = now,
            }
        }
    }

    /// Step 3 (a waker holding generation `generation`). `true`: the G was parked and the
    /// caller now owns it and must make it runnable. `false`: the permit is stored (or the
    /// G has moved on to another life).
    #[inline]
    pub fn unpark(&self, generation: u32) -> bool {
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
            // with the Release in `finish`; the G's stack is ours now.
            match self.word.compare_exchange_weak(w, next, AcqRel, Relaxed) {
                Ok(_) => return wake,
                Err(now) => w = now,
            }
        }
    }

    /// Step 4 (a timer armed with `token`). `true`: the G was still in that park; the
    /// caller owns it and must make it runnable (it wakes with "timed out").
    pub fn timeout(&self, token: u64) -> bool {
        // AcqRel: as `unpark` from PARKED.
        self.word.compare_exchange(token | PARKED, token, AcqRel, Relaxed).is_ok()
    }

    /// Whether the G is still parked in the park named by `token` (a timer armed for it is
    /// live). A snapshot, for pruning timer heaps.
    pub fn is_parked_in(&self, token: u64) -> bool {
        self.word.load(Relaxed) == token | PARKED
    }

    /// A dead G starts a new life: generation + 1, `EMPTY`. Old `Unparker`s and timers no
    /// longer match. Called only by the owner of a dead G.
    pub fn new_life(&self) -> u32 {
        let mut w = self.word.load(Relaxed);
        loop {
            let g = ((w >> GEN_SHIFT) as u32).wrapping_add(1);
            let next = (g as u64) << GEN_SHIFT;
            match self.word.compare_exchange_weak(w, next, Relaxed, Relaxed) {
                Ok(_) => return g,
                Err(now) => w = now,
            }
        }
    }
}

impl Default for ParkState {
    fn default() -> Self {
        ParkState::new()
    }
}
