//! `Pool::scope`: pool tasks that borrow from the caller's stack, as [`gpm::scope`] does for
//! goroutines (and `std::thread::scope` for threads).
//!
//! Why it is sound: the argument of `gpm::scope` (`scope.rs`), with a pool's worker in
//! place of a goroutine. A task's closure may borrow for `'scope`; its lifetime is erased to
//! hand it to the pool, so `scope` must not return while any task submitted through it can
//! still touch those borrows:
//! - each task is counted in a `WaitGroup` when submitted, and wrapped with a guard that
//!   gives the count back when the task is gone — run, unwound, or dropped unrun (a refused
//!   submit returns the task, which is dropped; a worker cancelled by a runtime drop drops
//!   the task it was handed). The guard is a field declared after the task, so the task
//!   and everything it captured are dropped first;
//! - a spawned task's result goes to its handle's channel before the guard drops; a result
//!   nobody will take is dropped by the task (the send fails) before the guard;
//! - `scope` waits for the count after its closure returns or unwinds, shielded from
//!   cancellation, and again if a runtime drop unwinds it out of that wait
//!   (`scope::wait_scoped`).
//!
//! Panics follow the pool's rules, not `std::thread::scope`'s: a submitted task's panic
//! goes to the pool's panic handler, a spawned task's to its handle's `join`; `scope`
//! panics only with its own closure's panic (after the wait).
//!
//! [`gpm::scope`]: crate::scope

use super::error::PoolError;
use super::handle::{JoinHandle, with_handle};
use super::pool::{Pool, Task};
use crate::sync::WaitGroup;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

impl Pool {
    /// Runs `f` with a [`PoolScope`] through which tasks that borrow non-`'static` data can
    /// be submitted to this pool, and returns once every task submitted through it has
    /// finished (or was dropped unrun). Works from a goroutine (parks) and from a thread
    /// (blocks).
    ///
    /// # Panics
    /// With `f`'s panic, after the wait. A task's panic goes to the pool's panic handler
    /// ([`submit`](PoolScope::submit)) or to its handle ([`spawn`](PoolScope::spawn)).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(4)?;
    /// let words = vec!["a", "bb", "ccc"];
    /// let mut lens = vec![0; words.len()];
    /// pool.scope(|s| {
    ///     for (len, w) in lens.iter_mut().zip(&words) {
    ///         s.submit(move || *len = w.len()).unwrap(); // borrows `lens` and `words`
    ///     }
    /// });
    /// assert_eq!(lens, [1, 2, 3]);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn scope<'env, F, T>(&self, f: F) -> T
    where
        F: for<'scope> FnOnce(&'scope PoolScope<'scope, 'env>) -> T,
    {
        let scope = PoolScope {
            pool: self,
            running: WaitGroup::new(),
            scope: PhantomData,
            env: PhantomData,
        };
        let r = catch_unwind(AssertUnwindSafe(|| f(&scope)));
        crate::scope::wait_scoped(&scope.running);
        r.unwrap_or_else(|payload| resume_unwind(payload))
    }
}

/// Submits borrowing tasks to a pool; see [`Pool::scope`].
///
/// ```
/// # gpm::init_single_thread();
/// let pool = gpm::pool::Pool::new(2)?;
/// let data = [1, 2, 3, 4];
/// let sum = pool.scope(|s| {
///     let (a, b) = data.split_at(2);
///     let ha = s.spawn(|| a.iter().sum::<i32>()).unwrap();
///     let hb = s.spawn(|| b.iter().sum::<i32>()).unwrap();
///     ha.join().unwrap() + hb.join().unwrap()
/// });
/// assert_eq!(sum, 10);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub struct PoolScope<'scope, 'env: 'scope> {
    pool: &'scope Pool,
    /// One per task not yet gone (module docs).
    running: WaitGroup,
    /// Invariant in `'scope` and `'env`, as `std::thread::Scope`.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

impl<'scope> PoolScope<'scope, '_> {
    /// As [`Pool::submit`], for a task that may borrow from outside the scope.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(2)?;
    /// let hits = std::sync::atomic::AtomicUsize::new(0);
    /// pool.scope(|s| {
    ///     for _ in 0..10 {
    ///         s.submit(|| { hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed); })?;
    ///     }
    ///     Ok::<(), gpm::pool::PoolError>(())
    /// })?;
    /// assert_eq!(hits.into_inner(), 10);
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn submit<F>(&'scope self, f: F) -> Result<(), PoolError>
    where
        F: FnOnce() + Send + 'scope,
    {
        self.pool.submit(self.track(f))
    }

    /// As [`Pool::spawn`], for a task that may borrow from outside the scope and return a
    /// value that does.
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(2)?;
    /// let text = String::from("hello world");
    /// let first = pool.scope(|s| {
    ///     let h = s.spawn(|| text.split(' ').next().unwrap()).unwrap(); // returns a borrow
    ///     h.join().unwrap()
    /// });
    /// assert_eq!(first, "hello");
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn spawn<F, T>(&'scope self, f: F) -> Result<JoinHandle<T>, PoolError>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let (task, handle) = with_handle(f);
        self.submit(task)?;
        Ok(handle)
    }

    /// `f`, counted in `running` until it is gone, with its lifetime erased for the pool.
    fn track<F>(&'scope self, f: F) -> Task
    where
        F: FnOnce() + Send + 'scope,
    {
        self.running.add(1);
        let tracked = Tracked { f: Some(f), _done: Done(self.running.clone()) };
        let job: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || tracked.run());
        // SAFETY: the job borrows for `'scope` at most, and `Pool::scope` does not return
        // before the job is gone: its `Done` guard, dropped after the task in every case
        // (run, unwound, dropped unrun), is what `scope` waits for (module docs).
        unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + 'scope>, Task>(job) }
    }
}

/// A task and its count; fields drop in order, so the task (and what it captured) is gone
/// before the count is given back.
struct Tracked<F> {
    f: Option<F>,
    _done: Done,
}

impl<F: FnOnce()> Tracked<F> {
    fn run(mut self) {
        if let Some(f) = self.f.take() {
            f();
        }
    }
}

/// Gives one count back to the scope's wait group when dropped.
struct Done(WaitGroup);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl std::fmt::Debug for PoolScope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolScope").field("running", &self.running.count()).finish()
    }
}
