//! Stack-overflow detection: a process-wide SIGSEGV/SIGBUS handler that names the goroutine.
//!
//! A coroutine that overflows touches its guard page and faults (`SEGV_MAPERR` for an
//! `madvise` guard, `SEGV_ACCERR` for an `mprotect` one). The kernel delivers the signal on
//! the thread's alternate signal stack (see [`crate::init_thread`]); the handler compares the
//! fault address with the guard page of the coroutine this thread is running (published by
//! `Coroutine::resume`, see `current.rs`). On a match it writes
//! `goroutine N has overflowed its stack (S KiB)` with `write(2)` and aborts. Any other fault
//! goes to the handler that was installed before ours — Rust's own, which prints
//! `thread '...' has overflowed its stack` for thread stacks and otherwise restores the
//! default action and returns, so the fault re-executes and kills the process with a plain
//! SIGSEGV.
//!
//! Only async-signal-safe work happens in the handler: a thread-local load (const-initialised,
//! no destructor), integer formatting into a stack buffer, `write`, `sigaction`, `abort`.

use std::sync::{Once, OnceLock};
use std::{mem, ptr};

use crate::current;

/// The handlers installed before ours, for SIGSEGV and SIGBUS.
static PREVIOUS: [OnceLock<libc::sigaction>; 2] = [OnceLock::new(), OnceLock::new()];
const SIGNALS: [libc::c_int; 2] = [libc::SIGSEGV, libc::SIGBUS];

/// Installs the overflow handler for SIGSEGV and SIGBUS (once per process; later calls do
/// nothing), remembering the handlers it replaces. [`crate::init_thread`] calls it.
pub fn install_overflow_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (slot, &signal) in PREVIOUS.iter().zip(SIGNALS.iter()) {
            // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, empty mask, no flags).
            let mut old: libc::sigaction = unsafe { mem::zeroed() };
            // SAFETY: reading the current disposition into a valid out-pointer.
            let rc = unsafe { libc::sigaction(signal, ptr::null(), &mut old) };
            assert_eq!(rc, 0, "install_overflow_handler: sigaction read failed");
            // Stored before ours is installed, so the handler always finds it.
            slot.set(old).expect("installed once");
            // SAFETY: as above, all-zero is valid; the fields are set below.
            let mut new: libc::sigaction = unsafe { mem::zeroed() };
            new.sa_sigaction = on_fault as *const () as libc::sighandler_t;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: `new` is a valid disposition whose handler only does async-signal-safe
            // work (see the module docs); the mask was zeroed, i.e. empty.
            let rc = unsafe { libc::sigaction(signal, &new, ptr::null_mut()) };
            assert_eq!(rc, 0, "install_overflow_handler: sigaction install failed");
        }
    });
}

/// Whether `addr` lies in the guard page of the coroutine this thread is running; returns
/// its id and usable stack size. The same test the handler makes.
fn overflowed_coroutine(addr: usize) -> Option<(u64, usize)> {
    let info = current::running_info()?;
    (info.guard_start <= addr && addr < info.guard_end).then_some((info.id, info.stack_size))
}

extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo for a SIGSEGV/SIGBUS.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some((id, stack_size)) = overflowed_coroutine(addr) {
        report_and_abort(id, stack_size);
    }
    // SAFETY: we are the signal handler for `signal`, called with the kernel's arguments.
    unsafe { chain(signal, info, ctx) };
}

/// Hands a fault that is not ours to the previous handler.
///
/// # Safety
/// Call only from the signal handler, with the arguments it received.
unsafe fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let index = if signal == libc::SIGSEGV { 0 } else { 1 };
    let Some(prev) = PREVIOUS[index].get() else { return restore_default(signal) };
    let handler = prev.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Returning re-executes the faulting instruction, which now gets the default action
        // (an ignored SIGSEGV from a fault kills anyway).
        return restore_default(signal);
    }
    if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous disposition declared a three-argument handler at this address.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { mem::transmute(handler) };
        f(signal, info, ctx);
    } else {
        // SAFETY: the previous disposition declared a one-argument handler at this address.
        let f: extern "C" fn(libc::c_int) = unsafe { mem::transmute(handler) };
        f(signal);
    }
}

fn restore_default(signal: libc::c_int) {
    // SAFETY: all-zero is SIG_DFL with an empty mask; sigaction is async-signal-safe.
    unsafe {
        let mut dfl: libc::sigaction = mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &dfl, ptr::null_mut());
    }
}

/// Writes the overflow message to stderr with `write(2)` and aborts.
fn report_and_abort(id: u64, stack_size: usize) -> ! {
    let mut buf = [0u8; 160];
    let mut len = 0;
    for part in [
        b"\ngoroutine ".as_slice(),
        decimal(id, &mut [0; 20]),
        b" has overflowed its stack (",
        decimal((stack_size / 1024) as u64, &mut [0; 20]),
        b" KiB)\nfatal runtime error: stack overflow, aborting\n",
    ] {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    write_stderr(&buf[..len]);
    // SAFETY: abort is async-signal-safe and takes no arguments.
    unsafe { libc::abort() }
}

/// `n` in decimal, written at the end of `out`.
fn decimal(mut n: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &out[at..];
        }
    }
}

fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe a live byte slice.
        let n = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        } else {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_formats() {
        assert_eq!(decimal(0, &mut [0; 20]), b"0");
        assert_eq!(decimal(256, &mut [0; 20]), b"256");
        assert_eq!(decimal(u64::MAX, &mut [0; 20]), b"18446744073709551615");
    }
}
