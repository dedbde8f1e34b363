//! Moving coroutines between threads: [`SendCoroutine`] (`unsafe` to make) and
//! [`IdleCoroutine`] (safe), the two `Send` forms of the `!Send` [`Coroutine`].
//!
//! ## The hazard
//! A suspended job's frames stay on the coroutine's stack, and the compiler treats the thread
//! as fixed for the life of a frame (rust-lang/unsafe-code-guidelines#602,
//! llvm/llvm-project#98479). A frame may hold a reference into thread-local storage (the `&T`
//! of `LocalKey::with`), a value bound to its thread (an `Rc` shared with thread-local state,
//! as `thread_rng()`'s handle is; a `std::sync::MutexGuard`, which the locking thread must
//! release; a `StdoutLock`), or, in an optimised build, a thread-local's address that LLVM
//! computed before the call that suspended and reuses after it. Resumed on another thread,
//! the job reads and writes the first thread's storage while that thread uses it too: a
//! double free, in practice. No `Send` bound sees what a frame holds, and no check in
//! `resume` can, so only the job's author can rule it out: moving a coroutine with a job on
//! it takes their promise, made with `unsafe`.
//!
//! ## The two forms
//! * [`Coroutine::into_send`] is `unsafe`. Its `# Safety` is the migration contract, promised
//!   for every job the coroutine runs while it is a `SendCoroutine`: the one on it now and
//!   every one started through it later. That is a scheduler's situation: its creator made
//!   the promise once for all its goroutines. The wrapper is `repr(transparent)` and forwards
//!   the methods a scheduler uses `#[inline(always)]`: no field, no check, the same code on
//!   the resume path. It derefs to `&Coroutine`, never to `&mut Coroutine`: with that, safe
//!   code could `mem::swap` a coroutine nobody promised anything for into the wrapper and
//!   send it. [`SendCoroutine::into_inner`] gives the `Coroutine` back (becoming `!Send` again
//!   is always sound).
//! * [`Coroutine::into_idle`] is safe, and succeeds only for an idle coroutine (no job loaded,
//!   none suspended). An `IdleCoroutine` cannot start a job (the job could suspend and be
//!   sent on); it can only become a `Coroutine` again, on the thread that received it, or
//!   give its stack back. A pool of warm coroutines shared by threads needs nothing more.
//!
//! ## Why an idle coroutine carries nothing of its thread
//! With no job on it, the stack holds only this crate's and corosensei's frames. Either the
//! corosensei coroutine has not started (its stack holds the entry state, the `body` fn
//! item), or it is suspended in `body` at the `Finished` yield, above corosensei's root
//! frame and the root's `catch_unwind`:
//! 1. `body` holds the yielder (an address on the coroutine's own stack) and reads no
//!    thread-local.
//! 2. The root holds the link to the resumer's stack, which every resume rewrites.
//! 3. The `catch_unwind` reads Rust's per-thread panic count only after a job panicked, in
//!    std's cold `cleanup`, called from the landing pad, which looks the thread-local up
//!    itself, on the thread that resumed the job.
//!
//! (The disassembly agrees: the root keeps only the parent link in a callee-saved register
//! across the call into `body`, and `body` has no thread-pointer access.) The same frames lie
//! under every `SendCoroutine`'s job, so this is also this crate's share of the promise a
//! scheduler makes.
//!
//! This crate's own code keeps the contract for the frames it puts on a coroutine's stack
//! and for what `resume` does on the resumer's: thread-locals are read only in
//! `#[inline(never)]` functions that never suspend (`current.rs`, the pool's cache accessor).
//!
//! `tests/compile_fail.rs` holds the programs that must not compile without `unsafe` (sending
//! a suspended `Coroutine`, calling `into_send`, swapping through a `SendCoroutine`, starting
//! a job on an `IdleCoroutine`) and one that must (moving idle coroutines between threads).
//!
//! Rejected:
//! * `Coroutine: Send` with the contract as documentation only (the first design): safe code
//!   could break it, and did (a `thread_local!` reference held across `suspend`, resumed on
//!   another thread: SIGSEGV).
//! * A check in `resume` (record the creating thread, panic on another): a thread-id read on
//!   every switch, and it forbids the migration a scheduler needs instead of letting it make
//!   the promise.
//! * An `unsafe` resume-anywhere method: the promise would be made at every resume instead of
//!   once where a scheduler is built, and the value must be `Send` to reach another thread in
//!   the first place.

use std::ops::Deref;

use crate::coroutine::{Coroutine, Job, RawJob, Resumed};
use crate::current::ThreadSlot;
use crate::stack::Stack;

impl Coroutine {
    /// Makes this coroutine `Send`, so that it can be resumed (or dropped, which unwinds a
    /// suspended job) on any thread: the migration contract, promised by the caller.
    ///
    /// # Safety
    /// Every job that runs on this coroutine while it is a [`SendCoroutine`] (the job loaded
    /// or suspended on it now, and every job started through the `SendCoroutine` later)
    /// keeps these rules at every suspension, in its own code and in everything it calls:
    /// 1. It holds no reference into thread-local storage (the `&T` of `LocalKey::with`, or a
    ///    pointer taken from one) and no thread-bound value across the suspension: an `Rc` or
    ///    other `!Send` value shared with thread-local state (`rand::thread_rng()`'s handle),
    ///    a `std::sync::MutexGuard` (the locking thread must unlock), a
    ///    `std::io::StdoutLock`, a `tracing` span guard, or any value whose soundness depends
    ///    on the thread it was made on.
    /// 2. No function accesses a thread-local both before and after a suspension (its own, or
    ///    one in a callee that may suspend), counting callees the compiler may inline: an
    ///    optimised build may compute the thread-local's address once and use it after the
    ///    switch, on the new thread. Thread-locals are read only in `#[inline(never)]`
    ///    functions that do not suspend.
    /// 3. It does not suspend while a panic unwinds its stack (in a destructor) unless it is
    ///    resumed on the same thread: Rust counts panics in progress per thread.
    ///
    /// The job's `Send` bound covers what it captures; these rules cover what it creates.
    #[inline]
    pub unsafe fn into_send(self) -> SendCoroutine {
        SendCoroutine(self)
    }

    /// This coroutine as a `Send` [`IdleCoroutine`], if it is idle ([`is_idle`]: no job
    /// loaded, none suspended); else `Err(self)`. Sound with no promise: no frame of a job is
    /// on an idle coroutine's stack (module docs).
    ///
    /// [`is_idle`]: Coroutine::is_idle
    pub fn into_idle(self) -> Result<IdleCoroutine, Coroutine> {
        if self.is_idle() { Ok(IdleCoroutine(self)) } else { Err(self) }
    }
}

/// A [`Coroutine`] that may be resumed on any thread, made by the `unsafe`
/// [`Coroutine::into_send`], whose `# Safety` is the contract its jobs keep. What a
/// scheduler that moves goroutines between threads holds: the `Coroutine` methods it uses,
/// forwarded with no cost (`repr(transparent)`, always inlined). It derefs to `&Coroutine`
/// for the getters, never to `&mut Coroutine` (that would let safe code swap an unpromised
/// coroutine in).
///
/// ```compile_fail
/// # use gpm_stack::{Coroutine, SendCoroutine};
/// # fn swap_in(send: &mut SendCoroutine, other: &mut Coroutine) {
/// std::mem::swap(&mut **send, other); // no `&mut Coroutine` out of a `SendCoroutine`
/// # }
/// ```
#[repr(transparent)]
#[derive(Debug)]
pub struct SendCoroutine(Coroutine);

// SAFETY: `into_send`, the only way to make a `SendCoroutine`, has the caller promise the
// migration contract for every job it runs; `&mut self` on `resume` keeps one resumer at a
// time, and no `&mut Coroutine` leaves the wrapper, so no other coroutine can be put in.
unsafe impl Send for SendCoroutine {}

impl SendCoroutine {
    /// The coroutine, bound to the calling thread again.
    #[inline]
    pub fn into_inner(self) -> Coroutine {
        self.0
    }

    /// [`Coroutine::set_id`].
    #[inline]
    pub fn set_id(&mut self, goroutine_id: u64) {
        self.0.set_id(goroutine_id);
    }

    /// [`Coroutine::start`]; the job is covered by the promise of [`Coroutine::into_send`].
    ///
    /// # Panics
    /// If the coroutine is not idle.
    #[inline]
    pub fn start(&mut self, job: Job) {
        self.0.start(job);
    }

    /// [`Coroutine::start_raw`]; the job is covered by the promise of
    /// [`Coroutine::into_send`].
    ///
    /// # Panics
    /// If the coroutine is not idle.
    #[inline]
    pub fn start_raw(&mut self, job: RawJob) {
        self.0.start_raw(job);
    }

    /// [`Coroutine::start_raw_unchecked`].
    ///
    /// # Safety
    /// As [`Coroutine::start_raw_unchecked`]: the coroutine is idle.
    #[inline]
    pub unsafe fn start_raw_unchecked(&mut self, job: RawJob) {
        // SAFETY: the caller's contract is the callee's.
        unsafe { self.0.start_raw_unchecked(job) }
    }

    /// [`Coroutine::resume`], on whatever thread calls it.
    ///
    /// # Panics
    /// If the coroutine is idle.
    #[inline(always)]
    pub fn resume(&mut self) -> Resumed {
        self.0.resume()
    }

    /// [`Coroutine::resume_in`], on whatever thread owns `slot`.
    ///
    /// # Panics
    /// If the coroutine is idle.
    #[inline(always)]
    pub fn resume_in(&mut self, slot: &ThreadSlot) -> Resumed {
        self.0.resume_in(slot)
    }

    /// [`Coroutine::into_stack`] (a suspended job is unwound on the calling thread).
    pub fn into_stack(self) -> Stack {
        self.0.into_stack()
    }
}

impl Deref for SendCoroutine {
    type Target = Coroutine;

    #[inline(always)]
    fn deref(&self) -> &Coroutine {
        &self.0
    }
}

/// A [`Coroutine`] with no job on it, free to move between threads with no promise
/// ([`Coroutine::into_idle`]; the module docs say why that is sound). It runs nothing: turn
/// it back into a `Coroutine` ([`into_inner`](IdleCoroutine::into_inner)) on the thread that
/// will run its next job.
///
/// ```
/// use gpm_stack::{IdleCoroutine, Resumed, Stack};
///
/// let idle = IdleCoroutine::new(Stack::new(64 * 1024)?);
/// let ran = std::thread::spawn(move || {
///     let mut co = idle.into_inner(); // bound to this thread from here on
///     co.start(Box::new(|s| s.suspend()));
///     assert!(matches!(co.resume(), Resumed::Suspended));
///     assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
///     co.into_idle().expect("idle after its job")
/// })
/// .join()
/// .unwrap();
/// assert!(ran.is_idle());
/// # Ok::<(), std::io::Error>(())
/// ```
#[repr(transparent)]
#[derive(Debug)]
pub struct IdleCoroutine(Coroutine);

// SAFETY: an `IdleCoroutine` is made only from an idle coroutine (`into_idle`, `new`) and
// cannot start a job, so its stack holds no job frame: only corosensei's root and `body`,
// which hold nothing of the thread they last ran on (module docs).
unsafe impl Send for IdleCoroutine {}

impl IdleCoroutine {
    /// A fresh coroutine on `stack` (idle: nothing loaded).
    pub fn new(stack: Stack) -> IdleCoroutine {
        IdleCoroutine(Coroutine::new(stack))
    }

    /// The coroutine, bound to the calling thread, ready to `start` a job.
    #[inline]
    pub fn into_inner(self) -> Coroutine {
        self.0
    }

    /// Gives the stack back.
    pub fn into_stack(self) -> Stack {
        self.0.into_stack()
    }
}

impl From<IdleCoroutine> for Coroutine {
    fn from(idle: IdleCoroutine) -> Coroutine {
        idle.0
    }
}

impl Deref for IdleCoroutine {
    type Target = Coroutine;

    #[inline]
    fn deref(&self) -> &Coroutine {
        &self.0
    }
}
