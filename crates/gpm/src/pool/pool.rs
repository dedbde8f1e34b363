//! `Pool`: a pool of goroutines running submitted closures (ants' `Pool`), with results
//! (`spawn`) and deadlines on top.

use super::core::{Core, Wait};
use super::error::PoolError;
use super::handle::{JoinHandle, with_handle};
use super::options::Options;
use crate::CancellationToken;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A job of a [`Pool`]: a boxed closure. [`Pool::submit`] takes any closure; a `Task` is
/// for code that stores jobs before submitting them.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{Pool, Task};
/// let (tx, rx) = gpm::chan::unbounded();
/// let jobs: Vec<Task> = (0..3)
///     .map(|i| {
///         let tx = tx.clone();
///         Box::new(move || tx.send(i).unwrap()) as Task
///     })
///     .collect();
/// let pool = Pool::new(2)?;
/// for job in jobs {
///     pool.submit(job)?;
/// }
/// pool.wait();
/// let mut got: Vec<_> = rx.try_iter().collect();
/// got.sort();
/// assert_eq!(got, [0, 1, 2]);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub type Task = Box<dyn FnOnce() + Send + 'static>;

/// A goroutine pool: at most [`cap`](Pool::cap) worker goroutines run the submitted
/// closures, idle ones wait parked for the next (see the [module docs](super)). Works from
/// goroutines and from plain threads; share it with an `Arc`. Dropping it
/// [`release`](Pool::release)s it.
///
/// ```
/// gpm::init_single_thread(); // from a plain thread, workers run on the default runtime
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let pool = gpm::pool::Pool::new(10)?;
/// let sum = Arc::new(AtomicU64::new(0));
/// for i in 1..=100 {
///     let sum = sum.clone();
///     pool.submit(move || { sum.fetch_add(i, Ordering::Relaxed); })?;
/// }
/// pool.wait();
/// assert_eq!(sum.load(Ordering::Relaxed), 5050);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub struct Pool {
    pub(crate) core: Arc<Core<Task>>,
}

impl Pool {
    /// A pool of at most `capacity` workers, with the other [`Options`] at their defaults.
    /// `0` is [`PoolError::InvalidOption`]; see [`Pool::unlimited`].
    ///
    /// # Panics
    /// On a plain thread with no default runtime started (see [`Options::build`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(100)?;
    /// assert_eq!(pool.cap(), Some(100));
    /// assert!(gpm::pool::Pool::new(0).is_err());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn new(capacity: usize) -> Result<Pool, PoolError> {
        Options::new().capacity(capacity).build()
    }

    /// A pool with no capacity limit (a worker per concurrent task, reused after it).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::unlimited()?;
    /// assert_eq!(pool.cap(), None);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn unlimited() -> Result<Pool, PoolError> {
        Options::new().build()
    }

    /// The settings, to [`build`](Options::build) a pool from.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::builder().capacity(3).nonblocking(true).build()?;
    /// # drop(pool);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn builder() -> Options {
        Options::new()
    }

    /// Runs `f` on a worker: an idle one, or a new one under the capacity; at the capacity
    /// it parks (blocks a thread) until a worker is free, or fails with
    /// [`PoolError::Overload`] if the pool is nonblocking or
    /// [`max_blocking_tasks`](Options::max_blocking_tasks) callers already wait.
    /// [`PoolError::Closed`] once released. A new worker is a goroutine of the caller's
    /// runtime (from a plain thread, of the default runtime).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(1)?;
    /// let (tx, rx) = gpm::chan::bounded(1);
    /// pool.submit(move || tx.send("done").unwrap())?;
    /// assert_eq!(rx.recv(), Ok("done"));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit<F>(&self, f: F) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.core.submit(Box::new(f), Wait::Block).map_err(|(e, _)| e)
    }

    /// As [`submit`](Pool::submit), but never waits: [`PoolError::Overload`] when no
    /// worker is free now.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{Pool, PoolError};
    /// let pool = Pool::new(1)?;
    /// let (tx, rx) = gpm::chan::bounded::<()>(0);
    /// pool.submit(move || { let _ = rx.recv(); })?; // holds the only worker
    /// assert_eq!(pool.try_submit(|| ()), Err(PoolError::Overload));
    /// drop(tx);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn try_submit<F>(&self, f: F) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.core.submit(Box::new(f), Wait::Never).map_err(|(e, _)| e)
    }

    /// As [`submit`](Pool::submit), waiting at most `timeout` for a worker:
    /// [`PoolError::Timeout`] then.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{Pool, PoolError};
    /// use std::time::Duration;
    /// let pool = Pool::new(1)?;
    /// let (tx, rx) = gpm::chan::bounded::<()>(0);
    /// pool.submit(move || { let _ = rx.recv(); })?;
    /// let late = pool.submit_timeout(|| (), Duration::from_millis(20));
    /// assert_eq!(late, Err(PoolError::Timeout));
    /// drop(tx);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn submit_timeout<F>(&self, f: F, timeout: Duration) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.core.submit(Box::new(f), until(timeout)).map_err(|(e, _)| e)
    }

    /// As [`submit`](Pool::submit), waiting for a worker until `deadline` at the latest.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use std::time::{Duration, Instant};
    /// let pool = gpm::pool::Pool::new(1)?;
    /// pool.submit_deadline(|| (), Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit_deadline<F>(&self, f: F, deadline: Instant) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.core.submit(Box::new(f), Wait::Until(deadline)).map_err(|(e, _)| e)
    }

    /// As [`submit`](Pool::submit), waiting for a worker until `token` is cancelled:
    /// [`PoolError::Cancelled`] then (at once if it already is), and `f` is dropped unrun
    /// (Go's `ctx.Done()` in a submit's `select`, ants#237). A task that reached a worker
    /// runs to its end: pass the token into `f` to stop it early.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::CancellationToken;
    /// use gpm::pool::{Pool, PoolError};
    /// let pool = Pool::new(1)?;
    /// let (tx, rx) = gpm::chan::bounded::<()>(0);
    /// pool.submit(move || { let _ = rx.recv(); })?; // holds the only worker
    /// let token = CancellationToken::new();
    /// let t = token.clone();
    /// gpm::go(move || t.cancel()); // cancels the wait below
    /// assert_eq!(pool.submit_with_token(|| (), &token), Err(PoolError::Cancelled));
    /// drop(tx);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn submit_with_token<F>(&self, f: F, token: &CancellationToken) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.core.submit(Box::new(f), Wait::Cancel(token)).map_err(|(e, _)| e)
    }

    /// As [`submit`](Pool::submit), returning a [`JoinHandle`] for `f`'s value; a panic in
    /// `f` comes back from [`join`](JoinHandle::join) as `Err` (not to the panic handler).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(4)?;
    /// let handles: Vec<_> = (0..10u64).map(|i| pool.spawn(move || i * i)).collect::<Result<_, _>>()?;
    /// let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    /// assert_eq!(sum, 285);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> Result<JoinHandle<T>, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (task, handle) = with_handle(f);
        self.submit(task)?;
        Ok(handle)
    }

    /// Tasks handed to a worker and not finished yet.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(2)?;
    /// pool.wait();
    /// assert_eq!(pool.in_flight(), 0);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn in_flight(&self) -> usize {
        self.core.inflight()
    }

    pool_common_methods!("let pool = gpm::pool::Pool::new(4)?;");
}

/// The deadline `timeout` from now (none if it overflows: wait as long as it takes).
pub(crate) fn until(timeout: Duration) -> Wait<'static> {
    Instant::now().checked_add(timeout).map_or(Wait::Block, Wait::Until)
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.core.release();
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("cap", &self.cap())
            .field("running", &self.running())
            .field("waiting", &self.waiting())
            .field("closed", &self.is_closed())
            .finish()
    }
}
