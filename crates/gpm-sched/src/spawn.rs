//! Spawning (Go's `newproc`) and joining: a free or new G gets the job; from a goroutine it
//! goes into the current P's `runnext` (the spawner's P runs it next, warm in cache), from
//! a plain thread into the global queue; then an M is woken if a P idles and nobody spins.
//!
//! One allocation per goroutine: a [`Task`] holds the closure and the result slot the
//! `JoinHandle` reads (`Packet`), in one `Arc`, and the G runs it as a `gpm_stack::RawJob`
//! pointing into that `Arc` (a boxed job closure beside the `Arc` was a second malloc and a
//! second free per spawn).

use std::cell::UnsafeCell;
use std::io;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::*};

use gpm_stack::{RawJob, Suspender};

use crate::g::{GRef, GStatus};
use crate::gfree::gfget;
use crate::p::P;
use crate::park::{Unparker, WaitReason};
use crate::sched::{Sched, lock};

/// The payload of a `JoinHandle::join` error when the runtime was dropped before the
/// goroutine finished (its stack was unwound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("goroutine cancelled: its runtime was dropped")
    }
}

const RUNNING: u8 = 0;
const WAITING: u8 = 1;
const DONE: u8 = 2;

/// The result slot shared by a goroutine and its `JoinHandle`.
struct Packet<T> {
    /// `RUNNING → WAITING` (joiner registered, Release) `→ DONE` (result written, AcqRel).
    state: AtomicU8,
    /// The goroutine's id (for `JoinHandle::id`).
    id: u64,
    /// Written by the finisher before `DONE`; read by the joiner after seeing `DONE`.
    result: UnsafeCell<Option<std::thread::Result<T>>>,
    /// Written by the joiner before `WAITING`; taken by the finisher after.
    waiter: UnsafeCell<Option<Unparker>>,
}

// SAFETY: `result` and `waiter` are each written by one side and read by the other only
// after the `state` transition that publishes them (field docs); `T: Send` crosses threads.
unsafe impl<T: Send> Sync for Packet<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Packet<T> {}

impl<T> Packet<T> {
    #[inline(always)]
    fn finish(&self, r: std::thread::Result<T>) {
        // SAFETY: only the goroutine's `Completer` writes `result`, once, before `DONE`.
        unsafe { *self.result.get() = Some(r) };
        // AcqRel: Release publishes `result`; Acquire sees the joiner's `waiter`.
        if self.state.swap(DONE, AcqRel) == WAITING {
            // By reference, left to drop with the packet: moving the `Option<Unparker>` out
            // reloaded the joiner's recent narrower stores 16 bytes at a time (a
            // store-forwarding stall on every join).
            // SAFETY: the joiner wrote `waiter` before `WAITING` and no longer touches it.
            if let Some(w) = unsafe { &*self.waiter.get() } {
                w.unpark();
            }
        }
    }
}

/// A goroutine's closure and its result slot, in one allocation (module docs).
struct Task<F, T> {
    packet: Packet<T>,
    /// The goroutine's G (its suspender and locals are reached through it).
    g: GRef,
    /// Taken by the job's `run`, or dropped by its `drop`: exactly one of them, once
    /// (`RawJob`'s contract), so no flag is needed.
    f: UnsafeCell<ManuallyDrop<F>>,
}

// SAFETY: `f` is touched once, by whichever of the job's two functions runs (on one thread);
// `packet` is `Sync` for `T: Send`; `F: Send` crosses threads with the job.
unsafe impl<F: Send, T: Send> Sync for Task<F, T> {}

/// What a `JoinHandle<T>` sees of a `Task<F, T>`, whatever `F`.
trait HasPacket<T>: Send + Sync {
    fn packet(&self) -> &Packet<T>;
}

impl<F: Send, T: Send> HasPacket<T> for Task<F, T> {
    #[inline]
    fn packet(&self) -> &Packet<T> {
        &self.packet
    }
}

/// Finishes the packet exactly once: with the job's result, or `Cancelled` when the job is
/// unwound by a runtime drop.
struct Completer<'a, T>(Option<&'a Packet<T>>);

impl<T> Completer<'_, T> {
    #[inline(always)]
    fn finish(mut self, r: std::thread::Result<T>) {
        if let Some(p) = self.0.take() {
            p.finish(r);
        }
    }
}

impl<T> Drop for Completer<'_, T> {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.finish(Err(Box::new(Cancelled)));
        }
    }
}

impl<F, T> Task<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// The job that runs this task on its G (one strong count moves into it).
    fn into_job(task: Arc<Task<F, T>>) -> RawJob {
        let data = NonNull::new(Arc::into_raw(task) as *mut ()).expect("Arc::into_raw: null");
        // SAFETY: `run` and `drop_unrun` each take back the strong count `into_raw` left,
        // once; the task is `Send + Sync`, so either may run on any thread.
        unsafe { RawJob::new(data, Self::run, Self::drop_unrun) }
    }

    /// The goroutine's body, on its stack.
    ///
    /// # Safety
    /// `data` comes from `into_job`, and this or `drop_unrun` is called once for it.
    unsafe fn run(data: NonNull<()>, s: &Suspender) {
        // SAFETY: the caller's contract: the strong count `into_job` left is ours.
        let task = unsafe { Arc::from_raw(data.as_ptr() as *const Task<F, T>) };
        let completer = Completer(Some(&task.packet));
        let g = task.g;
        g.suspender.set(s);
        // SAFETY: run once, and `drop_unrun` is not called (caller's contract): `f` is ours.
        let f = unsafe { ManuallyDrop::take(&mut *task.f.get()) };
        let r = catch_unwind(AssertUnwindSafe(f));
        // Goroutine-locals die with the goroutine, on its own stack (their destructors may
        // block). A panic in one is reported by the hook and otherwise ignored.
        // SAFETY: the running goroutine owns its G's owner fields, and its job has returned.
        unsafe { crate::local::drop_all(g.locals.get()) };
        if let Err(payload) = r {
            if g.cancelling.load(Relaxed) {
                // The runtime is unwinding this stack: let the unwind through (the
                // completer reports `Cancelled` on the way).
                resume_unwind(payload);
            }
            completer.finish(Err(payload));
        } else {
            completer.finish(r);
        }
    }

    /// The job dropped unrun (its G was cancelled before it ever ran): `Cancelled`.
    ///
    /// # Safety
    /// As `run`.
    unsafe fn drop_unrun(data: NonNull<()>) {
        // SAFETY: as in `run`.
        let task = unsafe { Arc::from_raw(data.as_ptr() as *const Task<F, T>) };
        // SAFETY: never run (caller's contract): `f` is still there, and ours to drop.
        unsafe { ManuallyDrop::drop(&mut *task.f.get()) };
        drop(Completer(Some(&task.packet)));
    }
}

/// An owned permission to join a goroutine (wait for it and take its result). Dropping it
/// detaches the goroutine.
pub struct JoinHandle<T> {
    /// Two words (the id lives in the packet), so the handle is returned in registers.
    task: Arc<dyn HasPacket<T>>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish: `Ok(value)`, or `Err(payload)` if it panicked
    /// (or `Err(Cancelled)` if its runtime was dropped first). From a goroutine this parks
    /// the goroutine; from a plain thread it blocks the thread.
    #[inline]
    pub fn join(self) -> std::thread::Result<T> {
        let p = self.task.packet();
        // Acquire: pairs with the AcqRel swap in `finish`.
        if p.state.load(Acquire) != DONE {
            // SAFETY: only the joiner writes `waiter`, before publishing it with `WAITING`.
            unsafe { *p.waiter.get() = Some(crate::park::unparker()) };
            // Release: publishes `waiter` to the finisher.
            if p.state.compare_exchange(RUNNING, WAITING, AcqRel, Acquire).is_ok() {
                while p.state.load(Acquire) != DONE {
                    crate::park::park(WaitReason::Join);
                }
            }
        }
        // SAFETY: `DONE` was seen with Acquire: the finisher wrote `result` and is done with it.
        unsafe { (*p.result.get()).take() }.expect("JoinHandle::join: result taken twice")
    }

    /// Whether the goroutine has finished (its result is ready).
    pub fn is_finished(&self) -> bool {
        self.task.packet().state.load(Acquire) == DONE
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.task.packet().id
    }
}

/// Spawns `f` on `sched` from the thread whose M is `m` (`current_m()`, read by the caller;
/// null on a plain thread).
pub(crate) fn spawn_on<F, T>(
    sched: &Sched,
    m: *const crate::m::M,
    name: &mut Option<String>,
    stack_size: Option<usize>,
    location: &'static Location<'static>,
    f: F,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut f = Some(f);
    // The task for `g` with id `id`: its join handle and the job that runs it.
    let mut make = |g: GRef, id: u64| {
        let f = f.take().expect("spawn_on: job");
        let task = Arc::new(Task {
            packet: Packet {
                state: AtomicU8::new(RUNNING),
                id,
                result: UnsafeCell::new(None),
                waiter: UnsafeCell::new(None),
            },
            g,
            f: UnsafeCell::new(ManuallyDrop::new(f)),
        });
        let handle = JoinHandle { task: task.clone() };
        (handle, Task::into_job(task))
    };
    // The handle comes out through `out` and the closure returns a small value: the large
    // `io::Result` of a tuple went through memory and its reload stalled.
    let mut out = None;
    let local = sched.with_p_of(m, |p| -> io::Result<usize> {
        let g = gfget(sched, Some(p), stack_size)?;
        // SAFETY: `with_local_p` runs this with `p` owned.
        let id = unsafe { p.next_goid(&sched.goid) };
        let (handle, job) = make(g, id);
        out = Some(handle);
        start(g, id, name, location, job);
        // SAFETY: as above.
        unsafe { P::bump(&p.spawned) };
        // SAFETY: as above.
        let runq = unsafe { p.runq() };
        runq.push_next(g, &sched.global);
        Ok(runq.len())
    });
    if let Some(r) = local {
        let queued = r?;
        sched.wake_after_push_next(queued);
        return Ok(out.expect("spawn_on: handle"));
    }
    let g = gfget(sched, None, stack_size)?;
    let id = sched.goid.fetch_add(1, Relaxed);
    let (handle, job) = make(g, id);
    start(g, id, name, location, job);
    sched.spawned_nop.fetch_add(1, Relaxed);
    sched.global.push(g);
    sched.wake_if_needed();
    Ok(handle)
}

/// Loads the job into `g` and starts its new life (status `Runnable`).
fn start(
    g: GRef,
    id: u64,
    name: &mut Option<String>,
    location: &'static Location<'static>,
    job: RawJob,
) {
    g.park.new_life();
    g.id.store(id, Relaxed);
    g.location.store(location as *const _ as *mut _, Relaxed);
    // Looked at in place, taken only when set: no copy of the `Option<String>` on the
    // common unnamed path.
    if name.is_some() || g.has_name.load(Relaxed) {
        g.has_name.store(name.is_some(), Relaxed);
        *lock(&g.name) = name.take().map(String::into_boxed_str);
    }
    g.preempt.store(false, Relaxed);
    g.cancelling.store(false, Relaxed);
    g.timed_out.store(false, Relaxed);
    g.lock_count.set(0);
    g.locked_m.store(std::ptr::null_mut(), Relaxed);
    // SAFETY: the spawner owns the free G it took.
    match unsafe { g.co_mut() }.as_mut() {
        // A custom-size stack, bound at spawn.
        Some(co) => {
            co.set_id(id);
            co.start_raw(job);
        }
        // The default size: a coroutine is bound when the G first runs (`gfree::bind`).
        None => g.job.set(Some(job)),
    }
    g.set_status(GStatus::Runnable);
}
