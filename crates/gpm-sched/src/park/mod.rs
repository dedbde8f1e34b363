//! Park and unpark: the primitive every blocking call of gpm is built on, for writing your
//! own. [`park`] blocks the calling goroutine until the [`Unparker`] that [`unparker`] made
//! for it is [`unpark`](Unparker::unpark)ed; only the goroutine waits, its thread runs other
//! goroutines meanwhile. On a plain thread, the thread blocks, so a thread and a goroutine
//! can wake each other.
//!
//! Permits, as [`std::thread::park`]: an `unpark` that comes before the `park` is not lost,
//! and several unparks leave one permit. A permit is not tied to one wait, so a park may
//! return because of an old `unpark`: re-check the condition in a loop.
//!
//! ```
//! # use gpm_sched as gpm; // the façade re-exports these items
//! use gpm::park::{WaitReason, park, unparker};
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//!
//! let rt = gpm::Runtime::single_thread()?;
//! rt.block_on(|| {
//!     let ready = Arc::new(AtomicBool::new(false));
//!     let (flag, me) = (ready.clone(), unparker());
//!     gpm::go(move || {
//!         flag.store(true, Ordering::Release);
//!         me.unpark();
//!     });
//!     while !ready.load(Ordering::Acquire) {
//!         park(WaitReason::Park); // shown as the wait reason in `Runtime::dump`
//!     }
//! });
//! # Ok::<(), std::io::Error>(())
//! ```

// Design. In a goroutine, `park*` switches the G away (status waiting, with its
// `WaitReason`) and `Unparker::unpark` readies it (Go's `goready`, `Sched::ready`: into
// `runnext` of the waker's P when the waker runs on an M of the same runtime outside
// `blocking`, else into the global queue plus a wakeup). On a plain thread, `park*` watches
// the permit for a moment on a multicore machine (`spin_for_permit`), then blocks the
// thread in its `Parker` (`parker.rs`, the same parker an idle M sleeps in); `unpark` wakes
// it. `park*` returns only when a permit was consumed (`true`) or the deadline passed
// (`false`); a waker that completed an operation may unpark after its waiter already
// returned (channels and sync do), which leaves the stale permit the docs warn about.
//
// Handles on a waiter: an `Unparker` keeps the goroutine's runtime alive (a reference
// count); a `WaitHandle`, for waiters queued under a lock (channels, `gpm::sync`), does
// not, and becomes a `Wake` while its owner still waits. `Current` finds the calling
// goroutine or thread once for an operation that both makes a handle and parks. These
// three, `multicore` and `preempt_point` are the façade's plumbing: public for gpm's own
// crates, hidden from the docs.
//
// The goroutine half is `state.rs`'s state machine: `park` takes a stored permit or
// switches to the M, and the M parks the G on its own stack (`EMPTY → PARKED`, Go's
// `unlockf`); `unpark` either leaves a permit or takes the parked G and readies it. A
// deadline arms a timer after the switch (`timers/`). Inside `blocking` the park leaves
// the syscall around the switch (`syscall.rs`).
//
// Migration: `park_deadline` finds its G (`context::current_g`, never inlined) once,
// *before* switching; after the switch it uses only its `G`.
//
// This folder: `mod.rs` (this file: the API), `handle.rs` (the hidden handles above),
// `reason.rs` (`WaitReason`), `state.rs` (a goroutine's park word, the
// protocol between the parking M and its wakers), `parker.rs` (how an OS thread sleeps: an
// idle M, sysmon, a plain thread in `park*`).

use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::g::{Action, GRef, GStatus};
use crate::sched::Sched;
use parker::Parker;

mod handle;
pub(crate) mod parker;
mod reason;
pub(crate) mod state;

// Hidden: plumbing for the façade's channels and `gpm::sync` (design comment above).
#[doc(hidden)]
pub use handle::{Current, WaitHandle, Wake, current};
pub use reason::WaitReason;

/// Wakes one parked goroutine or thread (made by [`unparker`] in the one to wake).
/// `Clone + Send + Sync`; cheap to clone.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use gpm::park::{WaitReason, park_timeout, unparker};
/// use std::time::Duration;
///
/// let me = unparker(); // this plain thread
/// let waker = me.clone();
/// std::thread::spawn(move || waker.unpark());
/// // Woken (`true`), not timed out; a late unpark would have left a permit instead.
/// assert!(park_timeout(WaitReason::Park, Duration::from_secs(10)));
/// assert!(me.same_as(&unparker()));
/// ```
#[derive(Clone)]
pub struct Unparker {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    /// A plain thread's parker (one per thread: `thread_waiter`).
    Thread(Arc<Parker>),
    /// A goroutine in its `generation`-th life; the `Arc` keeps its runtime (and so the G)
    /// allocated.
    Goroutine { sched: Arc<Sched>, g: GRef, generation: u32 },
}

impl std::fmt::Debug for Unparker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Thread(t) => f.debug_tuple("Unparker::Thread").field(t).finish(),
            Inner::Goroutine { g, generation, .. } => f
                .debug_struct("Unparker::Goroutine")
                .field("id", &g.id.load(Ordering::Relaxed))
                .field("generation", generation)
                .finish(),
        }
    }
}

impl Unparker {
    /// Makes the permit available and wakes the owner if it is parked.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use gpm::park::{WaitReason, park, unparker};
    /// let me = unparker();
    /// me.unpark();
    /// me.unpark(); // permits do not add up: one is left
    /// park(WaitReason::Park); // returns at once, taking it
    /// ```
    #[inline]
    pub fn unpark(&self) {
        if let Inner::Goroutine { .. } = self.inner {
            // A plain thread waking a goroutine is one deadlock detection must know.
            crate::deadlock::threads::note_waker();
        }
        self.wake();
    }

    /// `unpark` from the runtime's own threads (sysmon, `blocking`'s helpers), which are
    /// not wakers deadlock detection counts.
    #[inline]
    pub(crate) fn wake(&self) {
        match &self.inner {
            Inner::Thread(t) => t.unpark(),
            Inner::Goroutine { sched, g, generation } => unpark_local(sched, *g, *generation),
        }
    }

    /// Whether `self` and `other` wake the same goroutine or thread.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use gpm::park::unparker;
    /// let mine = unparker();
    /// let theirs = std::thread::spawn(unparker).join().unwrap();
    /// assert!(mine.same_as(&unparker()));
    /// assert!(!mine.same_as(&theirs));
    /// ```
    pub fn same_as(&self, other: &Unparker) -> bool {
        match (&self.inner, &other.inner) {
            (Inner::Thread(a), Inner::Thread(b)) => Arc::ptr_eq(a, b),
            (
                Inner::Goroutine { g: a, generation: x, .. },
                Inner::Goroutine { g: b, generation: y, .. },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

/// The [`Unparker`] of the calling goroutine or thread. Every call from the same context
/// returns a handle to the same permit.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// let woke = rt.block_on(|| {
///     let me = gpm::park::unparker(); // this goroutine
///     gpm::go(move || me.unpark());
///     gpm::park::park_timeout(gpm::park::WaitReason::Park, std::time::Duration::from_secs(10))
/// });
/// assert!(woke);
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub fn unparker() -> Unparker {
    current().unparker()
}

/// The runtime `g` runs on (an address to compare; see `goroutine_unparker` for when it may
/// be dereferenced).
#[inline]
pub(crate) fn sched_of(g: GRef) -> *const Sched {
    // SAFETY: `g.m` was set by the M resuming this G, which is the caller's M (the caller
    // is `g`, running).
    unsafe { (*g.m.get()).sched() }
}

/// `unpark` of the goroutine `g` in its `generation`-th life, with `sched` (`g`'s runtime)
/// kept alive by the caller: an `Unparker`'s count, or the caller running on `sched` (then
/// no `Unparker`, and no reference count, is needed).
#[inline]
pub(crate) fn unpark_local(sched: &Sched, g: GRef, generation: u32) {
    if g.park.unpark(generation) {
        sched.ready(g);
    }
}

/// `unpark_local` from a goroutine in its last step (`Sched::ready_on_exit`).
#[inline]
pub(crate) fn unpark_local_on_exit(sched: &Sched, g: GRef, generation: u32) {
    if g.park.unpark(generation) {
        sched.ready_on_exit(g);
    }
}

#[inline]
pub(crate) fn goroutine_unparker(g: GRef) -> Unparker {
    // SAFETY: the caller is `g`, running: its M keeps the runtime alive (`sched_of`).
    let sched = unsafe { &*sched_of(g) }.arc();
    Unparker { inner: Inner::Goroutine { sched, g, generation: g.park.generation() } }
}

/// Parks until unparked (consuming the permit). In a goroutine, other goroutines run
/// meanwhile; on a plain thread, the thread blocks.
///
/// The park functions are `#[track_caller]`: a goroutine's entry in
/// [`Runtime::dump`](crate::Runtime::dump) names the place they were called from, or,
/// through a chain of `#[track_caller]` functions (every blocking call of gpm), the
/// user's blocking call.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use gpm::park::{WaitReason, park, unparker};
/// use std::sync::{Arc, Mutex};
///
/// let rt = gpm::Runtime::single_thread()?;
/// let got = rt.block_on(|| {
///     let slot = Arc::new(Mutex::new(None));
///     let (put, me) = (slot.clone(), unparker());
///     gpm::go(move || {
///         *put.lock().unwrap() = Some(42);
///         me.unpark();
///     });
///     loop {
///         // Re-check after every wake-up: a permit may be left from an earlier unpark.
///         if let Some(v) = slot.lock().unwrap().take() {
///             break v;
///         }
///         park(WaitReason::Park);
///     }
/// });
/// assert_eq!(got, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
#[track_caller]
pub fn park(reason: WaitReason) {
    while !park_deadline(reason, None) {}
}

/// Parks until unparked (`true`) or until `timeout` has passed (`false`).
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use gpm::park::{WaitReason, park_timeout};
/// use std::time::Duration;
/// let rt = gpm::Runtime::single_thread()?;
/// // Nobody unparks this goroutine: the park times out.
/// assert!(!rt.block_on(|| park_timeout(WaitReason::Park, Duration::from_millis(1))));
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
#[track_caller]
pub fn park_timeout(reason: WaitReason, timeout: Duration) -> bool {
    park_deadline(reason, Instant::now().checked_add(timeout))
}

/// Parks until unparked (`true`) or until `deadline` (`false`); `None` waits forever.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use gpm::park::{WaitReason, park_deadline, unparker};
/// use std::time::{Duration, Instant};
/// let deadline = Instant::now() + Duration::from_millis(2);
/// assert!(!park_deadline(WaitReason::Park, Some(deadline)));
/// assert!(Instant::now() >= deadline);
/// unparker().unpark();
/// assert!(park_deadline(WaitReason::Park, None)); // the permit was there
/// ```
#[inline]
#[track_caller]
pub fn park_deadline(reason: WaitReason, deadline: Option<Instant>) -> bool {
    current().park_deadline(reason, deadline)
}

fn park_thread(deadline: Option<Instant>) -> bool {
    let me = thread_waiter();
    let Inner::Thread(me) = &me.inner else { unreachable!("thread_waiter: a thread") };
    spin_for_permit(me);
    match deadline {
        // Asleep for deadlock detection while it sleeps (`deadlock/threads.rs`): with a
        // deadline it wakes by itself, and counts as awake.
        None => me.park_asleep(),
        Some(_) => me.park(deadline),
    }
}

/// Before a plain thread blocks: watch the permit for a moment (doubling `spin_loop` runs,
/// then a few `yield_now`s, as crossbeam's `Backoff::snooze`), on a machine with more than
/// one CPU. Waking a blocked thread costs a futex call on each side and tens of µs of
/// wake-up latency; a permit that arrives during the spin costs neither (`unpark`'s
/// `Thread::unpark` on a thread that is not parked is one atomic swap). Fan-in of 4 producer
/// threads into one consumer over `bounded(1024)` on 2 CPUs: ~60,000 context switches per
/// million messages without the spin. Returns as soon as the permit is seen; the caller
/// consumes it.
fn spin_for_permit(parker: &Parker) {
    const SPIN_ROUNDS: u32 = 6;
    const YIELD_ROUNDS: u32 = 4;
    if !multicore() {
        return;
    }
    for round in 0..SPIN_ROUNDS + YIELD_ROUNDS {
        if parker.notified() {
            return;
        }
        if round < SPIN_ROUNDS {
            for _ in 0..1u32 << round {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
    }
}

// Hidden: plumbing for the façade's channels and `gpm::sync` (module design comment).
#[doc(hidden)]
/// Whether this machine has more than one CPU, i.e. whether spinning before a park can pay
/// off (on one CPU it only delays the thread that would end the wait). Cached. Never under
/// loom: a spin loop is an unbounded state space for the model checker.
pub fn multicore() -> bool {
    if cfg!(gpm_loom) {
        return false;
    }
    // 0 = unknown, 1 = one CPU, 2 = several. Relaxed: a cached fact; any value is valid.
    static NCPU: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);
    match NCPU.load(Ordering::Relaxed) {
        0 => {
            let many = std::thread::available_parallelism().map_or(1, |n| n.get()) > 1;
            NCPU.store(if many { 2 } else { 1 }, Ordering::Relaxed);
            many
        }
        n => n == 2,
    }
}

/// The goroutine half: see the module docs and `state.rs`. Inlined into its caller with the
/// switch (see `G::suspend`). A park is a scheduling point: a cancellation requested by
/// the goroutine's handle is delivered on the way out (`abort.rs`; the request left a
/// permit, so a park that comes after it returns at once).
/// `deadline`: on the runtime's clock (`Sched::nanotime`).
/// `at`: the blocking call, for dumps (a `&'static`, so passing it costs a register).
/// `read_at`: the caller read the runtime's clock then, a moment ago, and knows `deadline`
/// had not passed (`park_sleep`), so the park skips its own check, and the M's next look
/// at the timers uses that reading (`M::clock_hint`).
#[inline(always)]
fn park_goroutine(
    g: GRef,
    reason: WaitReason,
    deadline: Option<u64>,
    at: &'static Loc,
    read_at: Option<u64>,
) -> bool {
    let woken = if g.status() == GStatus::Syscall {
        park_in_syscall(g, reason, deadline, at, read_at)
    } else {
        park_switch(g, reason, deadline, at, read_at)
    };
    crate::abort::check(g);
    woken
}

/// `sleep`'s park: as [`park_deadline`] on goroutine `g`. With `read_at`, the reading of
/// the clock `sleep` has just taken to compute `deadline`, without the clock read that
/// returns at once for a past deadline (if it has passed, the timer fires at the next
/// schedule).
#[inline]
pub(crate) fn park_sleep(g: GRef, read_at: Option<u64>, deadline: u64, at: &'static Loc) -> bool {
    park_goroutine(g, WaitReason::Sleep, Some(deadline), at, read_at)
}

type Loc = Location<'static>;

/// Parking inside `blocking`: leave the syscall around the park (`syscall.rs`).
#[cold]
#[inline(never)]
fn park_in_syscall(
    g: GRef,
    reason: WaitReason,
    deadline: Option<u64>,
    at: &'static Loc,
    read_at: Option<u64>,
) -> bool {
    crate::syscall::around_switch(g, || park_switch(g, reason, deadline, at, read_at))
}

/// The park proper, outside `blocking` (`read_at`: see `park_goroutine`).
#[inline(always)]
fn park_switch(
    g: GRef,
    reason: WaitReason,
    deadline: Option<u64>,
    at: &'static Loc,
    read_at: Option<u64>,
) -> bool {
    if g.park.try_consume() {
        return true;
    }
    // SAFETY: `g.m` is this G's M, set before this resume (module docs of `context`).
    let m = unsafe { &*g.m.get() };
    let sched = m.sched();
    if let Some(d) = deadline
        && read_at.is_none()
        && sched.nanotime() >= d
    {
        return false;
    }
    if read_at.is_some() {
        // On the M's own thread (the G runs there); `after_switch` drops it unless the
        // park happens on an M that keeps its P.
        m.clock_hint.set(read_at);
    }
    g.wait_reason.store(reason as u8, Ordering::Relaxed);
    g.wait_location.store(at as *const Loc as *mut Loc, Ordering::Relaxed);
    g.wait_since.store(sched.coarse_now.load(Ordering::Relaxed), Ordering::Relaxed);
    g.deadline.set(deadline);
    g.set_status(GStatus::Waiting);
    // For the timer or the poller that may end this park: it prefetches the stack from
    // here (`prefetch::parked`).
    let here = 0u8;
    g.park.set_sp_hint(std::ptr::addr_of!(here) as usize);
    g.suspend(Action::Park);
    // A load first: the common case (woken by an unpark) needs no read-modify-write.
    if g.timed_out.load(Ordering::Relaxed) {
        g.timed_out.store(false, Ordering::Relaxed);
        return false;
    }
    true
}

// Hidden: plumbing for the façade's channels and `gpm::sync` (module design comment).
#[doc(hidden)]
/// A scheduling point for operations that did not block: yields if the running goroutine's
/// time slice is used up (its preempt flag is set). A no-op on a plain thread, and inside
/// `blocking` (the flag is honoured when the call returns). Inlined: the common case is a
/// call to read the current G and one load; the switch is out of line.
#[inline]
pub fn preempt_point() {
    if let Some(g) = crate::context::current_g()
        && g.preempt.load(Ordering::Relaxed)
    {
        preempt_now(g);
    }
}

#[cold]
#[inline(never)]
fn preempt_now(g: GRef) {
    if g.status() != GStatus::Syscall {
        g.preempt.store(false, Ordering::Relaxed);
        g.suspend(Action::Preempted);
        crate::abort::check(g);
    }
}

/// The calling plain thread's waiter. Reads a thread-local: never inlined, never switches
/// (`context.rs`). Under loom, loom's thread-local: one waiter per model thread.
#[inline(never)]
fn thread_waiter() -> Unparker {
    #[cfg(not(gpm_loom))]
    return WAITER.try_with(|w| w.0.clone()).unwrap_or_else(|_| late_waiter());
    #[cfg(gpm_loom)]
    WAITER.with(|w| w.0.clone())
}

/// The waiter of a thread whose `WAITER` is already destroyed: a thread-local destructor
/// that blocks on a channel or a lock as the thread exits (crossbeam-channel's
/// `thread_locals` test; `WAITER.with` would panic there, and a panic in a thread-local
/// destructor aborts). One parker for the rest of the thread's exit, in a thread-local
/// without a destructor (never destroyed, so always reachable), and leaked: each call must
/// return the same parker, because a wait registers one `Unparker` and parks on another.
/// Never switches.
#[cfg(not(gpm_loom))]
#[cold]
#[inline(never)]
fn late_waiter() -> Unparker {
    thread_local! {
        static LATE: std::cell::Cell<*const Parker> = const { std::cell::Cell::new(std::ptr::null()) };
    }
    LATE.with(|late| {
        if late.get().is_null() {
            late.set(Arc::into_raw(Arc::new(Parker::new())));
        }
        // SAFETY: `late` holds a pointer from `Arc::into_raw` whose count is never given
        // back (leaked), so the parker lives on; the increment pays for the `Arc` made here.
        let parker = unsafe {
            Arc::increment_strong_count(late.get());
            Arc::from_raw(late.get())
        };
        Unparker { inner: Inner::Thread(parker) }
    })
}

/// Makes the calling plain thread's waiter if it has none: the thread is one deadlock
/// detection knows from now on (`deadlock/threads.rs`). Never switches. Nothing, once the
/// thread's waiter is destroyed.
#[inline(never)]
pub(crate) fn touch_thread_waiter() {
    #[cfg(not(gpm_loom))]
    let _ = WAITER.try_with(|_| ());
    #[cfg(gpm_loom)]
    WAITER.with(|_| ());
}

/// A plain thread's permit, and its place among the threads deadlock detection knows
/// while the thread lives.
struct ThreadWaiter(Unparker, #[allow(dead_code)] crate::deadlock::threads::Seen);

impl ThreadWaiter {
    fn new() -> ThreadWaiter {
        let parker = Unparker { inner: Inner::Thread(Arc::new(Parker::new())) };
        ThreadWaiter(parker, crate::deadlock::threads::Seen::new())
    }
}

#[cfg(not(gpm_loom))]
thread_local! {
    static WAITER: ThreadWaiter = ThreadWaiter::new();
}
#[cfg(gpm_loom)]
loom::thread_local! {
    static WAITER: ThreadWaiter = ThreadWaiter::new();
}
