//! The process-wide default runtime: what `gpm::go` and the other free functions use when
//! called outside any runtime (Go's one runtime per process).
//!
//! It is not started on first use. A migrating runtime needs its creator's promise
//! (`RuntimeBuilder::build`'s `# Safety`), and a `go` that started one implicitly would be a
//! safe way around it; a single-thread one started implicitly would hide a 1-CPU program
//! behind the same call. So the program starts it, once, at the top of `main`: `unsafe {
//! gpm::init() }` (migrating, sized by `GPM_MAXPROCS` or the CPUs) or
//! `gpm::init_single_thread()` (safe). Until then a free function that needs a runtime
//! panics with a message that shows both lines.

use std::sync::OnceLock;

use crate::m::M;
use crate::runtime::{Runtime, RuntimeBuilder};
use crate::sched::Sched;

static DEFAULT: OnceLock<Runtime> = OnceLock::new();

/// Starts the process-wide default runtime, migrating, with `GPM_MAXPROCS` Ps (else one
/// per CPU), and returns it; if a default runtime is already running (either flavour),
/// returns that one. `gpm::go` and the other free functions, called outside any runtime,
/// use it.
///
/// # Safety
/// The migration contract of [`RuntimeBuilder::build`], for every goroutine spawned on the
/// default runtime.
///
/// # Panics
/// If the runtime cannot be started (its first threads cannot be spawned).
///
/// # Examples
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// // At the top of `main`:
/// // SAFETY: no goroutine of this program holds a thread-local or a thread-bound value
/// // across a park.
/// let rt = unsafe { gpm::init() };
/// assert!(!rt.is_single_thread());
/// // From here on, `gpm::go` works on any plain thread.
/// let h = std::thread::spawn(|| gpm::go(|| 6 * 7).join().unwrap());
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub unsafe fn init() -> &'static Runtime {
    DEFAULT.get_or_init(|| {
        // SAFETY: the caller makes `build`'s promise for the default runtime's goroutines.
        unsafe { RuntimeBuilder::default().build() }
            .unwrap_or_else(|e| panic!("gpm::init: cannot start the default runtime: {e}"))
    })
}

/// Starts the process-wide default runtime as a [single-thread
/// runtime](RuntimeBuilder::build_single_thread) (safe: its goroutines never change
/// threads) and returns it; if a default runtime is already running, returns that one,
/// which is a migrating one if [`init`] came first (its caller promised the contract for
/// every goroutine of it; [`Runtime::is_single_thread`] tells).
///
/// # Panics
/// If the runtime's thread cannot be spawned.
///
/// # Examples
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// gpm::init_single_thread(); // at the top of `main`
/// let hs: Vec<_> = (0..4u32).map(|i| gpm::go(move || i + 1)).collect();
/// let v: Vec<u32> = hs.into_iter().map(|h| h.join().unwrap()).collect();
/// assert_eq!(v, [1, 2, 3, 4]);
/// // A second start returns the running one.
/// assert!(std::ptr::eq(gpm::init_single_thread(), gpm::default_runtime()));
/// ```
pub fn init_single_thread() -> &'static Runtime {
    DEFAULT.get_or_init(|| {
        Runtime::single_thread().unwrap_or_else(|e| {
            panic!("gpm::init_single_thread: cannot start the default runtime: {e}")
        })
    })
}

/// The process-wide default runtime.
///
/// # Panics
/// If none was started (see [`init`] and [`init_single_thread`]); the message shows how.
///
/// # Examples
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// gpm::init_single_thread();
/// let rt = gpm::default_runtime();
/// assert_eq!(rt.block_on(|| gpm::num_goroutines()), 1);
/// assert!(rt.stats().spawned >= 1);
/// ```
#[track_caller]
pub fn default_runtime() -> &'static Runtime {
    match DEFAULT.get() {
        Some(rt) => rt,
        None => not_started(),
    }
}

#[cold]
#[track_caller]
fn not_started() -> ! {
    panic!(
        "gpm: called outside any runtime, and no default runtime is started. Start one at \
         the top of main:\n    \
         // SAFETY: no goroutine holds a thread-local or a thread-bound value across a park\n    \
         unsafe {{ gpm::init() }};\n\
         or, for goroutines that all stay on one thread, with no promise to make:\n    \
         gpm::init_single_thread();\n\
         or run the code inside `Runtime::block_on`."
    )
}

/// As [`with_current`], or `None` on a plain thread with no default runtime.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&Sched, *const M) -> R) -> Option<R> {
    let m = crate::context::current_m();
    if m.is_null() {
        return DEFAULT.get().map(|rt| f(&rt.sched, m));
    }
    // SAFETY: a non-null current M is alive on this thread and keeps its runtime alive.
    Some(f(unsafe { (*m).sched() }, m))
}

/// Runs `f` with the runtime of the calling goroutine (or the default runtime) and the
/// calling thread's M (null on a plain thread), read once.
#[track_caller]
pub(crate) fn with_current<R>(f: impl FnOnce(&Sched, *const M) -> R) -> R {
    let m = crate::context::current_m();
    if m.is_null() {
        return f(&default_runtime().sched, m);
    }
    // SAFETY: a non-null current M is alive on this thread and keeps its runtime alive.
    f(unsafe { (*m).sched() }, m)
}
