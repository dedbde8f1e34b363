//! Free Gs and free coroutines (Go's `gfget` / `gfput`, and its per-P stack cache).
//!
//! A dead G goes to its P's free list (cap `GFREE_CAP`; when full, half moves to the global
//! list). Stacks are bound *lazily*: a G that has no coroutine when spawned holds only its
//! job, and [`bind`] gives it a coroutine from its P's cache (`P::cos`, cap `COS_CAP`, else
//! the stack pool) when an M first runs it. When a G dies, [`gfput`] puts its coroutine in
//! that cache; only when the cache is full does the dead G keep it (a spawn that reuses the
//! G then loads the job into it at once). So a million queued-but-unstarted goroutines hold
//! no stacks, a P that runs short-lived goroutines one after another reuses one warm stack,
//! and a burst of dying goroutines costs no syscall on the M (sysmon's `trim_global` gives
//! surplus dead Gs' stacks back later). A G with a custom stack size gets its own stack at
//! spawn (the size is the caller's, and its failure a spawn error).
//!
//! One exception binds at spawn: a G spawned onto a P with nothing else queued (the hand-off
//! of spawn then join, where the new G runs next) takes its coroutine from the cache at once
//! and has its job loaded then, which saves its first run a call and two moves of the job.
//! Binding every spawn so (a dead G keeping its coroutine for the next spawn) let queued
//! goroutines hold stacks: skynet touched three times the pages, and ran ~1.4x slower.
//!
//! The price of binding lazily: for a default-size G, failing to get a stack (the OS
//! refuses a mapping) surfaces when the G first runs, not at spawn, after `go` returned
//! its handle. Such a G is cancelled: its join returns `Cancelled` carrying the OS error
//! (`is_no_stack`), `Stats::stack_failures` counts it, and the first failure is printed
//! on stderr — Go throws a fatal error there. Rejected: mapping every stack at spawn (the
//! memory cost above).

use std::io;
use std::sync::atomic::Ordering::*;

use gpm_stack::{Coroutine, SendCoroutine, Stack};

use crate::cobox::CoBox;
use crate::g::{G, GRef, GStatus};
use crate::ownership::OwnedP;
use crate::p::GFREE_CAP;
use crate::sched::{Sched, lock};
use crate::taskmem::Cache;

/// Idle coroutines a P keeps for first runs (Go keeps a per-P stack cache too); beyond
/// this, a dead G keeps its own.
pub(crate) const COS_CAP: usize = 32;

/// Puts dead `g` on a free list: the P's (`p`, the caller's, if it holds one), or the global
/// one. Its coroutine goes to the P's cache if there is room.
pub(crate) fn gfput(sched: &Sched, p: Option<&mut OwnedP<'_>>, g: GRef) {
    g.set_status(GStatus::Idle);
    // The M that saw the G finish owns it (a dead G is on no queue).
    let mut co = g.co.take();
    if g.custom_stack.replace(false) {
        drop(co.take().map(|co| co.into_stack()));
    }
    match p {
        Some(p) => {
            p.bump(|p| &p.finished);
            let core = p.core();
            if core.cos.len() < COS_CAP
                && let Some(co) = co.take()
            {
                core.cos.push(co);
            }
            // A full cache: the dead G keeps its coroutine.
            g.co.set(co);
            g.spare_task.release(Some(&mut core.tasks));
            let free = &mut core.gfree;
            free.push(g);
            if free.len() >= GFREE_CAP {
                let half: Vec<_> = free.drain(GFREE_CAP / 2..).collect();
                lock(&sched.gfree).extend(half);
            }
        }
        None => {
            g.co.set(co);
            g.spare_task.release(None);
            sched.finished_nop.fetch_add(1, Relaxed);
            lock(&sched.gfree).push(g);
        }
    }
}

/// A free G, or a new one. With a non-default `stack_size` it gets its own stack now; with
/// the default it may or may not have a coroutine (see the module docs). `p`: the caller's
/// P, if it holds one. `behind`: the G will queue behind other work on `p`; when it will
/// not, it is bound now (module docs).
pub(crate) fn gfget(
    sched: &Sched,
    mut p: Option<&mut OwnedP<'_>>,
    stack_size: Option<usize>,
    behind: bool,
) -> io::Result<GRef> {
    let g = match p.as_deref_mut() {
        Some(p) => {
            let free = &mut p.core().gfree;
            let g = free.pop().or_else(|| refill(sched, free));
            // The next spawn's G: a G freed on another P (where it ran) has its lines in that
            // core's cache, and `start` writes them all. Fetching them now overlaps that miss
            // with this spawn's work instead of stalling the next one.
            if let Some(next) = free.last() {
                crate::prefetch::for_write(next.as_ptr());
            }
            g
        }
        None => lock(&sched.gfree).pop(),
    };
    let g = match g {
        Some(g) => g,
        None => {
            let g = GRef::alloc(p.as_deref_mut().map(|p| &mut p.core().tasks));
            lock(&sched.allgs).push(g);
            g
        }
    };
    if let Some(size) = stack_size.filter(|&s| s != sched.stack_size) {
        match Stack::new(size) {
            Ok(stack) => {
                // A free G is owned by whoever took it off the free list: us.
                let cache = p.as_deref_mut().map(|p| &mut p.core().tasks);
                let old = g.co.replace(Some(new_coroutine(stack, cache)));
                if let Some(old) = old {
                    sched.pool.put(old.into_stack());
                }
                g.custom_stack.set(true);
            }
            Err(e) => {
                lock(&sched.gfree).push(g);
                return Err(e);
            }
        }
    } else if !behind && let Some(p) = p {
        // A free G is owned by whoever took it off the free list: us.
        let co = g.co.take().or_else(|| p.core().cos.pop());
        g.co.set(co);
    }
    Ok(g)
}

/// Dead Gs on the global free list that keep their stacks; beyond this, `trim_global`
/// gives stacks back to the pool (which unmaps what it cannot hold).
pub(crate) const GLOBAL_KEEP_STACKS: usize = 1024;

/// After a burst, the global free list holds many dead Gs, each with a stack the OS keeps
/// resident: give the stacks beyond `GLOBAL_KEEP_STACKS` back to the stack pool (Go frees
/// dead Gs' stacks at GC time). Called by sysmon about once a second; the lock is not held
/// across the pool's syscalls.
pub(crate) fn trim_global(sched: &Sched) {
    let batch: Vec<GRef> = {
        let mut list = lock(&sched.gfree);
        if list.len() <= GLOBAL_KEEP_STACKS {
            return;
        }
        let n = list.len() - GLOBAL_KEEP_STACKS;
        list.drain(..n).collect()
    };
    for &g in &batch {
        // A G taken off a free list is owned by whoever took it: us.
        if let Some(co) = g.co.take() {
            sched.pool.put(co.into_stack());
        }
    }
    // G structs without stacks go back; `bind` gives them one when they run.
    lock(&sched.gfree).extend(batch);
}

/// Moves up to half a cache from the global free list to `p`'s.
fn refill(sched: &Sched, free: &mut Vec<GRef>) -> Option<GRef> {
    let mut global = lock(&sched.gfree);
    let n = global.len().min(GFREE_CAP / 2);
    let at = global.len() - n;
    free.extend(global.drain(at..));
    drop(global);
    free.pop()
}

/// A coroutine for this runtime's goroutines, on `stack`: every coroutine a G or a P's cache
/// holds is made here, the one place gpm-sched makes gpm-stack's migration promise
/// (`Coroutine::into_send`) for all the goroutines that will run on it. The promise has two
/// parts:
/// 1. The goroutines' own code keeps the contract: the runtime's creator promised it with
///    `unsafe` (`RuntimeBuilder::build`'s `# Safety`), or the runtime is single-threaded and
///    never resumes a goroutine, nor unwinds a cancelled one, on another thread (its home M
///    unwinds them, `runtime::cancel_on_home`; see `Sched::single`).
/// 2. The runtime's code on a goroutine's stack keeps it: it reads thread-locals only in
///    never-inlined accessors that do not switch (`context.rs`), finds its M and P through the
///    G after a switch, and pins a goroutine that switches while a panic unwinds its stack
///    to its M (`G::suspend`; a single-thread runtime's goroutines stay on its M anyway).
fn new_coroutine(stack: Stack, cache: Option<&mut Cache>) -> CoBox {
    let co = Coroutine::new(stack);
    // SAFETY: the migration contract holds for every job this coroutine will run: part 1 by
    // the runtime creator's promise, or because the runtime is single-threaded and never
    // resumes a goroutine on another thread; part 2 by this crate's code (see above).
    CoBox::new(unsafe { co.into_send() }, cache)
}

/// The coroutine to resume `g` on, binding one if `g` has not run yet: from `p`'s cache,
/// else a new one on a pool stack, loaded with the G's job. `None`: no stack could be had;
/// the G's job was dropped (its join reports `Cancelled` with the reason, module docs) and
/// the caller must retire it.
///
/// The coroutine stays in the G; the pointer is valid, and the caller's alone, until it
/// makes the G visible again (queues or readies it): the caller dequeued `g`, so it owns
/// the G's stack and its `co` (`G::co`). Not taken out and put back: the resume path would
/// pay two stores and a drop check per switch for it.
#[inline]
pub(crate) fn bind(
    sched: &Sched,
    p: &mut OwnedP<'_>,
    g: &G,
) -> Option<std::ptr::NonNull<SendCoroutine>> {
    // SAFETY: the caller owns `g.co` (above): no other reference to it exists.
    let slot = unsafe { &mut *g.co.as_ptr() };
    if slot.is_none() {
        *slot = Some(bind_new(sched, p, g)?);
    }
    slot.as_deref_mut().map(std::ptr::NonNull::from)
}

/// The slow half of `bind`: a coroutine for a G's first run, whose caller owns it.
#[inline(never)]
fn bind_new(sched: &Sched, p: &mut OwnedP<'_>, g: &G) -> Option<CoBox> {
    let job = g.job.take().expect("bind: G with neither a coroutine nor a job");
    let cached = p.core().cos.pop();
    let co = match cached {
        Some(co) => co,
        None => match sched.pool.get() {
            Ok(stack) => new_coroutine(stack, Some(&mut p.core().tasks)),
            Err(e) => {
                if sched.counters.stack_failures.fetch_add(1, Relaxed) == 0 {
                    eprintln!(
                        "gpm: runtime `{}`: no stack for goroutine {}: {e}; it is cancelled \
                         (its join returns `Cancelled`, is_no_stack); `Stats::stack_failures` \
                         counts this and later failures, which are not printed",
                        sched.name,
                        g.id.load(Relaxed)
                    );
                }
                // The job's drop hands the reason to the joiner (`Task::drop_unrun`).
                g.no_stack.set(Some(e.to_string().into()));
                drop(job);
                return None;
            }
        },
    };
    let mut co = co;
    co.set_id(g.id.load(Relaxed));
    co.start_raw(job);
    Some(co)
}
