//! Free Gs (Go's `gfget` / `gfput`): a dead G keeps its coroutine and stack and goes to its
//! P's free list (cap `GFREE_CAP`; when full, half moves to the global list), so a spawn
//! usually costs no allocation besides the job's closure and no syscall.

use std::io;
use std::sync::atomic::Ordering::*;

use gpm_stack::Coroutine;

use crate::g::{G, GRef, GStatus};
use crate::m::M;
use crate::p::{GFREE_CAP, P};
use crate::sched::{Sched, lock};

/// Puts dead `g` on a free list: the M's P's, or the global one.
pub(crate) fn gfput(sched: &Sched, m: &M, g: GRef) {
    g.set_status(GStatus::Idle);
    if g.custom_stack.replace(false) {
        // SAFETY: the M that saw the G finish owns it (a dead G is on no queue).
        if let Some(co) = unsafe { g.co_mut() }.take() {
            drop(co.into_stack());
        }
    }
    match m.p() {
        Some((p, _)) => {
            // SAFETY: the M owns its P on its native stack (status `Running`).
            unsafe { P::bump(&p.finished) };
            // SAFETY: as above.
            let free = unsafe { p.gfree() };
            free.push(g);
            if free.len() >= GFREE_CAP {
                let half: Vec<_> = free.drain(GFREE_CAP / 2..).collect();
                lock(&sched.gfree).extend(half);
            }
        }
        None => {
            sched.finished_nop.fetch_add(1, Relaxed);
            lock(&sched.gfree).push(g);
        }
    }
}

/// A free G (with a coroutine of the default size unless `stack_size` asks otherwise), or
/// a new one. `p`: the caller's owned P, if any.
pub(crate) fn gfget(sched: &Sched, p: Option<&P>, stack_size: Option<usize>) -> io::Result<GRef> {
    let g = match p {
        // SAFETY: the caller owns `p`.
        Some(p) => match unsafe { p.gfree() }.pop() {
            Some(g) => Some(g),
            None => refill(sched, p),
        },
        None => lock(&sched.gfree).pop(),
    };
    let g = match g {
        Some(g) => g,
        None => {
            let g = GRef::from_box(Box::new(G::new(None)));
            lock(&sched.allgs).push(g);
            g
        }
    };
    if let Err(e) = equip(sched, g, stack_size) {
        lock(&sched.gfree).push(g);
        return Err(e);
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
        // SAFETY: a G taken off a free list is owned by whoever took it: us.
        if let Some(co) = unsafe { g.co_mut() }.take() {
            sched.pool.put(co.into_stack());
        }
    }
    // G structs without stacks go back; `equip` gives them one when they are reused.
    lock(&sched.gfree).extend(batch);
}

/// Moves up to half a cache from the global free list to `p`'s.
fn refill(sched: &Sched, p: &P) -> Option<GRef> {
    let mut global = lock(&sched.gfree);
    let n = global.len().min(GFREE_CAP / 2);
    let at = global.len() - n;
    // SAFETY: the caller of `gfget` owns `p`.
    unsafe { p.gfree() }.extend(global.drain(at..));
    drop(global);
    // SAFETY: as above.
    unsafe { p.gfree() }.pop()
}

/// Gives `g` a coroutine of the right size.
fn equip(sched: &Sched, g: GRef, stack_size: Option<usize>) -> io::Result<()> {
    // SAFETY: a free G is owned by whoever took it off the free list: us.
    let co = unsafe { g.co_mut() };
    match stack_size {
        Some(size) if size != sched.stack_size => {
            let stack = gpm_stack::Stack::new(size)?;
            if let Some(old) = co.replace(Coroutine::new(stack)) {
                sched.pool.put(old.into_stack());
            }
            g.custom_stack.set(true);
        }
        _ => {
            if co.is_none() {
                *co = Some(Coroutine::new(sched.pool.get()?));
            }
        }
    }
    Ok(())
}
