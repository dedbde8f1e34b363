//! SIGQUIT as a request for a goroutine dump (gpm-sched's `GPM_DEBUG=dump_on_signal=1`):
//! the handler only counts the signals it receives; gpm-sched's sysmon sees the count
//! change and prints the dump from its own thread, where taking locks and allocating is
//! fine. (Go prints the goroutines and exits; the process goes on here, so a hung program
//! can be looked at more than once.)
//!
//! Only async-signal-safe work happens in the handler: one lock-free atomic add.

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::{mem, ptr};

/// SIGQUITs received since [`watch_sigquit`] installed the handler.
static QUITS: AtomicU64 = AtomicU64::new(0);

/// Makes SIGQUIT count (see [`sigquits`]) instead of ending the process, once per process;
/// later calls return the first call's result. An error means the handler could not be
/// installed (SIGQUIT keeps its previous disposition).
pub fn watch_sigquit() -> io::Result<()> {
    static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();
    let r = INSTALLED.get_or_init(|| {
        // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask, no flags);
        // the fields that matter are set below.
        let mut new: libc::sigaction = unsafe { mem::zeroed() };
        new.sa_sigaction = on_quit as *const () as libc::sighandler_t;
        new.sa_flags = libc::SA_RESTART;
        // SAFETY: `new` is a valid disposition whose handler only does an atomic add; the
        // mask was zeroed, i.e. empty.
        let rc = unsafe { libc::sigaction(libc::SIGQUIT, &new, ptr::null_mut()) };
        if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error().raw_os_error().unwrap_or(0)) }
    });
    r.map_err(io::Error::from_raw_os_error)
}

/// SIGQUITs received so far (0 before [`watch_sigquit`]).
pub fn sigquits() -> u64 {
    QUITS.load(Relaxed)
}

extern "C" fn on_quit(_signal: libc::c_int) {
    QUITS.fetch_add(1, Relaxed);
}
