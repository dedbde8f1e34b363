//! `Runtime`: builds a scheduler (Ps, sysmon), runs goroutines on it, and tears it down.
//!
//! Two flavours. A *migrating* runtime (`RuntimeBuilder::build`, `unsafe`: its creator
//! promises the migration contract written there) runs goroutines on up to `procs` Ms at
//! once and moves them between threads. A *single-thread* runtime
//! (`RuntimeBuilder::build_single_thread`, safe) has one P and one M for its whole life:
//! `Sched::startm` always wakes that M, sysmon flags hogs but never hands their P on,
//! `blocking` runs its closure on a helper thread, and neither `lock_os_thread` nor a park
//! during an unwind hands the P to another M (`Sched::single`).
//!
//! Drop: set `shutdown`, wake every M and sysmon; each M gives its P back at its next
//! scheduling point and exits; join them all; then cancel every unfinished goroutine by
//! dropping its coroutine (corosensei unwinds a suspended stack: destructors run, on helper
//! threads that never let a blocked destructor hang the drop, `runtime/cancel.rs`) — its
//! `JoinHandle` then reports `Cancelled`; finally free the stacks. A goroutine that never
//! reaches a scheduling point keeps its M, and drop waits for it. Dropped from one of its
//! own goroutines, the runtime finishes all this on a detached thread.

use std::io;
use std::panic::{Location, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::*;
use std::thread::JoinHandle as ThreadHandle;

use crate::context::current_m;
use crate::sched::Sched;
use crate::spawn::{JoinHandle, spawn_on};
use crate::stats::Stats;

mod builder;
mod cancel;
mod default;
mod shutdown;

pub use builder::RuntimeBuilder;
pub(crate) use builder::check_stack_size;
pub(crate) use cancel::OnItsM;
pub use default::{default_runtime, init, init_single_thread};
pub(crate) use default::{try_with_current, with_current};
use shutdown::finish_shutdown;
pub(crate) use shutdown::{cancel_on_home, cancel_on_locked_m};

/// Most Ps a runtime can have.
pub const MAX_PROCS: usize = 256;
/// Default thread limit (Go's `debug.SetMaxThreads` default).
pub const DEFAULT_MAX_THREADS: usize = 10_000;
/// Largest goroutine stack, in bytes (1 GiB): the upper end of the one range both
/// [`RuntimeBuilder::stack_size`] and [`Builder::stack_size`](crate::Builder::stack_size)
/// accept.
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// A goroutine runtime: `procs` Ps (logical processors, each with a run queue), the M
/// threads that run them, and sysmon (a monitor thread). Made by [`Runtime::builder`],
/// [`Runtime::single_thread`] (safe) or [`Runtime::new`] (`unsafe`: goroutines migrate
/// between threads, see [`RuntimeBuilder::build`]).
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::time::Duration;
/// let rt = gpm::Runtime::single_thread()?;
/// assert_eq!(rt.block_on(|| gpm::go(|| 6 * 7).join().unwrap()), 42);
///
/// // Dropping the runtime cancels what has not finished: the sleeper's stack unwinds.
/// let sleeper = rt.go(|| gpm::sleep(Duration::from_secs(3600)));
/// drop(rt);
/// assert!(sleeper.join().unwrap_err().is::<gpm::Cancelled>());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Dropping it stops the runtime: every M finishes what it runs up to the next scheduling
/// point and exits; unfinished goroutines are cancelled by unwinding their stacks
/// (destructors run on helper threads; a goroutine locked to its thread, and every
/// goroutine of a single-thread runtime, on its own thread; their `join` returns `Err` with
/// [`crate::Cancelled`]); threads are joined and
/// stacks freed. Drop therefore waits for goroutines running without a scheduling point,
/// and for those inside a `blocking` call (on a single-thread runtime such a goroutine is
/// cancelled, and its thread waits for the call to return, with the grace period below).
///
/// Destructors of cancelled goroutines must not block: they run after every M has stopped,
/// so a wait for another goroutine ends only if that goroutine's cancellation ends it (a
/// dropped `Receiver`, a cancelled child's join). Drop never hangs on one: after two
/// seconds without progress it returns and names the goroutines still unwinding on stderr;
/// they stay on detached threads and their memory leaks. A goroutine parked in a
/// destructor while a panic unwinds its stack cannot be unwound again (that aborts): it is
/// leaked, with a warning, and its `join` never returns. Dropped from one of its own
/// goroutines, the runtime returns at once and a detached thread does the rest.
///
/// Destructors of cancelled goroutines must not panic either: they run while the
/// goroutine's stack unwinds, and Rust aborts the process on a panic during unwinding
/// (`panic in a destructor during cleanup`), as it does on any thread; no runtime can catch
/// that panic. A panic that escapes a cancelled goroutine otherwise
/// (its code caught the cancellation with `catch_unwind` and panicked after) is named on
/// stderr and counted in [`Stats::cancel_panics`] (see [`shutdown`](Runtime::shutdown)),
/// and the other goroutines are still unwound.
pub struct Runtime {
    pub(crate) sched: Arc<Sched>,
    sysmon: Option<ThreadHandle<()>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("name", &self.sched.name)
            .field("procs", &self.sched.procs)
            .finish()
    }
}

impl Runtime {
    /// A migrating runtime with default settings (see [`RuntimeBuilder`]).
    ///
    /// # Safety
    /// The migration contract of [`RuntimeBuilder::build`].
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// // SAFETY: the goroutines of this runtime hold no thread-local and no thread-bound
    /// // value across a park.
    /// let rt = unsafe { gpm::Runtime::new() }?;
    /// assert!(!rt.is_single_thread());
    /// assert_eq!(rt.block_on(|| gpm::go(|| 6 * 7).join().unwrap()), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn new() -> io::Result<Runtime> {
        // SAFETY: the caller makes `build`'s promise.
        unsafe { RuntimeBuilder::default().build() }
    }

    /// A single-thread runtime with default settings: safe (see
    /// [`RuntimeBuilder::build_single_thread`]).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// assert!(rt.is_single_thread());
    /// assert_eq!(rt.procs(), 1);
    /// // Any thread-local is fine here: the goroutines never leave the runtime's thread.
    /// thread_local! { static N: std::cell::Cell<u32> = const { std::cell::Cell::new(0) }; }
    /// let n = rt.block_on(|| {
    ///     N.with(|n| n.set(1));
    ///     gpm::yield_now();
    ///     N.with(|n| n.get())
    /// });
    /// assert_eq!(n, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "current_thread")]
    pub fn single_thread() -> io::Result<Runtime> {
        RuntimeBuilder::default().build_single_thread()
    }

    /// Whether this runtime's goroutines all run on one thread
    /// ([`RuntimeBuilder::build_single_thread`]).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// assert!(gpm::Runtime::single_thread()?.is_single_thread());
    /// // SAFETY: no goroutine runs on this runtime.
    /// assert!(!unsafe { gpm::Runtime::builder().procs(2).build() }?.is_single_thread());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_single_thread(&self) -> bool {
        self.sched.single
    }

    /// A [`RuntimeBuilder`] with default settings.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::builder().name("app").stack_size(64 << 10).build_single_thread()?;
    /// assert_eq!(rt.block_on(|| 1 + 1), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// Runs `f` as a goroutine (under this runtime's contract: [`RuntimeBuilder::build`]'s
    /// `# Safety` if it migrates) and blocks the calling thread (or parks the calling
    /// goroutine) until it returns; a panic in `f` is resumed here.
    ///
    /// With [deadlock detection](RuntimeBuilder::detect_deadlock) on, a deadlock of the
    /// runtime while it waits resumes a panic here whose payload is a
    /// [`Deadlock`](crate::Deadlock) (the goroutine is left parked, detached).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// // SAFETY: the goroutines below hold no thread-local and no thread-bound value
    /// // across a park.
    /// let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
    /// let total = rt.block_on(|| {
    ///     let hs: Vec<_> = (0..100u64).map(|i| gpm::go(move || i)).collect();
    ///     hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    /// });
    /// assert_eq!(total, 4950);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F, T>(&self, f: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let h = self.go(f);
        let r = if self.sched.deadlock.enabled {
            crate::deadlock::join_block_on(&self.sched, h)
        } else {
            h.join()
        };
        match r {
            Ok(v) => v,
            Err(payload) => resume_unwind(payload),
        }
    }

    /// Spawns a goroutine on this runtime, with its default stack size (`f` runs under this
    /// runtime's contract: [`RuntimeBuilder::build`]'s `# Safety` if it migrates).
    ///
    /// Its stack is bound when it first runs, not here: if none can be mapped then, the
    /// goroutine never runs and its `join` returns [`crate::Cancelled`] with
    /// `is_no_stack()`, counted in [`Stats::stack_failures`] (see [`crate::go`]).
    ///
    /// Unlike [`gpm::go`](crate::go), it needs no runtime around the caller: a plain
    /// thread can feed goroutines to a runtime it holds.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let hs: Vec<_> = (0..4u32).map(|i| rt.go(move || i * 10)).collect();
    /// // Joined from this plain thread, which blocks meanwhile.
    /// let v: Vec<u32> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    /// assert_eq!(v, [0, 10, 20, 30]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn go<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let mut preempted = false;
        let spawned = spawn_on(
            &self.sched,
            current_m(),
            &mut None,
            None,
            Location::caller(),
            f,
            &mut preempted,
        );
        if preempted {
            crate::park::preempt_point();
        }
        spawned.unwrap_or_else(|e| panic!("gpm: cannot spawn a goroutine: {e}"))
    }

    /// A snapshot of the scheduler's counters and queues (see [`Stats`]).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     for i in 0..10 {
    ///         assert_eq!(gpm::go(move || i).join().unwrap(), i);
    ///     }
    /// });
    /// let s = rt.stats();
    /// assert_eq!(s.procs, 1);
    /// assert_eq!(s.local_queues.len(), 1);
    /// assert!(s.spawned >= 11); // the ten, and `block_on`'s own goroutine
    /// assert_eq!(s.panics, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        crate::stats::snapshot(&self.sched)
    }

    /// Every live goroutine, as Go's goroutine dump: id, state (for a parked goroutine
    /// its wait reason and how long it has waited), name, where it waits (the blocking
    /// call's source line) and where it was spawned.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::time::Duration;
    /// let rt = gpm::Runtime::single_thread()?;
    /// let sleeper = gpm::Builder::new().name("sleeper");
    /// let h = rt.block_on(|| sleeper.go(|| gpm::sleep(Duration::from_secs(3600))))?;
    /// let mut dump = rt.dump();
    /// for _ in 0..5000 {
    ///     if dump.contains("[sleep") {
    ///         break;
    ///     }
    ///     std::thread::sleep(Duration::from_millis(1));
    ///     dump = rt.dump();
    /// }
    /// // goroutine 2 [sleep, 0 ms]:
    /// //   name: sleeper
    /// //   waiting at src/lib.rs:8:62
    /// //   created at src/lib.rs:8:49
    /// assert!(dump.contains("[sleep, "), "{dump}");
    /// assert!(dump.contains("name: sleeper"), "{dump}");
    /// assert!(dump.contains("waiting at "), "{dump}");
    /// h.cancel();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn dump(&self) -> String {
        crate::stats::dump(&self.sched)
    }

    /// The `SCHED` line `GPM_DEBUG=schedtrace` prints, now (Go's format: time since the
    /// start, Ps, idle Ps, threads, spinning and idle threads, the global queue's length,
    /// then each P's).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let line = rt.schedtrace();
    /// // SCHED 0ms: gomaxprocs=1 idleprocs=1 threads=1 spinningthreads=0 idlethreads=1
    /// //     runqueue=0 [0]   (one line)
    /// assert!(line.starts_with("SCHED "), "{line}");
    /// assert!(line.contains(" gomaxprocs=1 "), "{line}");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn schedtrace(&self) -> String {
        crate::trace::sched_line(&self.sched, self.sched.nanotime())
    }

    /// Number of Ps: how many goroutines run at once.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// // SAFETY: no goroutine runs on this runtime.
    /// let rt = unsafe { gpm::Runtime::builder().procs(3).build() }?;
    /// assert_eq!(rt.procs(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn procs(&self) -> usize {
        self.sched.ps.len()
    }

    /// Stops the runtime as dropping it does (see [`Runtime`]), and returns its counters
    /// as they stand once the unfinished goroutines are cancelled (e.g.
    /// [`Stats::cancel_panics`]). Called from one of its own goroutines, it returns before
    /// the cancellation, which a detached thread finishes.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let h = rt.go(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    /// let last = rt.shutdown();
    /// assert_eq!(last.cancel_panics, 0);
    /// assert!(h.join().unwrap_err().is::<gpm::Cancelled>());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(mut self) -> Stats {
        self.stop();
        self.stats()
    }

    /// Stops the runtime (type docs); a second call does nothing.
    fn stop(&mut self) {
        let sched = &*self.sched;
        // AcqRel: a second stop (the drop after `shutdown`) sees the first one's store; the
        // Release half pairs with `Sched::is_shutdown`'s Acquire, as the plain store did.
        if sched.shutdown.swap(true, AcqRel) {
            return;
        }
        sched.wake_all();
        let sysmon = self.sysmon.take();
        let on_own_m = {
            let m = current_m();
            // SAFETY: a non-null current M is alive on this thread.
            !m.is_null() && std::ptr::eq(unsafe { (*m).sched }, sched)
        };
        if on_own_m {
            // Dropped from one of its own goroutines, whose M cannot join itself: a
            // detached thread finishes the shutdown once that M has exited (without it the
            // parked goroutines would never be cancelled, their joins never return, and the
            // cycle waiter → Unparker → Sched → G → coroutine would keep it all alive).
            let s = self.sched.clone();
            let spawned = std::thread::Builder::new()
                .name("gpm-shutdown".into())
                .spawn(move || finish_shutdown(&s, sysmon));
            if let Err(e) = spawned {
                eprintln!(
                    "gpm: cannot start a thread to finish runtime `{}`'s shutdown ({e}); its \
                     parked goroutines leak",
                    sched.name
                );
            }
            return;
        }
        finish_shutdown(sched, sysmon);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop();
    }
}
