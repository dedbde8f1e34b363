//! `PoolWithFunc<T>`: a pool whose workers all run one function over a typed argument
//! (ants' `PoolWithFunc` / `PoolWithFuncGeneric[T]`): no closure to box per task.

use super::core::{Core, Wait};
use super::error::PoolError;
use super::pool::until;
use crate::CancellationToken;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A goroutine pool running one function on each submitted argument. Everything else is
/// as [`Pool`](super::Pool): capacity, waits, `tune`, `release`.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::PoolWithFunc;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// let sum = Arc::new(AtomicU64::new(0));
/// let s = sum.clone();
/// let pool = PoolWithFunc::new(4, move |n: u64| { s.fetch_add(n, Ordering::Relaxed); })?;
/// for n in 1..=10 {
///     pool.invoke(n)?;
/// }
/// pool.wait();
/// assert_eq!(sum.load(Ordering::Relaxed), 55);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub struct PoolWithFunc<T: Send + 'static> {
    pub(crate) core: Arc<Core<T>>,
}

impl<T: Send + 'static> PoolWithFunc<T> {
    /// A pool of at most `capacity` workers running `f`; other options at their defaults
    /// (see [`Options::build_with_func`](super::Options::build_with_func)).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::PoolWithFunc::new(2, |s: String| assert!(!s.is_empty()))?;
    /// pool.invoke("hi".to_string())?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn new<F>(capacity: usize, f: F) -> Result<PoolWithFunc<T>, PoolError>
    where
        F: Fn(T) + Send + Sync + 'static,
    {
        super::Options::new().capacity(capacity).build_with_func(f)
    }

    /// Runs the function on `arg` on a worker, waiting for one as
    /// [`Pool::submit`](super::Pool::submit) does.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::PoolWithFunc::new(2, |n: u32| assert!(n > 0))?;
    /// pool.invoke(7)?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn invoke(&self, arg: T) -> Result<(), PoolError> {
        self.core.submit(arg, Wait::Block).map_err(|(e, _)| e)
    }

    /// As [`invoke`](Self::invoke), never waiting: [`PoolError::Overload`] when no worker
    /// is free now.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::PoolWithFunc::new(2, |n: u32| assert!(n > 0))?;
    /// pool.try_invoke(1)?; // a new worker starts
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn try_invoke(&self, arg: T) -> Result<(), PoolError> {
        self.core.submit(arg, Wait::Never).map_err(|(e, _)| e)
    }

    /// As [`invoke`](Self::invoke), waiting at most `timeout` for a worker.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::PoolWithFunc::new(2, |n: u32| assert!(n > 0))?;
    /// pool.invoke_timeout(1, std::time::Duration::from_millis(100))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn invoke_timeout(&self, arg: T, timeout: Duration) -> Result<(), PoolError> {
        self.core.submit(arg, until(timeout)).map_err(|(e, _)| e)
    }

    /// As [`invoke`](Self::invoke), waiting for a worker until `deadline` at the latest.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use std::time::{Duration, Instant};
    /// let pool = gpm::pool::PoolWithFunc::new(2, |n: u32| assert!(n > 0))?;
    /// pool.invoke_deadline(1, Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn invoke_deadline(&self, arg: T, deadline: Instant) -> Result<(), PoolError> {
        self.core.submit(arg, Wait::Until(deadline)).map_err(|(e, _)| e)
    }

    /// As [`invoke`](Self::invoke), waiting for a worker until `token` is cancelled:
    /// [`PoolError::Cancelled`] then, and `arg` is dropped (see
    /// [`Pool::submit_with_token`](super::Pool::submit_with_token)).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::PoolWithFunc::new(2, |n: u32| assert!(n > 0))?;
    /// let token = gpm::CancellationToken::new();
    /// pool.invoke_with_token(1, &token)?; // a worker is free: runs
    /// token.cancel();
    /// assert_eq!(pool.invoke_with_token(2, &token), Err(gpm::pool::PoolError::Cancelled));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn invoke_with_token(&self, arg: T, token: &CancellationToken) -> Result<(), PoolError> {
        self.core.submit(arg, Wait::Cancel(token)).map_err(|(e, _)| e)
    }

    pool_common_methods!("let pool = gpm::pool::PoolWithFunc::new(4, |n: u64| drop(n))?;");
}

impl<T: Send + 'static> Drop for PoolWithFunc<T> {
    fn drop(&mut self) {
        self.core.release();
    }
}

impl<T: Send + 'static> fmt::Debug for PoolWithFunc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolWithFunc")
            .field("cap", &self.cap())
            .field("running", &self.running())
            .field("waiting", &self.waiting())
            .field("closed", &self.is_closed())
            .finish()
    }
}
