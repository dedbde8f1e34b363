//! `Coroutine`: one corosensei coroutine on one [`Stack`], reused for many jobs in turn.
//!
//! The corosensei body is a loop: take a job through the resume input, run it, yield
//! `Finished`, receive the next job through the input of the next resume. The input is a
//! [`Handoff`], a raw pointer to the `Coroutine`'s job slot rather than the job itself: a
//! one-word input without drop glue keeps corosensei's `resume` small enough to inline
//! into the caller's loop (a `Box<dyn FnOnce>` input did not inline). Starting a job therefore
//! costs no allocation beyond the job's own `Box`, and no stack initialisation.
//!
//! ## Panics
//! A job's panic is caught *around* `resume`, on the caller's stack, not inside the body:
//! corosensei catches it at the coroutine's root, marks the coroutine finished and re-raises
//! it in `resume`, where `catch_unwind` turns it into `Resumed::Finished(Err(payload))`; the
//! stack is then put under a fresh corosensei coroutine (a few stores, no syscall).
//! Rejected: `catch_unwind` inside the body. Dropping a suspended coroutine unwinds it with
//! corosensei's private payload, which such a catch would swallow unless it could tell that
//! payload apart (it cannot name its type) — the coroutine would then run on after its drop.
//! Around `resume`, the forced unwind never passes through our code.
//!
//! ## Threads
//! A `Coroutine` is `!Send`: a suspended job's frames may hold thread-local addresses and
//! thread-bound values, which no type can see. It moves between threads only as a
//! [`SendCoroutine`](crate::SendCoroutine) (made with an `unsafe` promise about its jobs) or,
//! with no job on it, as an [`IdleCoroutine`](crate::IdleCoroutine); `migrate.rs` says why
//! each is sound.

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;

use corosensei::{CoroutineResult, Yielder};

use crate::current::{self, GuardInfo, ThreadSlot};
use crate::stack::Stack;
use crate::tsan::Fiber;

/// A unit of work for a [`Coroutine`]: runs on the coroutine's stack and may suspend it.
/// `Send`, because what it captures moves with a coroutine that changes threads as a
/// [`SendCoroutine`](crate::SendCoroutine).
pub type Job = Box<dyn FnOnce(&Suspender) + Send>;

/// A job in memory its caller allocated (and may share): a pointer, a function that runs it
/// (taking ownership of what the pointer holds) and one that drops it unrun. A scheduler
/// that keeps a goroutine's result slot in an allocation of its own runs the goroutine from
/// that same allocation, instead of boxing a second closure ([`Coroutine::start_raw`]).
pub struct RawJob {
    data: NonNull<()>,
    run: unsafe fn(NonNull<()>, &Suspender),
    drop: unsafe fn(NonNull<()>),
}

// SAFETY: `RawJob::new`'s contract: running or dropping the data is sound on any thread.
unsafe impl Send for RawJob {}

impl RawJob {
    /// A job that `run(data, suspender)` performs, or `drop(data)` abandons.
    ///
    /// # Safety
    /// Calling exactly one of `run(data, _)` or `drop(data)`, once, from any thread, at any
    /// time until then, is sound; `run` may suspend through the suspender it is given.
    #[inline]
    pub unsafe fn new(
        data: NonNull<()>,
        run: unsafe fn(NonNull<()>, &Suspender),
        drop: unsafe fn(NonNull<()>),
    ) -> RawJob {
        RawJob { data, run, drop }
    }

    fn run(self, suspender: &Suspender) {
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `new`'s contract; `me` is not dropped, so `drop` is never called too.
        unsafe { (me.run)(me.data, suspender) }
    }
}

impl Drop for RawJob {
    fn drop(&mut self) {
        // SAFETY: `new`'s contract; a job is dropped only if it was never run.
        unsafe { (self.drop)(self.data) }
    }
}

impl fmt::Debug for RawJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawJob").field("data", &self.data).finish_non_exhaustive()
    }
}

/// What `start` or `start_raw` loaded.
enum Loaded {
    Boxed(Job),
    Raw(RawJob),
}

impl Loaded {
    fn run(self, suspender: &Suspender) {
        match self {
            Loaded::Boxed(job) => job(suspender),
            Loaded::Raw(job) => job.run(suspender),
        }
    }
}

/// What the body tells `resume`.
enum Step {
    Suspended,
    Finished,
}

/// The resume input: null to continue a suspended job, else the `Coroutine`'s `job` field,
/// from which the body takes the job at once (during the `resume` that passed it, while the
/// `Coroutine` is mutably borrowed and nothing else touches the field).
#[derive(Clone, Copy)]
struct Handoff(*mut Option<Loaded>);

impl Handoff {
    /// Takes the job handed over, if any.
    ///
    /// # Safety
    /// Call only in the body, during the `resume` that passed this input.
    unsafe fn take(self) -> Option<Loaded> {
        // SAFETY: a non-null pointer is `&raw mut coroutine.job`, made by `resume` from its
        // `&mut self` and not used by it until the switch back (see `Handoff`).
        (!self.0.is_null()).then(|| unsafe { (*self.0).take() }).flatten()
    }
}

type Inner = corosensei::Coroutine<Handoff, Step, Infallible, Stack>;

/// The handle a job uses to suspend itself. It lives on the coroutine's stack (its address is
/// stable while the job runs). Jobs only ever get `&Suspender`, and it is not `Sync`, so that
/// reference cannot leave the job's thread of control: only the job's own code, on the
/// coroutine, can suspend it.
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<&gpm_stack::Suspender>(); // a job cannot hand its suspender to another thread
/// ```
#[repr(transparent)]
pub struct Suspender(Yielder<Handoff, Step>);

impl Suspender {
    fn from_yielder(y: &Yielder<Handoff, Step>) -> &Suspender {
        // SAFETY: `Suspender` is `repr(transparent)` over the yielder, so the layouts match
        // and the lifetime is carried over unchanged.
        unsafe { &*(y as *const Yielder<Handoff, Step> as *const Suspender) }
    }

    /// Switches back to whoever called [`Coroutine::resume`]; returns when the coroutine is
    /// resumed again: on the same thread, or on another one if the coroutine was moved as a
    /// [`SendCoroutine`](crate::SendCoroutine), under the migration contract of
    /// [`Coroutine::into_send`]. Reads no thread-local.
    #[inline]
    pub fn suspend(&self) {
        let input = self.0.suspend(Step::Suspended);
        debug_assert!(input.0.is_null(), "Suspender::suspend: resumed with a new job");
    }
}

impl fmt::Debug for Suspender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Suspender")
    }
}

/// How a [`Coroutine::resume`] ended.
#[derive(Debug)]
pub enum Resumed {
    /// The job called [`Suspender::suspend`]; resume again to continue it.
    Suspended,
    /// The job returned (`Ok`) or panicked (`Err` with the payload). The coroutine is idle and
    /// can [`start`](Coroutine::start) another job.
    Finished(std::thread::Result<()>),
}

/// The corosensei body: run each job handed in by `resume`, then wait for the next.
fn body(yielder: &Yielder<Handoff, Step>, mut input: Handoff) -> Infallible {
    let suspender = Suspender::from_yielder(yielder);
    loop {
        // SAFETY: `input` came from the `resume` now running us.
        if let Some(job) = unsafe { input.take() } {
            job.run(suspender);
        }
        // Nothing with drop glue is live here (see `Coroutine::unload`), and nothing bound
        // to this thread: an idle coroutine may change threads (`migrate.rs`).
        input = yielder.suspend(Step::Finished);
    }
}

/// A reusable coroutine: one corosensei coroutine and one [`Stack`] running many [`Job`]s in
/// turn (`start`, then `resume` until `Finished`, then `start` again).
///
/// # Threads
/// `Coroutine` is neither `Send` nor `Sync`. A suspended job's frames live on its stack, and
/// they may hold a reference into the creating thread's thread-local storage, a thread-bound
/// value (an `Rc` shared with thread-local state, a `MutexGuard`), or, in an optimised build,
/// a thread-local's address that LLVM keeps in a register across the suspension. Resumed on
/// another thread, such a job would use the first thread's storage while that thread uses it
/// too: undefined behaviour that safe code must not be able to cause, so a coroutine stays on
/// the thread that made it (as corosensei's own `Coroutine` does):
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<gpm_stack::Coroutine>(); // a suspended job must not change threads
/// ```
///
/// Two ways out, both in `migrate.rs`: [`into_send`](Coroutine::into_send) (`unsafe`: the
/// caller promises its jobs keep the migration contract) gives a [`SendCoroutine`] for a
/// scheduler that moves goroutines between threads; [`into_idle`](Coroutine::into_idle)
/// gives a coroutine with no job on it an [`IdleCoroutine`] that moves freely (a pool of warm
/// stacks shared by threads).
///
/// [`SendCoroutine`]: crate::SendCoroutine
/// [`IdleCoroutine`]: crate::IdleCoroutine
pub struct Coroutine {
    inner: Option<Inner>,
    /// Loaded by `start` or `start_raw`, handed over by the next `resume`.
    job: Option<Loaded>,
    /// A job is in progress and suspended.
    suspended: bool,
    info: GuardInfo,
    /// `!Send` and `!Sync` in our own right (see `# Threads`), not only because corosensei's
    /// coroutine happens to be.
    _thread_bound: PhantomData<*const ()>,
    /// ThreadSanitizer's name for this coroutine's thread of control (`tsan.rs`); empty
    /// without `--cfg gpm_tsan`.
    fiber: Fiber,
}

impl fmt::Debug for Coroutine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coroutine")
            .field("id", &self.info.id)
            .field("stack_size", &self.info.stack_size)
            .field("loaded", &self.job.is_some())
            .field("suspended", &self.suspended)
            .finish()
    }
}

impl Coroutine {
    /// A coroutine on `stack`, with no job loaded.
    pub fn new(stack: Stack) -> Coroutine {
        let guard = stack.guard_range();
        let info = GuardInfo {
            guard_start: guard.start,
            guard_end: guard.end,
            id: 0,
            stack_size: stack.size(),
        };
        Coroutine {
            inner: Some(Inner::with_stack(stack, body)),
            job: None,
            suspended: false,
            info,
            _thread_bound: PhantomData,
            fiber: Fiber::new(),
        }
    }

    /// Sets the id named in the overflow message `goroutine N has overflowed its stack`.
    #[inline]
    pub fn set_id(&mut self, goroutine_id: u64) {
        self.info.id = goroutine_id;
    }

    /// The id set by [`set_id`](Self::set_id) (0 by default).
    pub fn id(&self) -> u64 {
        self.info.id
    }

    /// Usable size of the stack in bytes.
    pub fn stack_size(&self) -> usize {
        self.info.stack_size
    }

    /// Loads `job`; the next [`resume`](Self::resume) runs it.
    ///
    /// # Panics
    /// If the coroutine is not idle (a job is loaded or suspended).
    pub fn start(&mut self, job: Job) {
        assert!(self.is_idle(), "Coroutine::start: a job is already loaded or running");
        self.job = Some(Loaded::Boxed(job));
    }

    /// Loads a [`RawJob`]; the next [`resume`](Self::resume) runs it.
    ///
    /// # Panics
    /// If the coroutine is not idle (a job is loaded or suspended).
    #[inline]
    pub fn start_raw(&mut self, job: RawJob) {
        assert!(self.is_idle(), "Coroutine::start_raw: a job is already loaded or running");
        self.job = Some(Loaded::Raw(job));
    }

    /// [`start_raw`](Self::start_raw) for a caller that checked [`is_idle`](Self::is_idle)
    /// before making the job. With the check (and the job's drop on its panic) here, the
    /// caller built the job in memory and moved it into place (ARCHITECTURE.md: store
    /// forwarding).
    ///
    /// # Safety
    /// The coroutine is idle (checked in debug builds): a loaded job would be dropped unrun
    /// and a suspended one overwritten.
    #[inline]
    pub unsafe fn start_raw_unchecked(&mut self, job: RawJob) {
        debug_assert!(self.is_idle(), "Coroutine::start_raw_unchecked: not idle");
        self.job = Some(Loaded::Raw(job));
    }

    /// Whether no job is loaded or suspended: the coroutine can `start` another one.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.job.is_none() && !self.suspended
    }

    /// Runs the loaded or suspended job until it suspends or finishes. Runs on the caller's
    /// stack, and while the job runs, publishes this coroutine's guard page and id as the
    /// calling thread's running coroutine (for the overflow handler and [`crate::running`]).
    ///
    /// Always inlined, so a scheduler loop saves the registers the switch clobbers once, not
    /// per call (about a third of a round trip). The thread-local it writes is reached only
    /// through the never-inlined `current::publish` and its guard's drop, so even inlined into
    /// code that can itself be suspended, no thread-local address is kept across a switch.
    ///
    /// # Panics
    /// If the coroutine is idle (nothing to run).
    #[inline(always)]
    pub fn resume(&mut self) -> Resumed {
        let input = self.take_input();
        let inner = self.inner.as_mut().expect("Coroutine: inner coroutine present");
        // SAFETY: `self.info` is neither moved nor changed while `self` is mutably borrowed
        // here, and `published` drops at the end of this call, on this thread.
        let published = unsafe { current::publish(&self.info) };
        let fiber = self.fiber.enter();
        let result = panic::catch_unwind(AssertUnwindSafe(|| inner.resume(input)));
        fiber.leave();
        drop(published);
        self.finish(result)
    }

    /// [`resume`](Self::resume), publishing through `slot` (this thread's, from
    /// [`crate::thread_slot`], taken once on the thread's own stack) with a plain store
    /// instead of a thread-local access: the fast path for a scheduler loop. The coroutine
    /// may have run on other threads before (as a [`SendCoroutine`](crate::SendCoroutine));
    /// what matters is that `slot` is the calling thread's, which its `!Send` type and
    /// `thread_slot`'s check ensure.
    ///
    /// # Panics
    /// If the coroutine is idle (nothing to run).
    #[inline(always)]
    pub fn resume_in(&mut self, slot: &ThreadSlot) -> Resumed {
        let input = self.take_input();
        let inner = self.inner.as_mut().expect("Coroutine: inner coroutine present");
        // SAFETY: as in `resume`: `self.info` stays put until `published` drops below.
        let published = unsafe { slot.publish(&self.info) };
        let fiber = self.fiber.enter();
        let result = panic::catch_unwind(AssertUnwindSafe(|| inner.resume(input)));
        fiber.leave();
        drop(published);
        self.finish(result)
    }

    /// The input of the next corosensei resume: null for a suspended job, else the job slot.
    #[inline(always)]
    fn take_input(&mut self) -> Handoff {
        if self.suspended {
            Handoff(std::ptr::null_mut())
        } else {
            assert!(self.job.is_some(), "Coroutine::resume: no job loaded; call start first");
            Handoff(&raw mut self.job)
        }
    }

    /// Turns corosensei's result (or a job's panic) into `Resumed`.
    #[inline(always)]
    fn finish(
        &mut self,
        result: std::thread::Result<CoroutineResult<Step, Infallible>>,
    ) -> Resumed {
        match result {
            Ok(CoroutineResult::Yield(Step::Suspended)) => {
                self.suspended = true;
                Resumed::Suspended
            }
            Ok(CoroutineResult::Yield(Step::Finished)) => {
                self.suspended = false;
                Resumed::Finished(Ok(()))
            }
            Ok(CoroutineResult::Return(never)) => match never {},
            Err(payload) => {
                self.suspended = false;
                self.rebuild();
                Resumed::Finished(Err(payload))
            }
        }
    }

    /// After a panic ended the corosensei coroutine: a fresh one on the same stack, and a
    /// fresh TSan fiber (the old one's shadow stack keeps corosensei's root frame, which
    /// never returns).
    #[cold]
    fn rebuild(&mut self) {
        let done = self.inner.take().expect("Coroutine: inner coroutine present");
        self.inner = Some(Inner::with_stack(done.into_stack(), body));
        self.fiber = Fiber::new();
    }

    /// Drops a loaded job and unwinds a suspended one (its destructors run, on this thread),
    /// leaving the corosensei coroutine finished.
    fn unload(&mut self) {
        self.job = None;
        let Some(inner) = self.inner.as_mut() else { return };
        if self.suspended {
            // SAFETY: as in `resume`: `self.info` stays put until `_published` drops here.
            let _published = unsafe { current::publish(&self.info) };
            self.suspended = false;
            // The unwind runs on the coroutine (`tsan.rs`: switch back before re-raising).
            let fiber = self.fiber.enter();
            let result = panic::catch_unwind(AssertUnwindSafe(|| inner.force_unwind()));
            fiber.leave();
            if let Err(payload) = result {
                panic::resume_unwind(payload);
            }
        } else if inner.started() && !inner.done() {
            // SAFETY: an idle, started body is suspended at its `Finished` yield, where no
            // value with drop glue is live (see `body`), so abandoning the frame leaks nothing.
            unsafe { inner.force_reset() };
        } else {
            // Not started: drops the entry closure (a fn item). Done: a no-op.
            inner.force_unwind();
        }
    }

    /// Gives the stack back, first unwinding a suspended job (its destructors run, on this
    /// thread). Dropping a `Coroutine` does the same. Unwinding needs `panic = "unwind"`:
    /// under `panic = "abort"` dropping a coroutine with a suspended job aborts the process.
    /// A destructor that panics during this unwind aborts it too, as a panic during any
    /// unwind does (`panic in a destructor during cleanup`).
    pub fn into_stack(mut self) -> Stack {
        self.unload();
        self.inner.take().expect("Coroutine: inner coroutine present").into_stack()
    }
}

impl Drop for Coroutine {
    fn drop(&mut self) {
        self.unload();
    }
}
