//! `Options`: a pool's settings (ants' `Options` and `With*` functions) and the builder that
//! checks them and makes a [`Pool`], a [`PoolWithFunc`] or a [`MultiPool`].

use super::core::Core;
use super::error::PoolError;
use super::multi::{LoadBalancing, MultiPool};
use super::{Pool, PoolWithFunc};
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What a pool calls with the payload of a task that panicked, as
/// [`Options::panic_handler`] stores it: one handler can be shared by several pools.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{PanicHandler, Pool};
/// use std::sync::Arc;
/// use std::time::Duration;
/// let (tx, rx) = gpm::chan::unbounded();
/// let handler: PanicHandler = Arc::new(move |payload| {
///     tx.send(payload.downcast_ref::<&str>().copied()).unwrap();
/// });
/// let pools = (0..2)
///     .map(|_| {
///         let h = handler.clone();
///         Pool::builder().panic_handler(move |p| h(p)).build()
///     })
///     .collect::<Result<Vec<_>, _>>()?;
/// for pool in &pools {
///     pool.submit(|| panic!("boom"))?;
/// }
/// for _ in &pools {
///     assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Some("boom")));
/// }
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub type PanicHandler = Arc<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;

/// The default [`expiry`](Options::expiry): one second, as ants.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{DEFAULT_EXPIRY, Pool};
/// assert_eq!(DEFAULT_EXPIRY, std::time::Duration::from_secs(1));
/// let pool = Pool::builder().expiry(DEFAULT_EXPIRY * 10).build()?; // idle workers live longer
/// # drop(pool);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub const DEFAULT_EXPIRY: Duration = Duration::from_secs(1);

/// A pool's settings, and its builder: `Pool::builder().capacity(1000).build()`.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::Pool;
/// use std::time::Duration;
/// let pool = Pool::builder()
///     .capacity(8)
///     .expiry(Duration::from_millis(100))
///     .max_blocking_tasks(64)
///     .build()?;
/// assert_eq!(pool.cap(), Some(8));
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
#[derive(Clone)]
pub struct Options {
    pub(crate) capacity: Option<usize>,
    pub(crate) expiry: Duration,
    pub(crate) disable_purge: bool,
    pub(crate) pre_alloc: bool,
    pub(crate) max_blocking_tasks: usize,
    pub(crate) nonblocking: bool,
    pub(crate) panic_handler: Option<PanicHandler>,
}

impl Options {
    /// The defaults: unlimited capacity, [`DEFAULT_EXPIRY`], purge on, a LIFO of idle
    /// workers, unbounded blocked submitters, blocking submit, panics left to the hook.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Options::new().build()?;
    /// assert_eq!(pool.cap(), None);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn new() -> Options {
        Options {
            capacity: None,
            expiry: DEFAULT_EXPIRY,
            disable_purge: false,
            pre_alloc: false,
            max_blocking_tasks: 0,
            nonblocking: false,
            panic_handler: None,
        }
    }

    /// Most workers at once: `Some(n)` (n ≥ 1) or `None` for no limit (ants' size ≤ 0).
    /// Accepts a plain number: `.capacity(1000)`.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(4).build()?;
    /// assert_eq!(pool.free(), Some(4));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn capacity(mut self, capacity: impl Into<Option<usize>>) -> Options {
        self.capacity = capacity.into();
        self
    }

    /// How long a worker may stay idle before the purge ends it (ants' `ExpiryDuration`); the
    /// purge runs every `expiry`, so an idle worker lives between one and two of them.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().expiry(std::time::Duration::from_secs(10)).build()?;
    /// # drop(pool);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn expiry(mut self, expiry: Duration) -> Options {
        self.expiry = expiry;
        self
    }

    /// Keeps idle workers for good: no purge goroutine (ants' `DisablePurge`).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().disable_purge(true).build()?;
    /// # drop(pool);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn disable_purge(mut self, disable: bool) -> Options {
        self.disable_purge = disable;
        self
    }

    /// Allocates the idle-worker queue for the whole capacity up front and hands tasks to
    /// the longest-idle worker first, a ring as ants' `PreAlloc` loop queue (default: a
    /// LIFO stack, whose top worker's stack is warm). Needs a capacity.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(16).pre_alloc(true).build()?;
    /// # drop(pool);
    /// assert!(gpm::pool::Pool::builder().pre_alloc(true).build().is_err()); // unlimited
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn pre_alloc(mut self, pre_alloc: bool) -> Options {
        self.pre_alloc = pre_alloc;
        self
    }

    /// Most callers blocked in `submit` at once; the next one gets
    /// [`PoolError::Overload`]. 0 (the default) is no limit.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(1).max_blocking_tasks(2).build()?;
    /// # drop(pool);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn max_blocking_tasks(mut self, n: usize) -> Options {
        self.max_blocking_tasks = n;
        self
    }

    /// `submit` never waits: with no free worker it returns [`PoolError::Overload`].
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(1).nonblocking(true).build()?;
    /// # drop(pool);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn nonblocking(mut self, nonblocking: bool) -> Options {
        self.nonblocking = nonblocking;
        self
    }

    /// Called on the worker with the payload of every task (of `submit`, `invoke`) that
    /// panics; the worker then goes on. Without one the payload is dropped: the panic hook
    /// has already printed the message, as for any thread. A task of `spawn` hands its
    /// panic to its `JoinHandle` instead. An unwind whose payload is not a panic message
    /// reaches the handler as [`FOREIGN_UNWIND`](super::FOREIGN_UNWIND) (see the
    /// [module docs](super), "Panics"). The handler runs after the task is counted
    /// finished, so [`Pool::wait`] may return before it has run: to see its effect, wait
    /// for the handler itself, as here.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use std::time::Duration;
    /// let (tx, rx) = gpm::chan::unbounded();
    /// let pool = gpm::pool::Pool::builder()
    ///     .panic_handler(move |payload| {
    ///         tx.send(payload.downcast_ref::<&str>().copied()).unwrap();
    ///     })
    ///     .build()?;
    /// pool.submit(|| panic!("boom"))?;
    /// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Some("boom")));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn panic_handler(
        mut self,
        handler: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    ) -> Options {
        self.panic_handler = Some(Arc::new(handler));
        self
    }

    /// Checks the settings and makes a [`Pool`] of closures. Its purge goroutine (and, from
    /// this call's context, its workers) run on the caller's runtime, or the default
    /// runtime from a plain thread.
    ///
    /// # Panics
    /// On a plain thread with no default runtime started (`gpm::go`'s message says how).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(2).build()?;
    /// pool.submit(|| println!("hello from the pool"))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn build(self) -> Result<Pool, PoolError> {
        let core = Core::new(self, Box::new(|task: super::Task| task()))?;
        Ok(Pool { core })
    }

    /// Checks the settings and makes a [`PoolWithFunc`] running `f` on every argument.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(2).build_with_func(|n: u64| {
    ///     assert!(n < 10);
    /// })?;
    /// pool.invoke(3)?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn build_with_func<T, F>(self, f: F) -> Result<PoolWithFunc<T>, PoolError>
    where
        T: Send + 'static,
        F: Fn(T) + Send + Sync + 'static,
    {
        let core = Core::new(self, Box::new(f))?;
        Ok(PoolWithFunc { core })
    }

    /// Makes a [`MultiPool`] of `pools` pools, each with these settings (the capacity is
    /// per pool).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, Pool};
    /// let multi = Pool::builder().capacity(4).build_multi(3, LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.cap(), Some(12));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn build_multi(self, pools: usize, lb: LoadBalancing) -> Result<MultiPool, PoolError> {
        MultiPool::from_options(self, pools, lb)
    }

    /// The settings' error, if any (what `build` checks).
    pub(crate) fn check(&self) -> Result<(), PoolError> {
        if self.capacity == Some(0) {
            return Err(PoolError::InvalidOption(
                "capacity = 0: a pool needs at least one worker; use capacity(None) for an \
                 unlimited pool"
                    .into(),
            ));
        }
        if self.expiry.is_zero() {
            return Err(PoolError::InvalidOption(
                "expiry = 0 s: idle workers need a positive lifetime; use disable_purge(true) \
                 to keep them for good"
                    .into(),
            ));
        }
        if self.pre_alloc && self.capacity.is_none() {
            return Err(PoolError::InvalidOption(
                "pre_alloc with an unlimited capacity: pre_alloc sizes the worker queue for the \
                 capacity; set capacity(n) or drop pre_alloc"
                    .into(),
            ));
        }
        Ok(())
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new()
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("capacity", &self.capacity)
            .field("expiry", &self.expiry)
            .field("disable_purge", &self.disable_purge)
            .field("pre_alloc", &self.pre_alloc)
            .field("max_blocking_tasks", &self.max_blocking_tasks)
            .field("nonblocking", &self.nonblocking)
            .field("panic_handler", &self.panic_handler.is_some())
            .finish()
    }
}
