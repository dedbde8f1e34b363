//! The per-thread alternate signal stack the overflow handler runs on.
//!
//! A thread whose coroutine overflowed has no stack left to run a handler on; the kernel
//! switches to the thread's `sigaltstack` (our handler has `SA_ONSTACK`). Rust's runtime gives
//! its own threads a small one; [`init_thread`] gives every thread that runs coroutines a
//! guarded one of [`ALTSTACK_SIZE`] bytes, big enough for our handler and for the handler we
//! chain to, and puts the previous one back when the [`ThreadGuard`] drops.

use std::marker::PhantomData;
use std::{fmt, mem, ptr};

use crate::guard::GuardKind;
use crate::overflow::install_overflow_handler;
use crate::sys::{self, Mapping};

/// Usable size of the alternate signal stack set by [`init_thread`].
pub const ALTSTACK_SIZE: usize = 64 * 1024;

/// Keeps this thread's alternate signal stack installed; dropping it restores the previous
/// one and unmaps ours. `!Send`: it must drop on the thread that made it, before that thread
/// exits (keep it in the thread's main function, e.g. an M's loop).
///
/// ```compile_fail
/// fn send<T: Send>() {}
/// send::<gpm_stack::ThreadGuard>();
/// ```
pub struct ThreadGuard {
    map: Option<Mapping>,
    previous: libc::stack_t,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for ThreadGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadGuard").field("installed", &self.map.is_some()).finish()
    }
}

/// Prepares the calling thread to run coroutines: installs the overflow handler (once per
/// process) and an alternate signal stack of [`ALTSTACK_SIZE`] bytes with a guard page.
///
/// If the stack cannot be mapped (the process is out of mappings), the thread keeps the
/// alternate stack it had (Rust gives its threads one) and the guard does nothing.
pub fn init_thread() -> ThreadGuard {
    install_overflow_handler();
    // SAFETY: an all-zero stack_t is a valid value to overwrite.
    let mut previous: libc::stack_t = unsafe { mem::zeroed() };
    let inert = |previous| ThreadGuard { map: None, previous, _not_send: PhantomData };
    let Ok(map) = guarded_mapping() else { return inert(previous) };
    let page = sys::page_size();
    let ours = libc::stack_t {
        ss_sp: (map.start() + page) as *mut libc::c_void,
        ss_flags: 0,
        ss_size: map.end() - map.start() - page,
    };
    // SAFETY: `ours` describes readable, writable memory we own and keep mapped until the
    // guard drops (after which it is no longer the thread's alternate stack).
    if unsafe { libc::sigaltstack(&ours, &mut previous) } != 0 {
        return inert(previous);
    }
    ThreadGuard { map: Some(map), previous, _not_send: PhantomData }
}

/// Maps `ALTSTACK_SIZE` plus a guard page. Not counted in the `mprotect` budget: the budget's
/// reserve exists for exactly this (threads), and an M must be able to start.
fn guarded_mapping() -> std::io::Result<Mapping> {
    let page = sys::page_size();
    let map = Mapping::reserve(ALTSTACK_SIZE + page)?;
    let _ = map.advise(map.start(), ALTSTACK_SIZE + page, libc::MADV_NOHUGEPAGE);
    GuardKind::Auto.resolve()?.install(&map, page)?;
    Ok(map)
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        let Some(map) = self.map.take() else { return };
        // SAFETY: all-zero is a valid stack_t to overwrite.
        let mut current: libc::stack_t = unsafe { mem::zeroed() };
        // SAFETY: reading this thread's alternate stack into a valid out-pointer.
        unsafe { libc::sigaltstack(ptr::null(), &mut current) };
        let ours = (map.start() + sys::page_size()) as *mut libc::c_void;
        if current.ss_sp == ours && current.ss_flags & libc::SS_ONSTACK != 0 {
            mem::forget(map); // dropped from a handler running on it: never unmap under it
            return;
        }
        if current.ss_sp == ours {
            let mut restore = self.previous;
            restore.ss_flags &= libc::SS_DISABLE;
            // SAFETY: `previous` is what the kernel reported for this thread before we
            // replaced it (or SS_DISABLE); whoever installed it still owns that memory, as
            // the guard drops on this thread before it exits.
            unsafe { libc::sigaltstack(&restore, ptr::null_mut()) };
        }
        drop(map);
    }
}
