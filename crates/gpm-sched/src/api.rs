//! The goroutine API (re-exported by the façade): `go`, `Builder`, `yield_now`, `sleep`,
//! `num_goroutines`. Each works from a goroutine (on its runtime) and from a plain thread
//! (on the default runtime, or blocking the thread).

use std::io;
use std::panic::Location;
use std::time::Duration;

use crate::context::current_g;
use crate::g::Action;
use crate::park::{WaitReason, unparker};
use crate::runtime::with_current;
use crate::spawn::{JoinHandle, spawn_on};

/// Spawns a goroutine running `f` on the current runtime (the caller's, or the default
/// runtime outside any, which the program starts with [`init`](crate::init) or
/// [`init_single_thread`](crate::init_single_thread); without one this panics, saying so)
/// and returns its handle. Dropping the handle detaches it.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// let sum = rt.block_on(|| {
///     let hs: Vec<_> = (1..=10u64).map(|i| gpm::go(move || i * i)).collect();
///     hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
/// });
/// assert_eq!(sum, 385);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Safe: on a runtime whose goroutines migrate, `f` is covered by the promise its creator
/// made ([`RuntimeBuilder::build`](crate::RuntimeBuilder::build)'s `# Safety`), which `f`
/// must keep: no thread-local and no thread-bound value across a park.
///
/// # Stacks
/// The goroutine gets its stack (the runtime's default size) when it first runs, not
/// here: from its P's cache of idle stacks, else the runtime's stack pool, which maps new
/// ones as needed (so queued goroutines hold no stack). If no stack can be mapped then
/// (the OS refuses: the address-space limit `ulimit -v`, `vm.max_map_count`), `go` has
/// already returned: the goroutine never runs, its [`join`](JoinHandle::join) returns
/// `Err` holding [`Cancelled`](crate::Cancelled) whose
/// [`is_no_stack`](crate::Cancelled::is_no_stack) is true and whose message carries the
/// OS error, [`Stats::stack_failures`](crate::Stats::stack_failures) counts it, and the
/// first such failure in a runtime is printed on stderr. (Go throws a fatal error there.)
///
/// # Panics
/// Never for a stack (see above); [`Builder::go`] with a custom stack size maps the stack
/// at spawn and returns its error.
#[track_caller]
pub fn go<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Builder::new().go(f).unwrap_or_else(|e| panic!("gpm::go: cannot spawn a goroutine: {e}"))
}

/// Goroutine options: a name (shown by [`Runtime::dump`](crate::Runtime::dump) and in
/// panic messages) and a stack size.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// let r = rt.block_on(|| {
///     let h = gpm::Builder::new()
///         .name("deep")
///         .stack_size(4 << 20) // 4 MiB, for a deep recursion
///         .go(|| {
///             fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
///             depth(10_000)
///         })?;
///     assert_eq!(h.name(), Some("deep"));
///     Ok::<_, std::io::Error>(h.join().unwrap())
/// })?;
/// assert_eq!(r, 10_000);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// Default options: no name, the runtime's stack size.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let h = rt.block_on(|| gpm::Builder::new().go(|| 1 + 1))?;
    /// assert_eq!(h.join().unwrap(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the goroutine: [`Runtime::dump`](crate::Runtime::dump),
    /// [`JoinHandle::name`], `gpm::current` and panic messages
    /// show it.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let h = gpm::Builder::new().name("worker-1").go(|| ())?;
    ///     assert_eq!(h.name(), Some("worker-1"));
    ///     h.join().unwrap();
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Stack size in bytes: from gpm-stack's `MIN_STACK_SIZE` (16 KiB) to
    /// [`MAX_STACK_SIZE`](crate::MAX_STACK_SIZE) (1 GiB), page-rounded, the same rule as
    /// [`RuntimeBuilder::stack_size`](crate::RuntimeBuilder::stack_size); checked by
    /// [`go`](Builder::go). Everything the goroutine calls runs on this stack, C code
    /// called through [`blocking`](crate::blocking) included (except on a single-thread
    /// runtime, where `blocking` runs on a helper thread): size it for the deepest call
    /// (deep FFI or recursion needs more than the default; an overflow aborts).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let big = gpm::Builder::new().stack_size(1 << 20).go(|| [7u8; 512 << 10][0])?;
    ///     assert_eq!(big.join().unwrap(), 7);
    ///     // Out of range: an error naming the value and the range, no goroutine.
    ///     let err = gpm::Builder::new().stack_size(1).go(|| ()).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    ///     assert!(err.to_string().contains("stack_size = 1"));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.stack_size = Some(bytes);
        self
    }

    /// Spawns the goroutine. A [`stack_size`](Builder::stack_size) out of range is an
    /// `InvalidInput` error naming the value and the range. With a size other than the
    /// runtime's, its stack is mapped here, and a failure is this `Err` (the goroutine never
    /// exists). With the runtime's size, the stack is bound when the goroutine first runs,
    /// and a failure then reaches its `join` instead (see [`go`]).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let out = rt.block_on(|| {
    ///     let h = gpm::Builder::new().name("adder").go(|| 40 + 2)?;
    ///     Ok::<_, std::io::Error>(h.join().unwrap())
    /// })?;
    /// assert_eq!(out, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn go<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if let Some(bytes) = self.stack_size {
            crate::runtime::check_stack_size(bytes)?;
        }
        let loc = Location::caller();
        let mut name = self.name;
        let mut preempted = false;
        // One thread-local read for both the runtime and, below, its P.
        let spawned =
            with_current(|s, m| spawn_on(s, m, &mut name, self.stack_size, loc, f, &mut preempted));
        if preempted {
            crate::park::preempt_point();
        }
        spawned
    }
}

/// Lets other goroutines run (Go's `runtime.Gosched`): the caller goes to the back of its
/// P's run queue. On a plain thread, `std::thread::yield_now`.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::sync::{Arc, Mutex};
/// let rt = gpm::Runtime::single_thread()?;
/// let order = rt.block_on(|| {
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let l = log.clone();
///     let h = gpm::go(move || l.lock().unwrap().push("child"));
///     gpm::yield_now(); // on one thread, the child runs here
///     log.lock().unwrap().push("parent");
///     h.join().unwrap();
///     let v = log.lock().unwrap().clone();
///     v
/// });
/// assert_eq!(order, ["child", "parent"]);
/// # Ok::<(), std::io::Error>(())
/// ```
// Inlined, with the switch: a return right after a stack switch is mispredicted (the
// CPU's return-stack buffer holds the other stack's calls), so the fewer call levels
// between the caller and the switch, the cheaper the way back.
#[inline]
pub fn yield_now() {
    match current_g() {
        Some(g) if g.status() == crate::g::GStatus::Syscall => {
            // Inside `blocking`: leave the syscall around the yield (`syscall.rs`).
            crate::syscall::around_switch(g, || g.suspend(Action::Yield));
            crate::abort::check(g);
        }
        Some(g) => {
            g.suspend(Action::Yield);
            // A scheduling point: a pending cancellation is delivered here (`abort.rs`).
            crate::abort::check(g);
        }
        None => std::thread::yield_now(),
    }
}

/// Whether the calling goroutine's P has work waiting on it: `backlog` or more runnable
/// goroutines in its queue, or a timer due. `false` on a plain thread. For a producer that
/// readies goroutines in a loop without blocking (`gpm::pool`'s `submit`): yielding when
/// this says so keeps the goroutines it readied, and the timers its P holds, from waiting
/// behind it.
pub fn work_waiting(backlog: usize) -> bool {
    let m = crate::context::current_m();
    if m.is_null() {
        return false;
    }
    // SAFETY: a non-null current M is alive on this thread (`context.rs`), and this
    // function never switches, so the M read is the one running the caller.
    let m = unsafe { &*m };
    let Some((p, _)) = m.p() else { return false };
    if p.runq_len() >= backlog {
        return true;
    }
    let next = p.timers.next();
    next != u64::MAX && next <= m.sched().nanotime()
}

/// Sleeps at least `d`: parks the goroutine on a timer (its thread runs other goroutines
/// meanwhile), or sleeps the plain thread.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::time::{Duration, Instant};
/// let rt = gpm::Runtime::single_thread()?;
/// let waited = rt.block_on(|| {
///     let start = Instant::now();
///     // Ten goroutines sleep at once on the runtime's one thread.
///     let nap = || gpm::sleep(Duration::from_millis(5));
///     let hs: Vec<_> = (0..10).map(|_| gpm::go(nap)).collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     start.elapsed()
/// });
/// assert!(waited >= Duration::from_millis(5));
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn sleep(d: Duration) {
    let Some(g) = current_g() else {
        std::thread::sleep(d);
        return;
    };
    if d.is_zero() {
        return;
    }
    // SAFETY: `g` is the caller, running, so its runtime is alive (`sched_of`).
    let sched = unsafe { &*crate::park::sched_of(g) };
    let now = sched.nanotime();
    // Beyond the clock's range (some 584 years): no timer, a park forever.
    let deadline = u64::try_from(d.as_nanos()).ok().and_then(|d| now.checked_add(d));
    let Some(deadline) = deadline.filter(|&w| w != u64::MAX) else {
        loop {
            crate::park::park(WaitReason::Sleep);
        }
    };
    // One clock read per sleep: a park that times out (`false`) was ended by its timer,
    // which fires only once the clock has reached `deadline` (`timers`), so the sleep is
    // over without reading the clock again; `true` is an unpark meant for someone else.
    // The reading goes with the first park only: a later one would be stale.
    let mut read_at = Some(now);
    let mut consumed = false;
    while crate::park::park_sleep(g, read_at.take(), deadline, Location::caller()) {
        consumed = true;
    }
    if consumed {
        // A permit meant for someone else's wake-up: put it back.
        unparker().unpark();
    }
}

/// The running goroutine's id and name, or `None` on a plain thread (and on an M's own
/// stack). Never switches. The façade's `gpm::current` wraps it.
///
/// ```
/// assert!(gpm_sched::current_goroutine().is_none()); // a plain thread
/// let rt = gpm_sched::Runtime::single_thread()?;
/// let (id, seen) = rt.block_on(|| {
///     let h = gpm_sched::Builder::new()
///         .name("me")
///         .go(|| gpm_sched::current_goroutine().unwrap())
///         .unwrap();
///     let id = h.id();
///     (id, h.join().unwrap())
/// });
/// assert_eq!(seen, (id, Some("me".to_string())));
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline(never)]
pub fn current_goroutine() -> Option<(u64, Option<String>)> {
    let g = current_g()?;
    let id = g.id.load(std::sync::atomic::Ordering::Relaxed);
    let name = if g.has_name.load(std::sync::atomic::Ordering::Relaxed) {
        crate::sched::lock(&g.name).as_deref().map(String::from)
    } else {
        None
    };
    Some((id, name))
}

/// Goroutines alive (spawned, not finished) in the current runtime: the caller's, or
/// outside any, the default runtime (see [`go`]).
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     assert_eq!(gpm::num_goroutines(), 1); // this one
///     let go_on = Arc::new(AtomicBool::new(false));
///     let g = go_on.clone();
///     let h = gpm::go(move || {
///         while !g.load(Ordering::Acquire) {
///             gpm::yield_now();
///         }
///     });
///     assert_eq!(gpm::num_goroutines(), 2);
///     go_on.store(true, Ordering::Release);
///     h.join().unwrap();
///     assert_eq!(gpm::num_goroutines(), 1);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn num_goroutines() -> usize {
    with_current(|s, _| s.live())
}
