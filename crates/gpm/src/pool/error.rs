//! `PoolError`: the one error type of `gpm::pool` (ants' `ErrPoolClosed`, `ErrPoolOverload`,
//! `ErrTimeout` and the invalid-option errors), each message naming the way out.

use std::fmt;

/// Why a pool refused a task, a setting or a release.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{Pool, PoolError};
/// let pool = Pool::new(1)?;
/// pool.release();
/// assert_eq!(pool.submit(|| ()), Err(PoolError::Closed));
/// assert!(PoolError::Closed.to_string().contains("reboot"));
/// # Ok::<(), PoolError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// The pool was released: it takes no task until [`reboot`](super::Pool::reboot).
    Closed,
    /// No worker was free and the pool would not wait: it is
    /// [`nonblocking`](super::Options::nonblocking), the call was a `try_*`, or
    /// [`max_blocking_tasks`](super::Options::max_blocking_tasks) callers already wait.
    Overload,
    /// The deadline passed first: no worker became free in time (`submit_timeout`,
    /// `submit_deadline`), or tasks were still running (`release_timeout`).
    Timeout,
    /// A setting out of range; the message names the value and what to use instead.
    InvalidOption(String),
    /// The cancellation token of a `*_with_token` call was cancelled before a worker was
    /// free; the task was not run.
    Cancelled,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Closed => f.write_str(
                "gpm::pool: the pool is closed (released); reboot() it or build a new one",
            ),
            PoolError::Overload => f.write_str(
                "gpm::pool: no free worker, and the pool may not wait (nonblocking, a try_ call, \
                 or max_blocking_tasks callers already waiting); retry later, raise the \
                 capacity with tune(), or submit with a deadline",
            ),
            PoolError::Timeout => f.write_str(
                "gpm::pool: the deadline passed before a worker was free (submit) or before \
                 every worker finished (release_timeout)",
            ),
            PoolError::InvalidOption(why) => write!(f, "gpm::pool: invalid option: {why}"),
            PoolError::Cancelled => f.write_str(
                "gpm::pool: the submit's cancellation token was cancelled before a worker was \
                 free; the task was dropped unrun",
            ),
        }
    }
}

impl std::error::Error for PoolError {}
