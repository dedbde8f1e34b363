//! Spawning (Go's `newproc`) and joining: a free or new G gets the job; from a goroutine it
//! goes into the current P's `runnext` (the spawner's P runs it next, warm in cache), from
//! a plain thread into the global queue; then an M is woken if a P idles and nobody spins.

use std::cell::UnsafeCell;
use std::io;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::*};

use gpm_stack::Suspender;

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
    fn finish(&self, r: std::thread::Result<T>) {
        // SAFETY: only the goroutine's `Completer` writes `result`, once, before `DONE`.
        unsafe { *self.result.get() = Some(r) };
        // AcqRel: Release publishes `result`; Acquire sees the joiner's `waiter`.
        if self.state.swap(DONE, AcqRel) == WAITING {
            // SAFETY: the joiner wrote `waiter` before `WAITING` and no longer touches it.
            if let Some(w) = unsafe { (*self.waiter.get()).take() } {
                w.unpark();
            }
        }
    }
}

/// Finishes the packet exactly once: with the job's result, or `Cancelled` when the job is
/// dropped unrun or unwound by a runtime drop.
struct Completer<T>(Option<Arc<Packet<T>>>);

impl<T> Completer<T> {
    fn finish(mut self, r: std::thread::Result<T>) {
        if let Some(p) = self.0.take() {
            p.finish(r);
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.finish(Err(Box::new(Cancelled)));
        }
    }
}

/// An owned permission to join a goroutine (wait for it and take its result). Dropping it
/// detaches the goroutine.
pub struct JoinHandle<T> {
    packet: Arc<Packet<T>>,
    id: u64,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id).finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Waits for the goroutine to finish: `Ok(value)`, or `Err(payload)` if it panicked
    /// (or `Err(Cancelled)` if its runtime was dropped first). From a goroutine this parks
    /// the goroutine; from a plain thread it blocks the thread.
    #[inline]
    pub fn join(self) -> std::thread::Result<T> {
        let p = &self.packet;
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
        self.packet.state.load(Acquire) == DONE
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// Spawns `f` on `sched`.
pub(crate) fn spawn_on<F, T>(
    sched: &Sched,
    name: Option<String>,
    stack_size: Option<usize>,
    location: &'static Location<'static>,
    f: F,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let packet = Arc::new(Packet {
        state: AtomicU8::new(RUNNING),
        result: UnsafeCell::new(None),
        waiter: UnsafeCell::new(None),
    });
    let completer = Completer(Some(packet.clone()));
    let mut job = Some((f, completer));
    let mut name = Some(name);
    let local = sched.with_local_p(|p| -> io::Result<(u64, usize)> {
        let g = gfget(sched, Some(p), stack_size)?;
        // SAFETY: `with_local_p` runs this with `p` owned.
        let id = unsafe { p.next_goid(&sched.goid) };
        let (f, c) = job.take().expect("spawn_on: job");
        start(g, id, name.take().flatten(), location, f, c);
        // SAFETY: as above.
        unsafe { P::bump(&p.spawned) };
        // SAFETY: as above.
        let runq = unsafe { p.runq() };
        runq.push_next(g, &sched.global);
        Ok((id, runq.len()))
    });
    let id = match local {
        Some(r) => {
            let (id, queued) = r?;
            sched.wake_after_push_next(queued);
            return Ok(JoinHandle { packet, id });
        }
        None => {
            let g = gfget(sched, None, stack_size)?;
            let id = sched.goid.fetch_add(1, Relaxed);
            let (f, c) = job.take().expect("spawn_on: job");
            start(g, id, name.take().flatten(), location, f, c);
            sched.spawned_nop.fetch_add(1, Relaxed);
            sched.global.push(g);
            id
        }
    };
    sched.wake_if_needed();
    Ok(JoinHandle { packet, id })
}

/// Loads the job into `g` and starts its new life (status `Runnable`).
fn start<F, T>(
    g: GRef,
    id: u64,
    name: Option<String>,
    location: &'static Location<'static>,
    f: F,
    completer: Completer<T>,
) where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    g.park.new_life();
    g.id.store(id, Relaxed);
    g.location.store(location as *const _ as *mut _, Relaxed);
    if name.is_some() || g.has_name.load(Relaxed) {
        g.has_name.store(name.is_some(), Relaxed);
        *lock(&g.name) = name.map(String::into_boxed_str);
    }
    g.preempt.store(false, Relaxed);
    g.cancelling.store(false, Relaxed);
    g.timed_out.store(false, Relaxed);
    g.lock_count.set(0);
    g.locked_m.store(std::ptr::null_mut(), Relaxed);
    let job = Box::new(move |s: &Suspender| {
        g.suspender.set(s);
        let r = catch_unwind(AssertUnwindSafe(f));
        // Goroutine-locals die with the goroutine, on its own stack (their destructors may
        // block). A panic in one is reported by the hook and otherwise ignored.
        // SAFETY: the running goroutine owns its G's owner fields, and its job has returned.
        unsafe { crate::local::drop_all(g.locals.get()) };
        if let Err(payload) = r {
            if g.cancelling.load(Relaxed) {
                // The runtime is unwinding this stack: let the unwind through.
                resume_unwind(payload);
            }
            completer.finish(Err(payload));
        } else {
            completer.finish(r);
        }
    });
    // SAFETY: the spawner owns the free G it took.
    match unsafe { g.co_mut() }.as_mut() {
        // A custom-size stack, bound at spawn.
        Some(co) => {
            co.set_id(id);
            co.start(job);
        }
        // The default size: a coroutine is bound when the G first runs (`gfree::bind`).
        None => g.job.set(Some(job)),
    }
    g.set_status(GStatus::Runnable);
}
