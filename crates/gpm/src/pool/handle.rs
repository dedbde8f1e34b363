//! `JoinHandle<T>`: the result of a task started with [`Pool::spawn`](super::Pool::spawn)
//! (what ants' users ask for in ants#256, #280, #69, #230). A one-slot channel from the
//! task to the handle: the task sends its value or its panic; a task dropped unrun (its
//! worker's runtime was dropped) closes the channel instead.

use super::core::is_panic_message;
use crate::chan::Receiver;
use std::fmt;

/// The payload [`JoinHandle::join`] returns for a task dropped before it finished: its
/// worker's runtime was dropped (which cancels the worker), or the task unwound with a
/// payload that is not a panic message.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let handle = rt.block_on(|| {
///     let pool = gpm::pool::Pool::new(1).unwrap();
///     pool.spawn(|| loop {
///         gpm::sleep(std::time::Duration::from_millis(1)); // never finishes
///     })
///     .unwrap()
/// });
/// drop(rt); // cancels the worker, and the task with it
/// let payload = handle.join().unwrap_err();
/// assert_eq!(payload.downcast_ref::<&str>(), Some(&gpm::pool::TASK_DROPPED));
/// # Ok::<(), std::io::Error>(())
/// ```
pub const TASK_DROPPED: &str =
    "gpm::pool: the task was dropped before it finished (the runtime of its worker was dropped)";

/// An owned permission to wait for a pool task and take its result; dropping it detaches
/// the task (it still runs). Same shape as [`gpm::JoinHandle`](crate::JoinHandle).
///
/// ```
/// # gpm::init_single_thread();
/// let pool = gpm::pool::Pool::new(2)?;
/// let h = pool.spawn(|| 6 * 7)?;
/// assert_eq!(h.join().unwrap(), 42);
/// # Ok::<(), gpm::pool::PoolError>(())
/// ```
pub struct JoinHandle<T> {
    pub(crate) rx: Receiver<std::thread::Result<T>>,
}

impl<T> JoinHandle<T> {
    /// Waits for the task (parks a goroutine, blocks a thread): `Ok(value)`, `Err(payload)`
    /// if it panicked, or `Err` holding [`TASK_DROPPED`] if it was dropped before it
    /// finished (its worker's runtime was dropped; also for a task that unwound with a
    /// payload other than a panic message, such as `panic_any`'s, which goes to the pool's
    /// panic handler instead).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(2)?;
    /// let h = pool.spawn(|| -> u32 { panic!("no") })?;
    /// assert!(h.join().is_err());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn join(self) -> std::thread::Result<T> {
        match self.rx.recv() {
            Ok(result) => result,
            Err(_) => Err(Box::new(TASK_DROPPED)),
        }
    }

    /// Whether the task has finished (its result is ready).
    ///
    /// ```
    /// # gpm::init_single_thread();
    /// let pool = gpm::pool::Pool::new(2)?;
    /// let h = pool.spawn(|| 1)?;
    /// pool.wait();
    /// assert!(h.is_finished());
    /// # Ok::<(), gpm::pool::PoolError>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        !self.rx.is_empty() || self.rx.is_disconnected()
    }
}

/// `f` wrapped to send its value (or panic) to the returned handle.
pub(crate) fn with_handle<'a, F, T>(f: F) -> (impl FnOnce() + Send + 'a, JoinHandle<T>)
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    let (tx, rx) = crate::chan::bounded(1);
    let task = move || match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(value) => drop(tx.send(Ok(value))),
        Err(payload) if is_panic_message(&*payload) => drop(tx.send(Err(payload))),
        // Not a panic message: may be the runtime cancelling the worker, which must unwind
        // on (`core.rs`); `tx` is dropped on the way and `join` reports `TASK_DROPPED`.
        Err(payload) => std::panic::resume_unwind(payload),
    };
    (task, JoinHandle { rx })
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("finished", &self.is_finished()).finish()
    }
}
