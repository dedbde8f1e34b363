//! M: an OS thread running the schedule loop on its native stack (Go's `m`; the native
//! stack plays `g0`). An M runs goroutines only while it holds a P.
//!
//! Fields marked *owner* are touched only on the M's own thread (the schedule loop, and the
//! goroutine it is resuming, which runs on the same thread). Fields other threads write
//! (`nextp`, `next_spinning`) are handed over with `Parker::unpark` (Release) / `park`
//! (Acquire): see `Sched::startm`.

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};

use crate::g::{G, GRef};
use crate::ownership::{HandOff, OwnedP, UserMark};
use crate::p::P;
use crate::park::parker::Parker;
use crate::sched::Sched;

/// No P handed over.
const NO_P: usize = usize::MAX;

/// A worker thread.
pub(crate) struct M {
    pub(crate) id: usize,
    /// The runtime. Valid while the M's thread runs: its main function holds an `Arc`.
    pub(crate) sched: *const Sched,
    pub(crate) parker: Parker,
    /// owner: the P held (null for none; it points into the runtime's `ps`, alive as long
    /// as `sched`) and the seq it was acquired with: a record of the `OwnedP` the M's loop
    /// holds, or lent to goroutine code and claims back (`claim`).
    p: Cell<*const P>,
    seq: Cell<u64>,
    /// owner: `OwnedP::token` of the P held (0 without one).
    token: Cell<u64>,
    /// owner, debug builds: an `OwnedP` claimed by goroutine code is alive (`claim`).
    #[cfg(debug_assertions)]
    claimed: Cell<bool>,
    /// Whether this M runs goroutine code, and on which P (`ownership.rs`). Written by
    /// the M only; sysmon reads it.
    pub(crate) user: UserMark,
    /// owner: the G being resumed, or null on the native stack.
    pub(crate) cur_g: Cell<*const G>,
    /// owner: this M is spinning (counted in `SpinState`).
    pub(crate) spinning: Cell<bool>,
    /// owner: the running G is inside `blocking` (its P, if any, is `Syscall`).
    pub(crate) in_syscall: Cell<bool>,
    /// owner: the G locked to this M (`lock_os_thread`), or null.
    pub(crate) locked_g: Cell<*const G>,
    /// owner: the locked G returned without unlocking: the thread ends (Go's `mexit`).
    pub(crate) exit_thread: Cell<bool>,
    /// owner: a G readied by the goroutine finishing on this M, in its last step; the M
    /// runs it next, as from `runnext` (`runnext.rs`, rule 6: the second slot).
    pub(crate) successor: Cell<Option<GRef>>,
    /// owner: a clock reading (scheduler ns) that the goroutine which just parked here took
    /// a moment before (`sleep`), for the M's next look at its P's timers instead of a
    /// read of its own. Set only by such a park, and cleared by the M unless the park
    /// happened and the M holds its P, so the look that takes it is the next step of the
    /// same schedule round. It may lag the clock by that park's switch: a timer due within
    /// that moment fires at the P's next schedule, never early.
    pub(crate) clock_hint: Cell<Option<u64>>,
    /// A P handed over by `startm` (index, or `NO_P`).
    nextp: AtomicUsize,
    next_spinning: AtomicBool,
    /// A locked G handed over by `startlockedm`.
    pub(crate) next_g: AtomicPtr<G>,
    /// At runtime drop, this M's locked G to unwind here, on its own thread
    /// (`runtime::cancel_on_locked_m`).
    pub(crate) cancel_job: std::sync::Mutex<Option<crate::runtime::OnItsM>>,
}

// SAFETY: owner fields (`Cell`s) are used only on the M's own thread (type docs); the rest is
// atomic. `sched` is a pointer the M's thread keeps alive.
unsafe impl Sync for M {}
// SAFETY: as above.
unsafe impl Send for M {}

impl M {
    pub(crate) fn new(id: usize, sched: *const Sched) -> M {
        M {
            id,
            sched,
            parker: Parker::new(),
            p: Cell::new(std::ptr::null()),
            seq: Cell::new(0),
            token: Cell::new(0),
            #[cfg(debug_assertions)]
            claimed: Cell::new(false),
            user: UserMark::new(),
            cur_g: Cell::new(std::ptr::null()),
            spinning: Cell::new(false),
            in_syscall: Cell::new(false),
            locked_g: Cell::new(std::ptr::null()),
            exit_thread: Cell::new(false),
            successor: Cell::new(None),
            clock_hint: Cell::new(None),
            nextp: AtomicUsize::new(NO_P),
            next_spinning: AtomicBool::new(false),
            next_g: AtomicPtr::new(std::ptr::null_mut()),
            cancel_job: std::sync::Mutex::new(None),
        }
    }

    pub(crate) fn sched(&self) -> &Sched {
        // SAFETY: the M's thread main holds an `Arc<Sched>` while the M exists on it, and
        // goroutines of this runtime run only on its Ms.
        unsafe { &*self.sched }
    }

    /// owner: the P held, with its seq (its shared half; the owner half needs the
    /// `OwnedP`).
    #[inline]
    pub(crate) fn p(&self) -> Option<(&P, u64)> {
        let p = self.p.get();
        // SAFETY: a non-null `p` points into `sched.ps`, which lives as long as the M.
        (!p.is_null()).then(|| (unsafe { &*p }, self.seq.get()))
    }

    /// owner: the M holds `p` from now on, and names itself the P's owner for sysmon.
    pub(crate) fn set_p(&self, p: &OwnedP<'_>) {
        let (p, seq) = (p.p(), p.seq());
        self.p.set(p);
        self.seq.set(seq);
        self.token.set(crate::ownership::token(p.id, seq));
        // Release: a sysmon that reads the pointer sees an initialised mark.
        p.owner_mark.store(&self.user as *const _ as *mut _, Release);
    }

    /// owner: the M holds no P any more (the caller gave its `OwnedP` up, or lost it).
    pub(crate) fn clear_p(&self) {
        self.p.set(std::ptr::null());
        self.token.set(0);
    }

    /// owner: goroutine code runs on the P held from now on (`ownership.rs`, step 1); the
    /// ownership is lent to it until the next `claim`.
    #[inline]
    pub(crate) fn lend(&self, p: OwnedP<'_>) {
        #[cfg(debug_assertions)]
        self.claimed.set(false);
        p.lend(&self.user, self.token.get());
    }

    /// owner: back from goroutine code (`ownership.rs`, step 2): the P if the M still owns
    /// it. A lost P is dropped from the record (`p()` is `None` afterwards).
    ///
    /// # Safety
    /// On the M's thread, after a `lend` of the P held, and with no `OwnedP` of it alive
    /// since: the schedule loop after a resume (it lent its P before the resume), or
    /// goroutine code that lends the P back before anything else can claim it
    /// (`Sched::with_p_of`). Debug builds check this.
    #[inline]
    pub(crate) unsafe fn claim(&self) -> Option<OwnedP<'_>> {
        // No P held (lost to sysmon in `blocking`, say): nothing to claim, nothing claimed.
        let (p, seq) = self.p()?;
        #[cfg(debug_assertions)]
        assert!(!self.claimed.replace(true), "M::claim: M {} claimed its P twice", self.id);
        // SAFETY: the caller's contract is `OwnedP::claim`'s, with this M's mark and record.
        if let Some(owned) = unsafe { OwnedP::claim(p, &self.user, seq, self.token.get()) } {
            return Some(owned);
        }
        #[cfg(debug_assertions)]
        self.claimed.set(false);
        self.clear_p();
        None
    }

    /// A waker hands this (idle) M a P; the caller then unparks it.
    pub(crate) fn hand_p(&self, p: HandOff, spinning: bool) {
        self.next_spinning.store(spinning, Relaxed);
        // Relaxed: published by the caller's `parker.unpark()` (Release).
        self.nextp.store(p.id(), Relaxed);
    }

    /// owner, after waking: the P handed over, if any.
    pub(crate) fn take_nextp(&self) -> Option<(HandOff, bool)> {
        let p = self.nextp.swap(NO_P, Relaxed);
        if p == NO_P {
            return None;
        }
        // SAFETY: `p` was stored by `hand_p` from a consumed `HandOff`, and the swap takes
        // it once; the waker's unpark (Release) was seen by the park that woke this M.
        let handed = unsafe { HandOff::from_index(&self.sched().ps, p) };
        Some((handed, self.next_spinning.load(Relaxed)))
    }
}

/// What `startm` prints when the OS refuses a new M thread (`e`, most often `EAGAIN`):
/// what failed, the threads there are (`ms` of this runtime's Ms, `process` in the whole
/// process if known) and the ways out.
#[cold]
pub(crate) fn m_spawn_error(
    name: &str,
    e: &io::Error,
    ms: usize,
    max_threads: usize,
    process: Option<usize>,
) -> String {
    let process = process.map(|n| format!(", {n} threads in the process")).unwrap_or_default();
    format!(
        "runtime `{name}` cannot start an M thread: {e} ({ms} M threads running{process}); \
         the work waits for a running M. The system refused the thread: raise the per-user \
         limit (`ulimit -u`), or lower max_threads (now {max_threads}; \
         Runtime::builder().max_threads(n)) so the runtime stops asking before the system \
         refuses"
    )
}

/// The process's thread count (`Threads:` in `/proc/self/status`), if it can be read.
#[cold]
pub(crate) fn process_threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn m_spawn_error_says_what_failed_how_many_threads_and_the_way_out() {
        let e = io::Error::from_raw_os_error(11); // EAGAIN
        let msg = m_spawn_error("web", &e, 12, 10_000, Some(4093));
        assert_eq!(
            msg,
            "runtime `web` cannot start an M thread: Resource temporarily unavailable (os error \
             11) (12 M threads running, 4093 threads in the process); the work waits for a \
             running M. The system refused the thread: raise the per-user limit (`ulimit -u`), \
             or lower max_threads (now 10000; Runtime::builder().max_threads(n)) so the runtime \
             stops asking before the system refuses"
        );
        let msg = m_spawn_error("web", &e, 3, 64, None);
        assert!(msg.contains("(3 M threads running);"), "{msg}");
    }

    #[test]
    fn process_threads_counts_this_thread_at_least() {
        assert!(process_threads().is_some_and(|n| n >= 1));
    }
}
