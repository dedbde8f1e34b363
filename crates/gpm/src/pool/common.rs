//! The methods every pool flavour has (ants' `Running`, `Free`, `Waiting`, `Cap`, `Tune`,
//! `IsClosed`, `Release`, `ReleaseTimeout`, `Reboot`, plus `wait`), written once: a macro
//! used inside `impl Pool` and `impl PoolWithFunc`, delegating to `Core`. `$new` is the
//! doc examples' first line, making a pool named `pool` with a capacity of 4.

macro_rules! pool_common_methods {
    ($new:literal) => {
        /// Live workers (idle or busy), as ants' `Running`: never above [`cap`](Self::cap)
        /// except for a moment after a `tune` down, until busy workers finish their task.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.wait();
        /// assert!(pool.running() <= 4);
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn running(&self) -> usize {
            self.core.running()
        }

        /// Workers that could still start: `cap - running`, or `None` for an unlimited pool.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// assert_eq!(pool.free(), Some(4 - pool.running()));
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn free(&self) -> Option<usize> {
            self.core.free()
        }

        /// Callers parked in a submit, waiting for a worker.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// assert_eq!(pool.waiting(), 0);
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn waiting(&self) -> usize {
            self.core.waiting()
        }

        /// The capacity, `None` for an unlimited pool.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// assert_eq!(pool.cap(), Some(4));
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn cap(&self) -> Option<usize> {
            self.core.cap()
        }

        /// Sets the capacity at run time (also of an unlimited or pre-allocated pool). Going
        /// up wakes blocked submitters; going down ends idle workers above it now and busy
        /// ones when their task returns (a task is never interrupted). `0` is
        /// [`PoolError::InvalidOption`](crate::pool::PoolError::InvalidOption).
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.tune(16)?;
        /// assert_eq!(pool.cap(), Some(16));
        /// assert!(pool.tune(0).is_err());
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn tune(&self, capacity: usize) -> Result<(), crate::pool::PoolError> {
            self.core.tune(capacity)
        }

        /// Whether the pool is released.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// assert!(!pool.is_closed());
        /// pool.release();
        /// assert!(pool.is_closed());
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn is_closed(&self) -> bool {
            self.core.is_closed()
        }

        /// Parks (or blocks the thread) until every task handed to a worker so far has
        /// finished — also those submitted meanwhile. Do not call it from a task of the same
        /// pool: it would wait for itself.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.wait(); // nothing submitted: returns at once
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn wait(&self) {
            self.core.wait()
        }

        /// Closes the pool (ants' `Release`): new submits fail with
        /// [`PoolError::Closed`](crate::pool::PoolError::Closed), callers blocked in a
        /// submit wake with it, idle workers exit now, busy ones after their task, the purge
        /// stops. Does not wait; dropping the pool does the same.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.release();
        /// pool.release(); // again: nothing happens
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn release(&self) {
            self.core.release()
        }

        /// [`release`](Self::release), then waits up to `timeout` for every goroutine of the
        /// pool (workers and purge) to return; [`PoolError::Timeout`](crate::pool::PoolError::Timeout)
        /// if tasks still run then (they go on; the pool stays closed).
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.release_timeout(std::time::Duration::from_secs(5))?;
        /// assert_eq!(pool.running(), 0);
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn release_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> Result<(), crate::pool::PoolError> {
            self.core.release_timeout(timeout)
        }

        /// Reopens a released pool (ants' `Reboot`), with a new purge goroutine on the
        /// caller's runtime; on an open pool, nothing.
        ///
        /// ```
        /// # gpm::init_single_thread();
        #[doc = $new]
        /// pool.release();
        /// pool.reboot();
        /// assert!(!pool.is_closed());
        /// # Ok::<(), gpm::pool::PoolError>(())
        /// ```
        pub fn reboot(&self) {
            self.core.reboot()
        }
    };
}
