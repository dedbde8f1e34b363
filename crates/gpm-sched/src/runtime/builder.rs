//! `RuntimeBuilder`: a runtime's settings, their ranges and defaults (`GPM_MAXPROCS`), and
//! the start of a runtime of either flavour.

use std::io;
use std::sync::Arc;

use super::{DEFAULT_MAX_THREADS, MAX_PROCS, MAX_STACK_SIZE, Runtime};
use crate::sched::Sched;

/// Configures a [`Runtime`] (from [`Runtime::builder`]); values are checked when it is
/// built: by [`build`](RuntimeBuilder::build) (goroutines move between threads: `unsafe`)
/// or [`build_single_thread`](RuntimeBuilder::build_single_thread) (safe).
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// // SAFETY: the goroutines of this runtime hold no thread-local and no thread-bound
/// // value across a park.
/// let rt = unsafe {
///     gpm::Runtime::builder().procs(2).max_threads(64).name("workers").build()
/// }?;
/// assert_eq!(rt.procs(), 2);
/// assert_eq!(rt.block_on(|| gpm::go(|| "done").join().unwrap()), "done");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuntimeBuilder {
    procs: Option<usize>,
    max_threads: Option<usize>,
    stack_size: Option<usize>,
    name: Option<String>,
    detect_deadlock: Option<bool>,
    on_panic: Option<crate::panics::Handler>,
}

impl RuntimeBuilder {
    /// Number of Ps (1..=256; default `GPM_MAXPROCS` or the number of CPUs). Unlike this
    /// value, a bad `GPM_MAXPROCS` is not an error: it is ignored (0, not a number) or
    /// clamped to 256, with one warning on stderr.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// // SAFETY: no goroutine runs on this runtime.
    /// let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
    /// assert_eq!(rt.stats().procs, 2);
    /// // SAFETY: as above (and it is not built).
    /// let err = unsafe { gpm::Runtime::builder().procs(0).build() }.unwrap_err();
    /// assert_eq!(err.to_string(), "gpm: procs = 0 is out of range (allowed: 1..=256)");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn procs(mut self, n: usize) -> Self {
        self.procs = Some(n);
        self
    }

    /// Most M threads (default 10,000): blocked `blocking` calls and locked goroutines each
    /// hold one. At least `procs`.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::time::Duration;
    /// // SAFETY: the goroutines hold no thread-local or thread-bound value across a park.
    /// let rt = unsafe { gpm::Runtime::builder().procs(2).max_threads(4).build() }?;
    /// // More blocking calls than threads: they wait their turn for a thread.
    /// let n = rt.block_on(|| {
    ///     let hs: Vec<_> = (0..8)
    ///         .map(|_| gpm::go(|| gpm::blocking(|| std::thread::sleep(Duration::from_millis(1)))))
    ///         .collect();
    ///     hs.into_iter().map(|h| h.join().unwrap()).count()
    /// });
    /// assert_eq!(n, 8);
    /// assert!(rt.stats().threads <= 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn max_threads(mut self, n: usize) -> Self {
        self.max_threads = Some(n);
        self
    }

    /// Default goroutine stack size in bytes (default gpm-stack's `DEFAULT_STACK_SIZE`,
    /// 256 KiB): from gpm-stack's `MIN_STACK_SIZE` (16 KiB) to [`MAX_STACK_SIZE`] (1 GiB),
    /// page-rounded, the same rule as [`Builder::stack_size`](crate::Builder::stack_size);
    /// checked by `build`. Everything a goroutine calls runs on its stack, C code called
    /// through [`blocking`](crate::blocking) included (except on a single-thread runtime,
    /// where `blocking` runs on a helper thread): deep FFI or recursion needs more
    /// than the default (an overflow aborts), here for every goroutine or per goroutine
    /// with `Builder::stack_size`.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::builder().stack_size(1 << 20).build_single_thread()?;
    /// // 1 MiB for every goroutine: room for a 512 KiB local.
    /// let sum = rt.block_on(|| [1u8; 512 << 10].iter().map(|&b| b as u32).sum::<u32>());
    /// assert_eq!(sum, 512 << 10);
    /// let err = gpm::Runtime::builder().stack_size(1 << 40).build_single_thread().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// A name for diagnostics (`Debug`, and messages on stderr about this runtime).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::builder().name("ingest").build_single_thread()?;
    /// assert!(format!("{rt:?}").contains("ingest"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Deadlock detection (Go's `checkdead`; default off, or on with
    /// `GPM_DEBUG=checkdead=1`, which this call overrides). When every goroutine is parked
    /// and nothing the runtime knows of can wake one — every thread idle, no goroutine in
    /// [`blocking`](crate::blocking) or waiting on the network, no timer armed, every queue
    /// empty — it prints `gpm: all goroutines are asleep - deadlock!` and a
    /// [dump](Runtime::dump) on stderr, and every [`block_on`](Runtime::block_on) waiting
    /// on this runtime panics in its caller with a [`Deadlock`](crate::Deadlock) payload:
    /// a test fails with a dump instead of hanging. Nothing is reported while no thread
    /// waits on the runtime (`block_on`, or another blocking gpm call).
    ///
    /// Plain threads can wake goroutines too (a channel send from a thread), which Go's
    /// rule does not know about. A thread counts as a possible waker while it is awake once
    /// gpm has seen it — it has blocked in a gpm call, or woken a goroutine — and as asleep
    /// while it blocks in a gpm call without a timeout (`block_on`'s own caller waits so on
    /// its goroutine). Detection assumes that a thread gpm has never seen, and a goroutine
    /// of another runtime, will not wake a goroutine of this one: a thread that only
    /// sleeps and then sends on a channel for its first gpm call is reported as a deadlock
    /// if everything else was asleep. Leave detection off for such programs.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::panic::{AssertUnwindSafe, catch_unwind};
    /// let rt = gpm::Runtime::builder().detect_deadlock(true).build_single_thread()?;
    /// // A goroutine waits for a wake-up nobody can send (stderr shows the report).
    /// let r = catch_unwind(AssertUnwindSafe(|| {
    ///     rt.block_on(|| gpm::park::park(gpm::park::WaitReason::Park))
    /// }));
    /// let deadlock = r.unwrap_err().downcast::<gpm::Deadlock>().unwrap();
    /// assert!(deadlock.dump().contains("[park"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn detect_deadlock(mut self, on: bool) -> Self {
        self.detect_deadlock = Some(on);
        self
    }

    /// What to do with a goroutine's panic that no [`join`](crate::JoinHandle::join) will
    /// receive: the goroutine's handle was dropped (detached) before it finished. `handler`
    /// gets the [`GoroutinePanic`](crate::GoroutinePanic) (id, name, payload), on the
    /// goroutine's own stack as its last step (it may use gpm: send the panic on a
    /// channel, say); a panic in `handler` is reported on stderr and ignored. Counted in
    /// [`Stats::detached_panics`](crate::Stats::detached_panics).
    ///
    /// Without a handler nothing more happens: every goroutine panic is printed when it
    /// happens, as std prints a thread's, naming the goroutine:
    /// `goroutine 17 'worker-3' panicked at src/main.rs:9:5:` (gpm installs a panic hook
    /// for that when the first runtime is built, over the one in place, which still
    /// handles panics outside goroutines). A handle dropped after its goroutine finished
    /// drops the payload with it.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// let (tx, rx) = mpsc::channel();
    /// let rt = gpm::Runtime::builder()
    ///     .on_panic(move |p| {
    ///         let _ = tx.send((p.name().map(String::from), p.message().map(String::from)));
    ///     })
    ///     .build_single_thread()?;
    /// rt.block_on(|| {
    ///     let h = gpm::Builder::new().name("doomed").go(|| panic!("no luck"))?;
    ///     drop(h); // detached: nobody will join it
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// let (name, message) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    /// assert_eq!(name.as_deref(), Some("doomed"));
    /// assert_eq!(message.as_deref(), Some("no luck"));
    /// assert_eq!(rt.stats().detached_panics, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_panic(
        mut self,
        handler: impl Fn(crate::GoroutinePanic) + Send + Sync + 'static,
    ) -> Self {
        self.on_panic = Some(crate::panics::Handler(Arc::new(handler)));
        self
    }

    /// Builds and starts a runtime whose goroutines move between threads (`procs` Ps, as
    /// many M threads as they need). Out-of-range values are an `InvalidInput` error naming
    /// the value and the range.
    ///
    /// # Safety
    ///
    /// A goroutine parked on one thread may resume on another, and neither Rust nor LLVM
    /// knows it: both assume a stack frame stays on the thread that entered it
    /// (rust-lang/unsafe-code-guidelines#602). The caller promises, for every goroutine that
    /// will run on this runtime (library code it calls included), that:
    ///
    /// 1. **No thread-local across a park.** No reference into thread-local storage (the
    ///    argument of `std::thread::LocalKey::with`, anything borrowed from a `thread_local!`, a
    ///    C `__thread` variable) is held across a call that may park; and no function both
    ///    reads or writes a thread-local and calls something that may park, even at separate
    ///    points, counting the callees the compiler may inline into it: an optimised build
    ///    may compute the thread-local's address once, before the
    ///    park, and use it after the goroutine has moved, on the old thread's slot (a
    ///    `thread_local!` `Cell<Option<Box<_>>>` taken and set around a `yield_now` double-frees).
    /// 2. **No thread-bound value across a park.** Nothing that must stay on the thread that
    ///    made it is held across such a call: an `Rc` shared with thread-local state (the
    ///    handle of `rand::thread_rng()`), a `std::sync::MutexGuard` or `RwLock` guard, a
    ///    `std::io::StdoutLock` (its reentrant lock is owned by a thread), a `tracing` span
    ///    guard, a value that refers to a thread's identity.
    ///
    /// *Calls that may park*: every blocking operation of gpm (a channel `send` / `recv`, a
    /// `select!`, a `gpm::sync` lock or wait, [`JoinHandle::join`](crate::JoinHandle::join),
    /// [`sleep`](crate::sleep), [`yield_now`](crate::yield_now), [`go`](crate::go) — a
    /// spawn is a scheduling point — and a park inside [`blocking`](crate::blocking)), and
    /// any function that calls one.
    ///
    /// What to use instead: goroutine-local storage (`gpm::local!`, whose value follows the
    /// goroutine), `gpm::sync` types (a guard may move between threads),
    /// [`lock_os_thread`](crate::lock_os_thread) (the goroutine stays on its thread until it
    /// unlocks, and is unwound there too if the runtime is dropped while it waits), or a
    /// [single-thread runtime](RuntimeBuilder::build_single_thread), which needs no promise.
    /// Breaking the promise is undefined behaviour: heap corruption in release builds.
    ///
    /// # Examples
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// // SAFETY: these goroutines share state through an `Arc` of an atomic, and hold no
    /// // thread-local and no thread-bound value across a park.
    /// let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
    /// let hits = Arc::new(AtomicUsize::new(0));
    /// let h = hits.clone();
    /// rt.block_on(move || {
    ///     let hs: Vec<_> = (0..100)
    ///         .map(|_| {
    ///             let h = h.clone();
    ///             gpm::go(move || {
    ///                 gpm::yield_now(); // may resume on the other thread
    ///                 h.fetch_add(1, Ordering::Relaxed);
    ///             })
    ///         })
    ///         .collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    /// });
    /// assert_eq!(hits.load(Ordering::Relaxed), 100);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub unsafe fn build(self) -> io::Result<Runtime> {
        self.start(false)
    }

    /// Builds and starts a runtime whose goroutines all run on one thread, for their whole
    /// life: safe, with no promise to make (tokio's "current-thread" flavour; the thread is
    /// the runtime's own, started here, and a thread calling [`Runtime::block_on`] waits for
    /// it). Thread-locals and thread-bound values in goroutines behave as in any code on one
    /// thread.
    ///
    /// One P, one M: goroutines take turns at scheduling points. sysmon still flags a
    /// goroutine that runs 10 ms without one, so it yields at its next one, but it cannot
    /// hand the other goroutines to another thread: a goroutine that never reaches a
    /// scheduling point stops the others. [`blocking`](crate::blocking) runs its closure on
    /// a helper thread while the goroutine parks, so the others go on;
    /// [`lock_os_thread`](crate::lock_os_thread) only counts (every goroutine already stays
    /// on the thread, and the thread goes on running the others).
    ///
    /// `procs` must be unset or 1; `max_threads` has no effect (the helper threads of
    /// `blocking` are shared by the process, one per call in flight, and exit when idle).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::builder().name("ui").build_single_thread()?;
    /// let main_thread = std::thread::current().id();
    /// let same = rt.block_on(move || {
    ///     let first = std::thread::current().id();
    ///     let hs: Vec<_> = (0..10).map(|_| gpm::go(|| std::thread::current().id())).collect();
    ///     gpm::yield_now();
    ///     let all_here = hs.into_iter().all(|h| h.join().unwrap() == first);
    ///     all_here && first != main_thread // the runtime's own thread
    /// });
    /// assert!(same);
    /// assert!(gpm::Runtime::builder().procs(2).build_single_thread().is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[doc(alias = "current_thread")]
    #[doc(alias = "new_current_thread")]
    pub fn build_single_thread(self) -> io::Result<Runtime> {
        if let Some(n) = self.procs {
            check("procs of a single-thread runtime", n, 1, 1)?;
        }
        RuntimeBuilder { procs: Some(1), ..self }.start(true)
    }

    fn start(self, single: bool) -> io::Result<Runtime> {
        let procs = match self.procs {
            Some(n) => n,
            None => default_procs(),
        };
        check("procs", procs, 1, MAX_PROCS)?;
        let max_threads = self.max_threads.unwrap_or(DEFAULT_MAX_THREADS);
        check("max_threads", max_threads, procs, usize::MAX)?;
        let stack_size = self.stack_size.unwrap_or(gpm_stack::DEFAULT_STACK_SIZE);
        check_stack_size(stack_size)?;
        let name = self.name.unwrap_or_else(|| "gpm".to_string());
        gpm_stack::install_overflow_handler();
        crate::panics::install_hook();
        warn_if_no_heavy_fence();
        let options = crate::sched::Options {
            detect_deadlock: self.detect_deadlock,
            on_panic: self.on_panic,
        };
        let sched = Arc::new(Sched::new(procs, max_threads, stack_size, name, single, options)?);
        if sched.debug.dump_on_signal
            && let Err(e) = gpm_stack::watch_sigquit()
        {
            eprintln!("gpm: GPM_DEBUG=dump_on_signal=1: cannot handle SIGQUIT ({e}); ignored");
        }
        // Owned from here: an error below drops it, which stops what was started.
        let mut rt = Runtime { sched: sched.clone(), sysmon: None };
        if single {
            // The one M, started now with the one P: `startm` hands the P back to it ever
            // after, and never starts another.
            sched.start_home_m()?;
        }
        // SIGQUITs counted before this runtime existed are not its to answer; read here, not
        // in the sysmon thread, which may start after the first signal.
        let quits = sched.debug.dump_on_signal.then(gpm_stack::sigquits);
        let sysmon = std::thread::Builder::new()
            .name("gpm-sysmon".into())
            .spawn(move || crate::sysmon::sysmon_main(sched, quits))?;
        rt.sysmon = Some(sysmon);
        Ok(rt)
    }
}

fn check(what: &str, v: usize, lo: usize, hi: usize) -> io::Result<()> {
    if (lo..=hi).contains(&v) {
        return Ok(());
    }
    let range = if hi == usize::MAX { format!("{lo}..") } else { format!("{lo}..={hi}") };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("gpm: {what} = {v} is out of range (allowed: {range})"),
    ))
}

/// The one rule for a goroutine stack size, `RuntimeBuilder::stack_size`'s and
/// `Builder::stack_size`'s alike: gpm-stack's `MIN_STACK_SIZE` to [`MAX_STACK_SIZE`] bytes;
/// outside it, an `InvalidInput` error naming the value and the range.
pub(crate) fn check_stack_size(bytes: usize) -> io::Result<()> {
    check("stack_size", bytes, gpm_stack::MIN_STACK_SIZE, MAX_STACK_SIZE)
}

/// `GPM_MAXPROCS`, else the number of CPUs (capped at `MAX_PROCS`). An unusable value is
/// ignored, and a too large one clamped, with one warning on stderr per process (Go ignores
/// a bad `GOMAXPROCS` silently; a silent fallback hides a typo).
fn default_procs() -> usize {
    static WARNED: std::sync::Once = std::sync::Once::new();
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_PROCS);
    let raw = std::env::var_os("GPM_MAXPROCS");
    let (procs, warning) =
        procs_from_env(raw.as_ref().map(|v| v.to_string_lossy()).as_deref(), ncpu);
    if let Some(w) = warning {
        WARNED.call_once(|| eprintln!("{w}"));
    }
    procs
}

/// The Ps to use for `GPM_MAXPROCS = raw` (`None`: unset) on a machine with `ncpu` CPUs,
/// and the warning to print, if any: unset or empty gives `ncpu`; a number from 1 to
/// `MAX_PROCS` is used as is; a larger one gives `MAX_PROCS`; anything else (0, a
/// negative number, not a number) gives `ncpu`.
fn procs_from_env(raw: Option<&str>, ncpu: usize) -> (usize, Option<String>) {
    let Some(v) = raw.map(str::trim).filter(|v| !v.is_empty()) else { return (ncpu, None) };
    let above = || {
        let w = format!(
            "gpm: GPM_MAXPROCS={v} is above the most Ps a runtime can have ({MAX_PROCS}); \
             using {MAX_PROCS}"
        );
        (MAX_PROCS, Some(w))
    };
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_PROCS).contains(&n) => (n, None),
        Ok(n) if n > MAX_PROCS => above(),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => above(),
        _ => {
            let w = format!(
                "gpm: ignoring GPM_MAXPROCS={v:?}: not a whole number from 1 to {MAX_PROCS}; \
                 using {ncpu} (the number of CPUs)"
            );
            (ncpu, Some(w))
        }
    }
}

/// Probes the heavy fence sysmon needs to retake a hog's P (`ownership.rs`) now, not in
/// sysmon's first retake, and says once if the system has none (`membarrier(2)` missing or
/// filtered): then a goroutine that never reaches a scheduling point keeps its P.
fn warn_if_no_heavy_fence() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if !crate::ownership::can_retake_user() {
        WARNED.call_once(|| {
            eprintln!(
                "gpm: membarrier(2) is unavailable here; sysmon cannot retake the P of a \
                 goroutine that runs without a scheduling point (Ps blocked in \
                 `gpm::blocking` are still retaken)"
            )
        });
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn gpm_maxprocs_values_in_range_are_used_silently() {
        assert_eq!(procs_from_env(None, 4), (4, None));
        assert_eq!(procs_from_env(Some(""), 4), (4, None));
        assert_eq!(procs_from_env(Some(" 3 "), 4), (3, None));
        assert_eq!(procs_from_env(Some("256"), 4), (256, None));
    }

    #[test]
    fn gpm_maxprocs_unusable_values_fall_back_to_the_cpus_with_a_warning() {
        for bad in ["0", "abc", "-2", "1.5"] {
            let (procs, warning) = procs_from_env(Some(bad), 4);
            assert_eq!(procs, 4, "{bad}");
            let w = warning.unwrap_or_else(|| panic!("no warning for {bad:?}"));
            assert_eq!(
                w,
                format!(
                    "gpm: ignoring GPM_MAXPROCS={bad:?}: not a whole number from 1 to 256; \
                     using 4 (the number of CPUs)"
                )
            );
        }
    }

    #[test]
    fn gpm_maxprocs_large_values_are_clamped_with_a_warning() {
        for big in ["257", "100000", "99999999999999999999999"] {
            let (procs, warning) = procs_from_env(Some(big), 4);
            assert_eq!(procs, MAX_PROCS, "{big}");
            assert_eq!(
                warning.as_deref(),
                Some(
                    format!(
                        "gpm: GPM_MAXPROCS={big} is above the most Ps a runtime can have \
                         (256); using 256"
                    )
                    .as_str()
                )
            );
        }
    }
}
