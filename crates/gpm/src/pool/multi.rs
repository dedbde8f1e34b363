//! `MultiPool`: N pools behind one submit, to spread the lock of one pool over several
//! (ants' `MultiPool`), picked round-robin or by the fewest tasks in flight.

use super::core::Wait;
use super::error::PoolError;
use super::handle::{JoinHandle, with_handle};
use super::options::Options;
use super::pool::{Pool, Task, until};
use crate::CancellationToken;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How a [`MultiPool`] picks the pool for a task.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{LoadBalancing, MultiPool};
/// let multi = MultiPool::new(2, 1, LoadBalancing::RoundRobin)?;
/// let (tx, rx) = gpm::chan::bounded::<()>(0);
/// multi.submit(move || drop(rx.recv()))?; // holds the first pool's only worker
/// multi.submit(|| ())?; // round robin: the second pool
/// drop(tx);
/// multi.wait();
/// assert_eq!(multi.pools().iter().filter(|p| p.running() == 1).count(), 2);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancing {
    /// Each pool in turn. A pool that is full on a non-waiting submit hands over to
    /// [`LeastTasks`](LoadBalancing::LeastTasks), as ants does.
    RoundRobin,
    /// The pool with the fewest tasks in flight.
    LeastTasks,
}

/// Several [`Pool`]s with one submit.
///
/// ```
/// # gpm::init_single_thread();
/// use gpm::pool::{LoadBalancing, MultiPool};
/// let multi = MultiPool::new(4, 10, LoadBalancing::RoundRobin)?;
/// let h = multi.spawn(|| "hi")?;
/// assert_eq!(h.join().unwrap(), "hi");
/// assert_eq!(multi.cap(), Some(40));
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
#[derive(Debug)]
pub struct MultiPool {
    pools: Vec<Pool>,
    next: AtomicUsize,
    lb: LoadBalancing,
}

impl MultiPool {
    /// `pools` pools of `capacity` workers each, other options at their defaults.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, MultiPool};
    /// let multi = MultiPool::new(2, 5, LoadBalancing::LeastTasks)?;
    /// assert_eq!(multi.len(), 2);
    /// assert!(MultiPool::new(0, 5, LoadBalancing::LeastTasks).is_err());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn new(pools: usize, capacity: usize, lb: LoadBalancing) -> Result<MultiPool, PoolError> {
        Options::new().capacity(capacity).build_multi(pools, lb)
    }

    pub(crate) fn from_options(
        opts: Options,
        pools: usize,
        lb: LoadBalancing,
    ) -> Result<MultiPool, PoolError> {
        if pools == 0 {
            return Err(PoolError::InvalidOption(
                "a MultiPool of 0 pools: it needs at least one".into(),
            ));
        }
        let pools = (0..pools).map(|_| opts.clone().build()).collect::<Result<_, _>>()?;
        Ok(MultiPool { pools, next: AtomicUsize::new(0), lb })
    }

    fn pick(&self, lb: LoadBalancing) -> &Pool {
        let i = match lb {
            LoadBalancing::RoundRobin => self.next.fetch_add(1, Relaxed) % self.pools.len(),
            LoadBalancing::LeastTasks => {
                (0..self.pools.len()).min_by_key(|&i| self.pools[i].in_flight()).unwrap_or(0)
            }
        };
        &self.pools[i]
    }

    /// Submits `f` to the pool the balancing picks; an overloaded round-robin pick retries
    /// on the least busy pool.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, MultiPool};
    /// let multi = MultiPool::new(2, 2, LoadBalancing::RoundRobin)?;
    /// multi.submit(|| ())?;
    /// multi.wait();
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit<F>(&self, f: F) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.submit_with(Box::new(f), Wait::Block)
    }

    /// As [`submit`](Self::submit), waiting at most `timeout` for a worker of the picked
    /// pool.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, MultiPool};
    /// let multi = MultiPool::new(2, 2, LoadBalancing::LeastTasks)?;
    /// multi.submit_timeout(|| (), std::time::Duration::from_millis(50))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit_timeout<F>(&self, f: F, timeout: Duration) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.submit_with(Box::new(f), until(timeout))
    }

    /// As [`submit`](Self::submit), waiting for a worker of the picked pool until `token`
    /// is cancelled (see [`Pool::submit_with_token`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, MultiPool};
    /// let multi = MultiPool::new(2, 2, LoadBalancing::RoundRobin)?;
    /// multi.submit_with_token(|| (), &gpm::CancellationToken::new())?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit_with_token<F>(&self, f: F, token: &CancellationToken) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.submit_with(Box::new(f), Wait::Cancel(token))
    }

    /// As [`Pool::spawn`] on the pool the balancing picks.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// use gpm::pool::{LoadBalancing, MultiPool};
    /// let multi = MultiPool::new(3, 1, LoadBalancing::LeastTasks)?;
    /// assert_eq!(multi.spawn(|| 2 + 2)?.join().unwrap(), 4);
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

    /// Submits on the picked pool; an overloaded round-robin pick hands the same task to
    /// the least busy pool instead (ants' `MultiPool.Submit`).
    fn submit_with(&self, task: Task, wait: Wait<'_>) -> Result<(), PoolError> {
        match self.pick(self.lb).core.submit(task, wait) {
            Err((PoolError::Overload, task)) if self.lb == LoadBalancing::RoundRobin => {
                let least = self.pick(LoadBalancing::LeastTasks);
                least.core.submit(task, wait).map_err(|(e, _)| e)
            }
            other => other.map_err(|(e, _)| e),
        }
    }

    /// Live workers of all pools.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert!(multi.running() <= 4);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn running(&self) -> usize {
        self.pools.iter().map(Pool::running).sum()
    }

    /// Workers that could still start, in all pools (`None` if they are unlimited).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.free(), Some(4 - multi.running()));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn free(&self) -> Option<usize> {
        self.pools.iter().map(Pool::free).sum()
    }

    /// Callers waiting in a submit, in all pools.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.waiting(), 0);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.pools.iter().map(Pool::waiting).sum()
    }

    /// The total capacity (`None` if the pools are unlimited).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(3, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.cap(), Some(6));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn cap(&self) -> Option<usize> {
        self.pools.iter().map(Pool::cap).sum()
    }

    /// The pools, in order (for the per-pool figures: ants' `RunningByIndex` and kin).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(3, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.pools()[1].cap(), Some(2));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// Number of pools.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(3, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// assert_eq!(multi.len(), 3);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Sets every pool's capacity to `capacity` (see [`Pool::tune`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.tune(5)?;
    /// assert_eq!(multi.cap(), Some(10));
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn tune(&self, capacity: usize) -> Result<(), PoolError> {
        self.pools.iter().try_for_each(|p| p.tune(capacity))
    }

    /// Whether the pools are released.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.release();
    /// assert!(multi.is_closed());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.pools.iter().all(Pool::is_closed)
    }

    /// Waits until no task of any pool is in flight (see [`Pool::wait`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.wait();
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn wait(&self) {
        self.pools.iter().for_each(Pool::wait)
    }

    /// Releases every pool (see [`Pool::release`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.release();
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn release(&self) {
        self.pools.iter().for_each(Pool::release)
    }

    /// Releases every pool and waits up to `timeout` in all for their goroutines to
    /// return (see [`Pool::release_timeout`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.release_timeout(std::time::Duration::from_secs(5))?;
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn release_timeout(&self, timeout: Duration) -> Result<(), PoolError> {
        self.release();
        let deadline = Instant::now().checked_add(timeout);
        self.pools.iter().try_for_each(|p| {
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            p.release_timeout(left)
        })
    }

    /// Reboots every pool (see [`Pool::reboot`]).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let multi = gpm::pool::MultiPool::new(2, 2, gpm::pool::LoadBalancing::RoundRobin)?;
    /// multi.release();
    /// multi.reboot();
    /// assert!(!multi.is_closed());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn reboot(&self) {
        self.pools.iter().for_each(Pool::reboot)
    }
}
