//! Asymmetric fences: a *light* fence (a compiler barrier, free) for the side of a store-load
//! handshake that runs all the time, and a *heavy* fence (`membarrier(2)`) for the side that
//! runs rarely. Together they give what a `SeqCst` fence on each side would give (the pair
//! C++ is standardising as `asymmetric_thread_fence_light` / `_heavy`, and Folly's and
//! liburcu's of the same name): for a thread A doing `store x; light(); load y` and a thread
//! B doing `store y; heavy(); load x`, at least one of the loads sees the other's store.
//!
//! Why it holds: `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` returns only after every
//! running thread of this process has executed a full memory barrier (an IPI), and a thread
//! that was not running passed through a context switch, which is one. So at some point P
//! of A's program order, all of A's earlier stores are visible to B's later loads and all
//! of B's earlier stores to A's later loads. If P lies after A's store, B's load sees it; if
//! before A's load, A's load sees B's store. The compiler barrier keeps A's store and load
//! in program order, so P cannot fall between them in the wrong way.
//!
//! Costs measured here: the light fence is nothing; the heavy fence is a syscall with an
//! IPI per CPU running the process (microseconds). Use it where one side runs once per many
//! milliseconds (gpm-sched's sysmon retaking a P).
//!
//! Where the expedited command cannot be registered (a kernel before 4.14, or a seccomp
//! filter), `heavy` uses `MEMBARRIER_CMD_GLOBAL` (Linux ≥ 4.3; an RCU grace period,
//! milliseconds); where neither exists it returns `false` and the caller must not rely on
//! the pairing.

use std::sync::atomic::{AtomicU8, Ordering, compiler_fence};

/// `MEMBARRIER_CMD_QUERY`: the bit mask of supported commands.
const CMD_QUERY: libc::c_int = 0;
/// `MEMBARRIER_CMD_GLOBAL` (formerly `_SHARED`).
const CMD_GLOBAL: libc::c_int = 1;
/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED`.
const CMD_PRIVATE_EXPEDITED: libc::c_int = 8;
/// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED`.
const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 16;

const UNKNOWN: u8 = 0;
const EXPEDITED: u8 = 1;
const GLOBAL: u8 = 2;
const NONE: u8 = 3;

/// Which heavy fence this process uses, probed once.
static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// The light half: keeps the compiler from moving memory accesses across it; the CPU may
/// still reorder a store after a later load, which the paired [`asymmetric_heavy`] fixes.
#[inline(always)]
pub fn asymmetric_light() {
    compiler_fence(Ordering::SeqCst);
}

/// The heavy half: a full barrier on every thread of the process. `false` if the system
/// offers no such barrier (then a light fence paired with it guarantees nothing).
pub fn asymmetric_heavy() -> bool {
    let cmd = match mode() {
        EXPEDITED => CMD_PRIVATE_EXPEDITED,
        GLOBAL => CMD_GLOBAL,
        _ => return false,
    };
    // The caller's own accesses: a full fence around the syscall as well.
    std::sync::atomic::fence(Ordering::SeqCst);
    let ok = membarrier(cmd) == 0;
    std::sync::atomic::fence(Ordering::SeqCst);
    ok
}

/// Whether [`asymmetric_heavy`] can work here (probes, and registers the expedited command,
/// on first use). Call it early, at start-up: the first probe is a few syscalls.
pub fn asymmetric_supported() -> bool {
    mode() != NONE
}

fn mode() -> u8 {
    // Relaxed: a cached fact; racing probes compute the same answer (registration is
    // idempotent).
    let m = MODE.load(Ordering::Relaxed);
    if m != UNKNOWN {
        return m;
    }
    // QUERY, not a trial `GLOBAL` (which waits for a system-wide RCU grace period).
    let supported = membarrier(CMD_QUERY);
    let has = |cmd: libc::c_int| supported > 0 && supported & cmd as libc::c_long != 0;
    let m = if has(CMD_PRIVATE_EXPEDITED) && membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) == 0 {
        EXPEDITED
    } else if has(CMD_GLOBAL) {
        GLOBAL
    } else {
        NONE
    };
    MODE.store(m, Ordering::Relaxed);
    m
}

fn membarrier(cmd: libc::c_int) -> libc::c_long {
    // SAFETY: membarrier takes two integers (and an unused cpu id) and touches no memory of
    // ours; an unknown command fails with EINVAL.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_uint, 0 as libc::c_int) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_fence_is_available_on_this_kernel() {
        assert!(asymmetric_supported(), "membarrier(2) unavailable");
        assert!(asymmetric_heavy());
        assert!(asymmetric_heavy(), "a second heavy fence fails");
    }
}
