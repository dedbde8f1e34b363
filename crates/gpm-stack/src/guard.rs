//! Guard pages: which mechanism guards a stack, the one-time kernel probe, and the mapping
//! budget of the `mprotect` fallback.
//!
//! * `madvise(MADV_GUARD_INSTALL)` (Linux ≥ 6.13) writes guard markers into the page tables.
//!   The mapping is not split, so neighbouring stacks merge into one VMA and a million guarded
//!   stacks fit under the default `vm.max_map_count`. A touch faults with `SEGV_MAPERR`.
//! * `mprotect(PROT_NONE)` splits every stack into two VMAs (guard + usable), so at most about
//!   `vm.max_map_count / 2` stacks can live at once. A touch faults with `SEGV_ACCERR`. This
//!   module counts those stacks and refuses a new one *before* the process reaches the
//!   ceiling, with an error naming the limit, the live count and the ways out: at the real
//!   ceiling even `thread::spawn` and `malloc` fail.
//!
//! Rejected: a guard-less stack when both mechanisms fail (silent memory corruption on
//! overflow), and raising the sysctl ourselves (a process must not change system settings).

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use crate::sys::{self, MADV_GUARD_INSTALL, Mapping};

/// How a stack's guard page is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GuardKind {
    /// `Madvise` when the kernel supports it, else `Mprotect`. The environment variable
    /// `GPM_STACK_GUARD=mprotect|madvise` overrides the choice (read once per process).
    #[default]
    Auto,
    /// `madvise(MADV_GUARD_INSTALL)`: no extra mapping per stack (Linux ≥ 6.13).
    Madvise,
    /// `mprotect(PROT_NONE)`: two mappings per stack, bounded by `vm.max_map_count`.
    Mprotect,
}

/// Name of the environment variable that overrides [`GuardKind::Auto`].
pub const GUARD_ENV: &str = "GPM_STACK_GUARD";

impl GuardKind {
    /// Resolves `Auto` (environment override, then the kernel probe) and checks that an
    /// explicit `Madvise` is supported. The result is never `Auto`.
    pub(crate) fn resolve(self) -> io::Result<GuardKind> {
        match self {
            GuardKind::Auto => Ok(auto_kind()),
            GuardKind::Madvise if !madvise_guard_supported() => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "gpm-stack: GuardKind::Madvise needs MADV_GUARD_INSTALL (Linux >= 6.13), which \
                 this kernel lacks; use GuardKind::Auto or GuardKind::Mprotect",
            )),
            kind => Ok(kind),
        }
    }

    /// Turns the lowest `len` bytes of `map` into the guard region.
    pub(crate) fn install(self, map: &Mapping, len: usize) -> io::Result<()> {
        match self {
            GuardKind::Madvise => map.advise(map.start(), len, MADV_GUARD_INSTALL),
            GuardKind::Mprotect => map.protect_none(map.start(), len),
            GuardKind::Auto => unreachable!("GuardKind::install: unresolved Auto"),
        }
    }
}

fn auto_kind() -> GuardKind {
    static AUTO: OnceLock<GuardKind> = OnceLock::new();
    *AUTO.get_or_init(|| match std::env::var(GUARD_ENV).as_deref() {
        Ok("mprotect") => GuardKind::Mprotect,
        _ if madvise_guard_supported() => GuardKind::Madvise,
        _ => GuardKind::Mprotect,
    })
}

/// Whether this kernel accepts `MADV_GUARD_INSTALL`; probed once on a scratch mapping.
pub fn madvise_guard_supported() -> bool {
    // 0 = not probed yet, 1 = supported, 2 = not supported. Relaxed: a racing probe gets the
    // same answer, and the value guards no other memory.
    static PROBE: AtomicU8 = AtomicU8::new(0);
    match PROBE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let page = sys::page_size();
            let ok = Mapping::reserve(2 * page)
                .and_then(|map| map.advise(map.start(), page, MADV_GUARD_INSTALL))
                .is_ok();
            PROBE.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
            ok
        }
    }
}

/// Live stacks guarded by `mprotect` (each holds one [`MprotectSlot`]).
static LIVE_MPROTECT: AtomicUsize = AtomicUsize::new(0);

/// How many stacks guarded by `mprotect` are alive in this process now.
pub fn live_mprotect_stacks() -> usize {
    LIVE_MPROTECT.load(Ordering::Relaxed)
}

/// One unit of the `mprotect` budget, held by a live stack; returned on drop.
#[derive(Debug)]
pub(crate) struct MprotectSlot(());

impl Drop for MprotectSlot {
    fn drop(&mut self) {
        MprotectSlot::release();
    }
}

/// The most `mprotect` stacks allowed at once: half of what `vm.max_map_count` leaves after
/// the mappings the process had when it first asked, minus a reserve (an eighth of the limit,
/// at least 1024) for thread stacks, their signal stacks and the allocator.
pub fn mprotect_stack_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let max = sys::max_map_count();
        let reserve = (max / 8).max(1024);
        max.saturating_sub(sys::current_map_count() + reserve) / 2
    })
}

impl MprotectSlot {
    /// Gives back one unit (a slot's drop, or a `Stack` that took over a forgotten slot).
    pub(crate) fn release() {
        LIVE_MPROTECT.fetch_sub(1, Ordering::Relaxed);
    }

    /// Takes a slot, or explains why the process is at its mapping ceiling.
    pub(crate) fn acquire() -> io::Result<MprotectSlot> {
        // Relaxed: the counter is a budget, not a lock; a transient overshoot by racing
        // threads is undone below before anyone maps.
        let live = LIVE_MPROTECT.fetch_add(1, Ordering::Relaxed);
        if live >= mprotect_stack_limit() {
            LIVE_MPROTECT.fetch_sub(1, Ordering::Relaxed);
            return Err(ceiling_error(live, None));
        }
        Ok(MprotectSlot(()))
    }
}

/// The error for a process at (or, with `os`, beyond) its mapping budget.
#[cold]
pub(crate) fn ceiling_error(live: usize, os: Option<io::Error>) -> io::Error {
    let cause = match os {
        Some(e) => format!(" (the kernel said: {e})"),
        None => String::new(),
    };
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "gpm-stack: cannot guard another stack{cause}: {live} stacks guarded by mprotect are \
             live (limit {limit}); each uses 2 of this process's vm.max_map_count = {max} memory \
             mappings, and the rest are kept for threads and the allocator. Ways out: raise the \
             limit (sysctl vm.max_map_count=1048576), run on Linux >= 6.13 where \
             MADV_GUARD_INSTALL guards cost no mapping, or keep fewer goroutines alive",
            limit = mprotect_stack_limit(),
            max = sys::max_map_count(),
        ),
    )
}
