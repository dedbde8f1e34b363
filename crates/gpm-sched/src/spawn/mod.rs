//! Spawning (Go's `newproc`) and joining: a free or new G gets the job; from a goroutine it
//! goes into the current P's `runnext` (the spawner's P runs it next, warm in cache), from
//! a plain thread into the global queue; then an M is woken if a P idles and nobody spins.
//!
//! One allocation per goroutine: a [`Task`] holds the closure and the result slot the
//! `JoinHandle` reads (`Packet`), in one block from the P's task cache (`taskmem.rs`), and
//! the G runs it as a `gpm_stack::RawJob` pointing into that block (a boxed job closure
//! beside it was a second allocation and a second free per spawn).
//!
//! No reference count: the goroutine and its handle share a `JoinState` word that says which
//! of them frees the task (`joinstate.rs`, the protocol and its loom model).
//!
//! A joiner in the goroutine's own runtime waits as `Waiter::Local` (its G and generation,
//! no reference count): the goroutine waking it runs on that runtime, which keeps the G
//! allocated. Any other joiner (a plain thread, another runtime's goroutine) leaves an owning
//! `Unparker`.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::io;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::ptr::NonNull;
use std::sync::atomic::Ordering::*;

use gpm_stack::{RawJob, Suspender};

use crate::cancelled::Cancelled;
use crate::g::{GRef, GStatus};
use crate::gfree::gfget;
use crate::joinstate::{JoinState, Left};
use crate::park::{Unparker, WaitReason};
use crate::sched::{Sched, lock};
use crate::taskmem::{self, Cache};

mod join;

pub use join::JoinHandle;

/// How a joiner is woken (module docs).
enum Waiter {
    None,
    /// A goroutine of the task's own runtime, in its `generation`-th life.
    Local {
        g: GRef,
        generation: u32,
    },
    /// Anyone else.
    Remote(Unparker),
}

/// The result slot shared by a goroutine and its `JoinHandle`; first in its `Task`.
#[repr(C)]
struct Packet<T> {
    /// Who frees the task (`joinstate.rs`).
    state: JoinState,
    /// The task's block class (`taskmem.rs`), or `BOXED` (in the padding after `state`).
    class: u8,
    /// The goroutine's id (for `JoinHandle::id`).
    id: u64,
    /// The runtime the goroutine runs on (compared by the joiner; dereferenced by the
    /// goroutine, which runs on it, and by a handle that pinned the task: `abort.rs`).
    sched: *const Sched,
    /// The goroutine's G (its suspender and locals are reached through it; a cancelling
    /// handle reaches it while the task is pinned).
    g: GRef,
    /// The goroutine's name, for `JoinHandle::name` (a copy of the G's, which the G's next
    /// life replaces).
    name: Name,
    /// Written by the finisher before `DONE`; read by the joiner after seeing `DONE`.
    result: UnsafeCell<Option<std::thread::Result<T>>>,
    /// Written by the joiner before `WAITING`; read by the finisher between `DONE` and
    /// `RELEASED`.
    waiter: UnsafeCell<Waiter>,
    /// Frees a boxed task (whatever its closure type); unused for a task in a block.
    free_boxed: unsafe fn(NonNull<Packet<T>>),
}

/// A packet's copy of the goroutine's name, boxed twice: a thin pointer, so that every
/// packet gives 8 bytes to the rare named goroutine instead of a `Box<str>`'s 16. A packet
/// for a one-word result then fits a 96-byte block (two cache lines at most) instead of a
/// 128-byte one (up to three).
type Name = Option<Box<Box<str>>>;
// Not under loom, whose atomics (in `JoinState`) are larger.
#[cfg(not(gpm_loom))]
const _: () = assert!(std::mem::size_of::<Packet<u64>>() <= 96, "a packet outgrew 96 bytes");

/// `Packet::class` of a task that is boxed, not in a block of a class.
const BOXED: u8 = u8::MAX;
const _: () = assert!(taskmem::CLASSES < BOXED as usize, "a class must fit in a u8");

impl<T> Packet<T> {
    /// Frees the task after its join took the result. A joining goroutine (`keeper`) keeps
    /// a block as its spare when it has none (`taskmem.rs`): no P is needed for that.
    ///
    /// # Safety
    /// As `free`; the result has been taken, and `keeper` is the calling goroutine.
    #[inline(always)]
    unsafe fn free_joined(this: NonNull<Packet<T>>, keeper: Option<GRef>) {
        // SAFETY: live until freed (caller's contract).
        let class = unsafe { this.as_ref() }.class;
        if class != BOXED
            && let Some(me) = keeper
        {
            // SAFETY: caller's contract. With the result taken (`None`), only the waiter has
            // anything to drop: the `Unparker` of a remote joiner that found the goroutine
            // done after writing it (dropping it does not park).
            let waiter = unsafe { this.as_ref() }.waiter.get();
            // SAFETY: as above; the finisher is done with `waiter`.
            if let Waiter::Remote(_) = unsafe { &*waiter } {
                // SAFETY: as above; dropped once, and the task is not read again.
                unsafe { std::ptr::drop_in_place(waiter) };
            }
            // SAFETY: as above; the name is read only through the handle, which is gone.
            let name = unsafe { &raw mut (*this.as_ptr()).name };
            // SAFETY: as above; dropped once.
            if unsafe { (*name).is_some() } {
                // SAFETY: as above.
                unsafe { std::ptr::drop_in_place(name) };
            }
            // SAFETY: a block of this class from `create`, no longer used; the calling
            // goroutine owns its own spare.
            if let Err(block) = unsafe { me.spare_task.keep(class, this.cast()) } {
                // SAFETY: as above.
                unsafe { taskmem::free(usize::from(class), block) };
            }
            return;
        }
        // SAFETY: caller's contract.
        unsafe { Packet::free(this) };
    }

    /// Frees the whole task. A task in a block is freed here, with no call through a
    /// pointer: the rest of a task has nothing to drop (`f` was taken or dropped by the
    /// job), so the packet's own drop is the task's.
    ///
    /// # Safety
    /// `this` is a live task's packet that the free protocol gives the caller, freed once.
    #[inline(always)]
    unsafe fn free(this: NonNull<Packet<T>>) {
        // SAFETY: live until freed below (caller's contract).
        let class = unsafe { this.as_ref() }.class;
        if class == BOXED {
            // SAFETY: caller's contract; `create` set `free_boxed` for this task.
            return unsafe { (this.as_ref().free_boxed)(this) };
        }
        // SAFETY: caller's contract. The result's destructor may park: `taskmem::free`
        // finds the P after it.
        unsafe { std::ptr::drop_in_place(this.as_ptr()) };
        // SAFETY: a block of this class from `create` (the packet is first in its task),
        // no longer used.
        unsafe { taskmem::free(usize::from(class), this.cast()) };
    }

    /// Finishes the goroutine with `r`: the finisher's half of the free protocol (module
    /// docs). After it returns the task may be freed. `last_step`: the caller is the
    /// goroutine itself, switching to its M right after (a joiner of this runtime then runs
    /// next on that M: `Sched::ready_on_exit`).
    ///
    /// # Safety
    /// `this` is a live task's packet, and this is its one finish.
    #[inline(always)]
    unsafe fn finish(this: NonNull<Packet<T>>, r: std::thread::Result<T>, last_step: bool) {
        // SAFETY: the task is alive until this function's swap hands it over.
        let p = unsafe { this.as_ref() };
        // SAFETY: only the finisher writes `result`, once, before `DONE`.
        unsafe { *p.result.get() = Some(r) };
        // Read before the swap: a handle that pinned the task may free it right after.
        let g = p.g;
        match p.state.finish() {
            Left::Joiner => {
                // Read by reference, field by field, not moved out (ARCHITECTURE.md: store
                // forwarding).
                // SAFETY: the joiner wrote `waiter` before `WAITING` and frees the task only
                // after `RELEASED`.
                match unsafe { &*p.waiter.get() } {
                    &Waiter::Local { g, generation } => {
                        let sched = p.sched;
                        p.state.release();
                        // SAFETY: this goroutine runs on `sched`, which is therefore alive
                        // (and keeps the joiner's G allocated).
                        let sched = unsafe { &*sched };
                        if last_step {
                            crate::park::unpark_local_on_exit(sched, g, generation);
                        } else {
                            crate::park::unpark_local(sched, g, generation);
                        }
                    }
                    Waiter::Remote(_) => {
                        // SAFETY: as above; the joiner does not touch `waiter` until RELEASED.
                        let w = std::mem::replace(unsafe { &mut *p.waiter.get() }, Waiter::None);
                        p.state.release();
                        if let Waiter::Remote(u) = w {
                            u.unpark();
                        }
                    }
                    Waiter::None => p.state.release(),
                }
            }
            Left::Nobody => {
                if last_step {
                    // A panic nobody joins goes to the runtime's handler (`panics.rs`).
                    // SAFETY: the handle is gone: nobody else reads the result now.
                    if let Some(Err(_)) = unsafe { &*p.result.get() } {
                        // SAFETY: as above.
                        let r = unsafe { (*p.result.get()).take() };
                        if let Some(Err(payload)) = r {
                            crate::panics::unjoined(p.sched, p.id, payload);
                        }
                    }
                }
                // SAFETY: the handle is gone: the task is ours to free.
                unsafe { Packet::free(this) }
            }
            Left::Handle => {}
            Left::Pinned => crate::abort::wait_ack(g),
        }
    }
}

/// A goroutine's closure and its result slot, in one allocation (module docs).
#[repr(C)]
struct Task<F, T> {
    /// First, so a `Packet<T>` pointer is a `Task<F, T>` pointer.
    packet: Packet<T>,
    /// Taken by the job's `run`, or dropped by its `drop`: exactly one of them, once
    /// (`RawJob`'s contract), so no flag is needed.
    f: UnsafeCell<ManuallyDrop<F>>,
}

/// Finishes the packet exactly once: with the job's result, or `Cancelled` when the job is
/// unwound by a runtime drop or dropped unrun.
struct Completer<T>(Option<NonNull<Packet<T>>>);

impl<T> Completer<T> {
    /// The job's own finish: the goroutine's last step before it switches to its M.
    #[inline(always)]
    fn finish(mut self, r: std::thread::Result<T>) {
        if let Some(p) = self.0.take() {
            // SAFETY: the completer holds the task's one finish.
            unsafe { Packet::finish(p, r, true) };
        }
    }

    /// The job's end without a run: `why` for the joiner.
    fn cancel(mut self, why: Cancelled) {
        if let Some(p) = self.0.take() {
            // SAFETY: as in `finish`.
            unsafe { Packet::finish(p, Err(Box::new(why)), false) };
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            // SAFETY: as in `finish`.
            unsafe { Packet::finish(p, Err(Box::new(Cancelled::DROPPED)), false) };
        }
    }
}

impl<F, T> Task<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// The task's block class (`taskmem.rs`), or `None` when it is boxed.
    const CLASS: Option<usize> = taskmem::class_of(Layout::new::<Self>());

    /// A new task for `f` on `g` with id `id`: the handle's packet (`job` makes the job
    /// that runs it). Its memory is the spare block of `spawner` (the spawning goroutine) if
    /// it fits, else comes from `cache` (the spawner's P), or the global lists with no P.
    ///
    /// Written field by field into its memory, not built and copied (ARCHITECTURE.md: store
    /// forwarding).
    fn create(
        cache: Option<&mut Cache>,
        spawner: Option<GRef>,
        sched: &Sched,
        g: GRef,
        id: u64,
        name: Name,
        f: F,
    ) -> NonNull<Packet<T>> {
        let (task, class) = match Self::CLASS {
            Some(class) => {
                let block = match (spawner.and_then(|me| me.spare_task.take(class)), cache) {
                    (Some(block), _) => block,
                    (None, Some(cache)) => cache.alloc(class),
                    (None, None) => taskmem::alloc_global(class),
                };
                (block.cast::<Task<F, T>>(), class as u8)
            }
            None => {
                let layout = Layout::new::<Self>();
                // SAFETY: a task is never zero-sized (its packet is not).
                let block = unsafe { std::alloc::alloc(layout) };
                let block = NonNull::new(block.cast::<Task<F, T>>())
                    .unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
                (block, BOXED)
            }
        };
        let t = task.as_ptr();
        // SAFETY: fresh memory, large and aligned enough for a `Task<F, T>` (a free block of
        // its class, or allocated with its layout), written in full before any use.
        unsafe {
            let p = &raw mut (*t).packet;
            (&raw mut (*p).state).write(JoinState::new());
            (&raw mut (*p).class).write(class);
            (&raw mut (*p).id).write(id);
            (&raw mut (*p).sched).write(sched);
            (&raw mut (*p).g).write(g);
            (&raw mut (*p).name).write(name);
            (&raw mut (*p).result).write(UnsafeCell::new(None));
            (&raw mut (*p).waiter).write(UnsafeCell::new(Waiter::None));
            (&raw mut (*p).free_boxed).write(Self::free_boxed);
            (&raw mut (*t).f).write(UnsafeCell::new(ManuallyDrop::new(f)));
        }
        task.cast()
    }

    /// The job that runs the task of `packet` (from `create`), made where it is stored, not
    /// moved into place (ARCHITECTURE.md: store forwarding).
    ///
    /// # Safety
    /// At most one job is made per task.
    #[inline(always)]
    unsafe fn job(packet: NonNull<Packet<T>>) -> RawJob {
        // SAFETY: `run` and `drop_unrun` each finish the task once (handing it to the free
        // protocol), on any thread: the closure and result are `Send`, and the G field
        // `drop_unrun` reads (`no_stack`) is its dropper's, who owns the G holding the job.
        unsafe { RawJob::new(packet.cast(), Self::run, Self::drop_unrun) }
    }

    /// Frees a boxed task (`Packet::free` frees the others).
    ///
    /// # Safety
    /// `p` is the packet of a boxed `Task<F, T>` that the free protocol gives the caller.
    unsafe fn free_boxed(p: NonNull<Packet<T>>) {
        // SAFETY: `create` allocated it with the global allocator and the task's layout, and
        // initialised it; the protocol frees it once. `f` is `ManuallyDrop`: taken or dropped
        // already by the job.
        drop(unsafe { Box::from_raw(p.cast::<Task<F, T>>().as_ptr()) });
    }

    /// The goroutine's body, on its stack.
    ///
    /// # Safety
    /// `data` comes from `create`, and this or `drop_unrun` is called once for it.
    unsafe fn run(data: NonNull<()>, s: &Suspender) {
        let task = data.cast::<Task<F, T>>().as_ptr();
        // SAFETY: the task is alive until its finish (the completer's), which is the last use.
        let (g, f) = unsafe {
            let g = (*task).packet.g;
            // Run once, and `drop_unrun` is not called (caller's contract): `f` is ours.
            (g, ManuallyDrop::take(&mut *(*task).f.get()))
        };
        let completer = Completer(Some(data.cast::<Packet<T>>()));
        g.suspender.set(s);
        if crate::abort::requested(g) {
            // Cancelled before its first run (`abort.rs`): the closure is dropped unrun.
            return Self::aborted_unrun(g, f, completer);
        }
        let r = catch_unwind(AssertUnwindSafe(f));
        // The job is over: a cancellation requested from now on is not delivered (a park
        // in a goroutine-local's destructor would unwind out of the job).
        g.abort_shield.set(g.abort_shield.get() + 1);
        // Goroutine-locals die with the goroutine, on its own stack (their destructors may
        // block). A panic in one is reported by the hook and otherwise ignored.
        // SAFETY: the running goroutine owns its G's owner fields, and its job has returned.
        unsafe { crate::gls::drop_all(g.locals.get()) };
        if let Err(payload) = r {
            if g.cancelling.load(Relaxed) {
                // The runtime is unwinding this stack: let the unwind through (the
                // completer reports `Cancelled` on the way).
                resume_unwind(payload);
            }
            // SAFETY: `g.m` is the M running this goroutine (the caller), alive with its
            // runtime.
            crate::panics::count(unsafe { &*crate::park::sched_of(g) });
            completer.finish(Err(payload));
        } else {
            completer.finish(r);
        }
    }

    /// The job's start found a cancellation pending: drop `f` (a panic in its destructor
    /// is the join's error, as a panic in a run would be) and report `Cancelled`.
    #[cold]
    #[inline(never)]
    fn aborted_unrun(g: GRef, f: F, completer: Completer<T>) {
        g.abort_shield.set(g.abort_shield.get() + 1);
        match catch_unwind(AssertUnwindSafe(move || drop(f))) {
            Ok(()) => completer.finish(Err(Box::new(Cancelled::ABORTED))),
            Err(payload) => completer.finish(Err(payload)),
        }
    }

    /// The job dropped unrun (its G was cancelled before it ever ran): `Cancelled`, with
    /// the reason `gfree::bind` left on the G if no stack could be had.
    ///
    /// # Safety
    /// As `run`; the caller owns the task's G (its owner fields).
    unsafe fn drop_unrun(data: NonNull<()>) {
        let task = data.cast::<Task<F, T>>().as_ptr();
        // SAFETY: never run (caller's contract): `f` is still there, and ours to drop; the
        // task is alive until the finish below.
        let g = unsafe {
            ManuallyDrop::drop(&mut *(*task).f.get());
            (*task).packet.g
        };
        let completer = Completer(Some(data.cast::<Packet<T>>()));
        match g.no_stack.take() {
            Some(why) => completer.cancel(Cancelled::no_stack(why)),
            None => drop(completer),
        }
    }
}

/// Spawns `f` on `sched` from the thread whose M is `m` (`current_m()`, read by the caller;
/// null on a plain thread). Sets `*preempted` when the caller is a goroutine whose slice
/// sysmon has ended: the caller should then yield (`park::preempt_point`) once it is out of
/// its thread-local accessor. Spawning is a scheduling point as channel operations are: a
/// goroutine that only spawns would otherwise keep its M (sysmon hands its P on, and it
/// spawns on from the global queue), where Go's asynchronous preemption stops it; the
/// wake-ups of earlier goroutines then wait behind everything it spawned.
///
/// Spawning into a full queue ends the slice too (better than Go, which lets the spawner
/// run on to the end of its 10 ms): each push then spills half the ring to the global queue,
/// so a spawner left running queues a whole slice of spawns there — tens of thousands —
/// and every goroutine a timer or a wake-up readies meanwhile, displaced from `runnext`
/// into that spill, waits behind all of them. Yielding at the first spill puts the spawner
/// behind what it spilled: the global queue holds about one ring of its goroutines at a
/// time, and a wake-up waits for a few hundred goroutines at most.
pub(crate) fn spawn_on<F, T>(
    sched: &Sched,
    m: *const crate::m::M,
    name: &mut Option<String>,
    stack_size: Option<usize>,
    location: &'static Location<'static>,
    f: F,
    preempted: &mut bool,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut f = Some(f);
    // The task for `g` with id `id`, as its join handle.
    let mut make =
        |cache: Option<&mut Cache>, spawner: Option<GRef>, g: GRef, id: u64, copy: Name| {
            let f = f.take().expect("spawn_on: job");
            let packet = Task::create(cache, spawner, sched, g, id, copy, f);
            JoinHandle::<T> { packet }
        };
    // The handle and an error come out through `out` and `failed`, and the closure returns
    // a bool, not a 16-byte `io::Result` through memory (ARCHITECTURE.md: store forwarding).
    let mut out = None;
    let mut failed = None;
    let local = sched.with_p_of(m, |p| -> bool {
        p.runq().prefetch_next();
        // SAFETY: `with_p_of` runs this only for a live, non-null `m` of this thread. Its
        // current G, if any, is the caller.
        let me = GRef::from_ptr(unsafe { (*m).cur_g.get() });
        let behind = p.runq().may_have_items();
        let g = match gfget(sched, Some(&mut *p), stack_size, behind) {
            Ok(g) => g,
            Err(e) => {
                failed = Some(e);
                return false;
            }
        };
        let id = p.next_goid(&sched.goid);
        let handle = make(Some(&mut p.core().tasks), me, g, id, name_copy(name));
        let packet = handle.packet;
        out = Some(handle);
        // SAFETY: the task's one job.
        start(g, id, name, location, || unsafe { Task::<F, T>::job(packet) });
        p.bump(|p| &p.spawned);
        if let Some(me) = me
            && p.runq().push_next_may_spill()
        {
            // This push spills half the ring to the global queue: the spawner's slice
            // ends here (see the doc comment: spawning into a full queue).
            me.preempt.store(true, Relaxed);
        }
        *preempted = me.is_some_and(|me| me.preempt.load(Relaxed));
        crate::runnext::push(sched, p, g)
    });
    if let Some(ring) = local {
        if let Some(e) = failed {
            return Err(e);
        }
        crate::runnext::wake_after_push(sched, ring);
        return Ok(out.expect("spawn_on: handle"));
    }
    let g = gfget(sched, None, stack_size, true)?;
    let id = sched.goid.fetch_add(1, Relaxed);
    let handle = make(None, None, g, id, name_copy(name));
    let packet = handle.packet;
    // SAFETY: the task's one job.
    start(g, id, name, location, || unsafe { Task::<F, T>::job(packet) });
    sched.spawned_nop.fetch_add(1, Relaxed);
    sched.global.push(g);
    sched.wake_if_needed();
    Ok(handle)
}

/// The handle's copy of a goroutine's name (`Packet::name`); `None` on the common path,
/// with nothing to copy.
#[inline(always)]
fn name_copy(name: &Option<String>) -> Name {
    name.as_deref().map(|name| Box::new(Box::from(name)))
}

/// Loads the job into `g` and starts its new life (status `Runnable`). Inlined: it is a
/// dozen stores, and its own call and frame were about 20 instructions per spawn.
#[inline(always)]
fn start(
    g: GRef,
    id: u64,
    name: &mut Option<String>,
    location: &'static Location<'static>,
    job: impl FnOnce() -> RawJob,
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
    crate::abort::reset(g);
    g.timed_out.store(false, Relaxed);
    g.lock_count.set(0);
    g.locked_m.store(std::ptr::null_mut(), Relaxed);
    // The spawner owns the free G it took.
    match g.co.take() {
        // Bound at spawn (`gfree::gfget`: nothing else queued, a dead G that kept its own
        // when the P's cache was full, or a custom size). Checked idle before the job is
        // made, so the job goes straight into place (`Task::job`).
        Some(mut co) => {
            assert!(co.is_idle(), "spawn: free goroutine {id}'s coroutine is busy");
            co.set_id(id);
            // SAFETY: checked idle just above.
            unsafe { co.start_raw_unchecked(job()) };
            g.co.set(Some(co));
        }
        // No stack yet: one is bound when the G first runs (`gfree::bind`).
        None => g.job.set(Some(job())),
    }
    g.set_status(GStatus::Runnable);
}
