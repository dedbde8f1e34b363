//! Poll descriptors: per registered fd, the two directions' binary semaphores (Go's
//! `pollDesc.rg` / `wg`), in type-stable memory.
//!
//! # A direction's semaphore
//! One word: `NIL`, `READY` (a readiness permit kept on the fd), or the address of the one
//! goroutine waiting (Go's `pdNil` / `pdReady` / the G; Go's `pdWait` is not needed here,
//! because gpm's park keeps a permit, see below).
//!
//! Before its I/O, the one goroutine using a direction drops a `READY` left by an earlier
//! edge ([`Sema::clear_ready`], Go's `pollReset`): that I/O sees the data the edge
//! announced, and a permit kept would only make its next `EAGAIN` retry once for nothing.
//!
//! A waiter ([`Sema::wait`]): takes `READY` (then tries its I/O again), or puts its G
//! where `NIL` was ([`Sema::prepare`]), re-checks what can end the wait (the deadline; a
//! close), and parks. When the park returns it takes the word back ([`Sema::withdraw`]):
//! `READY` means an edge came, its own G means nothing did (a stale permit, or the park
//! timed out), `NIL` means someone woke it to re-read its deadline.
//!
//! The poller, on an edge ([`Sema::wake`] with `ready`, i.e. [`Sema::unblock`] and then the
//! G's `unpark`): `READY` whatever was there; if that was a G, the poller took it and
//! readies it. A deadline moved, or a close: the same without `ready` (the word goes back
//! to `NIL`).
//!
//! Races it prevents: an edge between the waiter's `EAGAIN` and its park leaves `READY`,
//! which the waiter's `prepare` takes (edge-triggered epoll reports that edge only once);
//! an edge between `prepare` and the park finds the G in the word and unparks it, and gpm's
//! park is permit-based (`park.rs`), so an unpark before the park is not lost — which is
//! why Go's intermediate `pdWait` and its commit-after-switch step are not needed. A
//! deadline or close racing the park: the setter writes its state, then unblocks; the
//! waiter puts its G, then re-reads the state: one of them sees the other, because both
//! steps on the word are read-modify-writes, ordered there (see `Sema::unblock`).
//! `src/tests/loom_sema.rs` checks the three parties racing, with the real steps.
//!
//! # Memory
//! A descriptor is never freed while its poller lives (epoll may report an fd that was
//! just closed): closed descriptors go on a free list, their sequence number bumped, and
//! an event whose token carries an old sequence number is dropped.

use std::sync::Mutex;
use std::sync::atomic::AtomicU32;

use crate::g::{G, GRef};
use crate::sync::{AtomicUsize, Ordering::*};

pub(crate) const NIL: usize = 0;
pub(crate) const READY: usize = 1;

/// One direction's binary semaphore; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Sema(AtomicUsize);

/// What `prepare` found.
#[derive(Debug, PartialEq, Eq)]
enum Prepared {
    /// A permit was there (and is consumed): try the I/O again, no park.
    Ready,
    /// The caller's G is in the word: re-check, then park.
    Waiting,
}

impl Sema {
    /// The waiter `g` (the caller, running), as `PollFd::wait` runs it: takes a permit, or
    /// registers, re-reads what can end the wait (`changed`: the deadline moved, or a close,
    /// since the caller read it), and parks (`park`, which returns whether a permit woke
    /// it); then takes the word back, also when a runtime drop unwinds `g` out of its park.
    /// `None`: no park (a permit was taken, or the state changed; the caller retries);
    /// `Some(woken)`: what `park` returned.
    pub(crate) fn wait(
        &self,
        g: GRef,
        changed: impl FnOnce() -> bool,
        park: impl FnOnce() -> bool,
    ) -> Option<bool> {
        if self.prepare(g) == Prepared::Ready {
            return None;
        }
        // Re-read after registering: a setter that changed the state before found no G to
        // wake, and one that changes it from now on finds this G.
        if changed() {
            self.withdraw(g);
            return None;
        }
        let registered = Registered { sema: self, g };
        let woken = park();
        drop(registered);
        Some(woken)
    }

    /// The waiter `g` (the caller, running): takes a permit, or registers.
    ///
    /// Panics if another goroutine waits on this direction (the façade's per-direction
    /// lock lets one at a time in).
    fn prepare(&self, g: GRef) -> Prepared {
        let me = g.as_ptr() as usize;
        loop {
            // Acquire (READY): the poller's event happens before the retried I/O.
            match self.0.compare_exchange(READY, NIL, Acquire, Relaxed) {
                Ok(_) => return Prepared::Ready,
                Err(NIL) => {}
                Err(other) if other == me => return Prepared::Waiting,
                Err(other) => panic!(
                    "netpoll: two goroutines wait on one direction of an fd; word = {other:#x}"
                ),
            }
            // AcqRel: Release publishes the G's address; Acquire makes a setter's state
            // visible to the re-check if its `unblock` came first (see `unblock`).
            if self.0.compare_exchange(NIL, me, AcqRel, Relaxed).is_ok() {
                return Prepared::Waiting;
            }
        }
    }

    /// Go's `pollReset`, before the caller's I/O on this direction, while it holds the
    /// direction (nobody else is between an `EAGAIN` and a park here): a permit left by an
    /// earlier edge is stale — the I/O about to run sees what that edge announced — so it
    /// is dropped, and the next `EAGAIN` parks at once instead of retrying once for nothing.
    /// An edge after this leaves its permit. A plain load first: most calls find `NIL`.
    pub(crate) fn clear_ready(&self) {
        // Acquire (READY): the edge's data happens before the I/O, as in `prepare`.
        if self.0.load(Relaxed) == READY {
            let _ = self.0.compare_exchange(READY, NIL, Acquire, Relaxed);
        }
    }

    /// The waiter `g`, after its park: takes the word back. `true`: an edge came.
    fn withdraw(&self, g: GRef) -> bool {
        let me = g.as_ptr() as usize;
        // Acquire: as in `prepare`.
        match self.0.compare_exchange(me, NIL, Acquire, Relaxed) {
            Ok(_) => false,
            Err(READY) => self.0.compare_exchange(READY, NIL, Acquire, Relaxed).is_ok(),
            Err(_) => false,
        }
    }

    /// The poller (`ready`: an edge) or a deadline/close setter: the waiting G, if one was
    /// there; the caller readies it (it owns that wake-up).
    ///
    /// Always a read-modify-write, also when the word stays as it is (`READY`, or `NIL` for
    /// a setter). A setter's state and the word are two locations: were this a plain load,
    /// the setter (writes its state, reads the word) and the waiter (writes its G, reads the
    /// state) could both read the old values (store buffering), and the waiter would park
    /// with nobody to wake it. As a write, the unblock is ordered against the waiter's
    /// registration in the word's modification order: after it, it finds the G; before it,
    /// the registration's Acquire reads this write or a later read-modify-write of the word
    /// (a release sequence), so the waiter's re-check sees the setter's state.
    /// Acquire/Release through the word is enough; no `SeqCst`.
    fn unblock(&self, ready: bool) -> Option<GRef> {
        let mut old = self.0.load(Relaxed);
        loop {
            let new = if ready || old == READY { READY } else { NIL };
            // AcqRel: Release, the setter's state (or the edge) before the waiter's next
            // step on the word; Acquire, the G's address as published by `prepare`.
            match self.0.compare_exchange_weak(old, new, AcqRel, Relaxed) {
                Ok(_) => return GRef::from_ptr((old > READY).then_some(old as *const G)?),
                Err(now) => old = now,
            }
        }
    }

    /// `unblock`, then the G taken (if any) is unparked. `Some(g)`: `g` had parked, and the
    /// caller now owns it and makes it runnable (the poller: into the Gs it readies; a
    /// setter: `Sched::ready`). `None`: no G waited, or its park had not happened yet: the
    /// permit left makes that park return at once.
    pub(crate) fn wake(&self, ready: bool) -> Option<GRef> {
        let g = self.unblock(ready)?;
        g.park.unpark(g.park.generation()).then_some(g)
    }

    /// Back to `NIL` (a descriptor being reused).
    pub(crate) fn reset(&self) {
        self.0.store(NIL, Relaxed);
    }

    /// The word, for the loom models.
    #[cfg(all(test, gpm_loom))]
    pub(crate) fn word(&self) -> usize {
        self.0.load(Relaxed)
    }
}

/// A waiter's G in the word: taken back when the park ends, or is unwound.
struct Registered<'a> {
    sema: &'a Sema,
    g: GRef,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.sema.withdraw(self.g);
    }
}

/// A poll descriptor.
#[derive(Debug, Default)]
pub(crate) struct Desc {
    /// Bumped when the descriptor is freed: an event or a handle with an older value is
    /// stale.
    pub(crate) seq: AtomicU32,
    pub(crate) read: Sema,
    pub(crate) write: Sema,
    /// An event said the read side is closed (end of file, or an error): it stays
    /// readable without another edge. Sticky until the descriptor is freed. Stored before
    /// the event's `read.wake` (Release), so that a reader whose `clear_ready` or `wait`
    /// took that event's permit sees it. std's atomic even under loom: no model covers it.
    pub(crate) read_closed: std::sync::atomic::AtomicBool,
}

/// The epoll data of a registration: the descriptor's address, tagged with the low 16 bits
/// of its sequence number in the top bits (user addresses fit in 47 bits on x86-64, as Go's
/// `taggedPointer` assumes).
pub(crate) fn token(d: &Desc, seq: u32) -> u64 {
    let addr = d as *const Desc as u64;
    debug_assert!(addr < 1 << 48, "netpoll::token: address above 48 bits; value = {addr:#x}");
    addr | (seq as u64 & 0xFFFF) << 48
}

/// The descriptor a token names, if its sequence number still matches (else the event is
/// for an fd closed since).
///
/// # Safety
/// `token` was made by `token` for a descriptor of a `Table` that is still alive.
pub(crate) unsafe fn from_token<'a>(token: u64) -> Option<&'a Desc> {
    let addr = (token & ((1 << 48) - 1)) as *const Desc;
    // SAFETY: by the caller's contract the descriptor's chunk is alive (chunks are freed
    // only with their table), and the caller holds the table for `'a`.
    let d = unsafe { &*addr };
    (d.seq.load(Acquire) & 0xFFFF == (token >> 48) as u32).then_some(d)
}

/// Descriptors in chunks that never move or shrink while the table lives, with a free list.
#[derive(Debug, Default)]
pub(crate) struct Table {
    inner: Mutex<TableInner>,
}

#[derive(Debug, Default)]
struct TableInner {
    chunks: Vec<Box<[Desc]>>,
    free: Vec<*const Desc>,
}

// SAFETY: the raw pointers name descriptors inside `chunks`, which the same mutex guards;
// descriptors themselves are atomics only.
unsafe impl Send for TableInner {}

const CHUNK: usize = 256;

impl Table {
    /// A free descriptor, and its sequence number.
    pub(crate) fn alloc(&self) -> (&Desc, u32) {
        let mut t = crate::sched::lock(&self.inner);
        if t.free.is_empty() {
            let chunk: Box<[Desc]> = (0..CHUNK).map(|_| Desc::default()).collect();
            let ptrs: Vec<*const Desc> = chunk.iter().rev().map(|d| d as *const Desc).collect();
            t.chunks.push(chunk);
            t.free.extend(ptrs);
        }
        let d = t.free.pop().expect("Table::alloc: a free descriptor");
        // SAFETY: `d` points into a chunk of this table, which is never dropped or moved
        // (a boxed slice) before the table.
        let d = unsafe { &*d };
        (d, d.seq.load(Relaxed))
    }

    /// Gives `d` (one of this table's) back: its sequence number moves on (Release: pairs
    /// with the Acquire in `from_token`), its semaphores are reset.
    pub(crate) fn free(&self, d: &Desc) {
        d.seq.fetch_add(1, Release);
        d.read_closed.store(false, std::sync::atomic::Ordering::Relaxed);
        d.read.reset();
        d.write.reset();
        crate::sched::lock(&self.inner).free.push(d as *const Desc);
    }
}
