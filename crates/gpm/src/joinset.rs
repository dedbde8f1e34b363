//! `JoinSet`: a group of goroutines joined in the order they finish — tokio's `JoinSet` with
//! Go's `errgroup` (a limit on how many run at once, `wait` for the first error, the rest
//! cancelled).
//!
//! Each goroutine's closure captures a `Finished` guard, which on drop — the closure ran,
//! panicked, was cancelled, or was dropped unrun — puts the goroutine's key on the set's
//! done queue, takes it off the running count and notifies the set's condvar. `join_next`
//! waits for a key and then joins that goroutine's `JoinHandle` (which returns at once, or
//! after the few instructions between the guard and the goroutine's end), so results,
//! panics and `Cancelled` come through the handle exactly as from `join`. `spawn` waits on
//! the same condvar while the running count is at the limit.
//!
//! Only the set's owner waits (`&mut self`), so one condvar serves both waits.
//!
//! Rejected: a channel of results (a goroutine's value would travel without the handle's
//! panic and cancellation reporting, and a closure dropped unrun would send nothing).

use std::collections::{HashMap, VecDeque};
use std::panic::resume_unwind;
use std::sync::Arc;

use crate::sync::{Condvar, Mutex};
use crate::{CancellationToken, JoinHandle};

/// A set of goroutines returning `T`, joined in the order they finish: tokio's `JoinSet`
/// with Go's `errgroup` (a [limit](JoinSet::set_limit) on how many run at once,
/// [`wait`](JoinSet::wait) for the first error, the rest cancelled). A panic or a
/// cancellation of a goroutine comes back from the join as from [`JoinHandle::join`].
///
/// ```
/// use gpm::sync::oneshot;
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let mut set = gpm::JoinSet::new();
///     let mut go_ahead = Vec::new();
///     for i in 0..3 {
///         let (tx, rx) = oneshot::channel::<()>();
///         go_ahead.push(Some(tx));
///         set.spawn(move || {
///             rx.recv().unwrap(); // waits for its turn
///             i
///         });
///     }
///     let mut order = Vec::new();
///     for i in [2, 0, 1] {
///         go_ahead[i].take().unwrap().send(()).unwrap();
///         order.push(set.join_next().unwrap().unwrap());
///     }
///     assert_eq!(order, [2, 0, 1]); // as they finished, not as they were spawned
///     assert!(set.join_next().is_none());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinSet<T> {
    tasks: HashMap<u64, JoinHandle<T>>,
    shared: Arc<Shared>,
    limit: Option<usize>,
    next_key: u64,
    token: CancellationToken,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Keys of goroutines whose closure is gone, in that order.
    done: VecDeque<u64>,
    /// Goroutines whose closure is not gone yet.
    running: usize,
}

/// Captured by each goroutine's closure: reports its end (module docs).
struct Finished {
    key: u64,
    shared: Arc<Shared>,
}

impl Drop for Finished {
    fn drop(&mut self) {
        let mut st = self.shared.state.lock();
        st.done.push_back(self.key);
        st.running -= 1;
        drop(st);
        self.shared.changed.notify_all();
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// An empty set with no limit.
    ///
    /// ```
    /// let set = gpm::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: HashMap::new(),
            shared: Arc::new(Shared { state: Mutex::default(), changed: Condvar::new() }),
            limit: None,
            next_key: 0,
            token: CancellationToken::new(),
        }
    }

    /// Limits how many of the set's goroutines run at once (errgroup's `SetLimit`): from
    /// now on `spawn` waits while `n` are running. `None` removes the limit.
    ///
    /// # Panics
    /// With `Some(0)`: no goroutine could ever start, and the first `spawn` would wait
    /// forever; use `None` for no limit.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    ///     let mut set = gpm::JoinSet::new();
    ///     set.set_limit(Some(2));
    ///     for _ in 0..6 {
    ///         let (now, peak) = (now.clone(), peak.clone());
    ///         set.spawn(move || {
    ///             peak.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
    ///             gpm::sleep(std::time::Duration::from_millis(2));
    ///             now.fetch_sub(1, SeqCst);
    ///         });
    ///     }
    ///     set.join_all();
    ///     assert_eq!(peak.load(SeqCst), 2);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_limit(&mut self, n: Option<usize>) {
        assert!(
            n != Some(0),
            "JoinSet::set_limit: a limit of 0 would make every spawn wait forever; pass \
             None for no limit"
        );
        self.limit = n;
        self.shared.changed.notify_all();
    }

    /// Spawns `f` into the set and returns its goroutine id. With a limit set, waits first
    /// while that many of the set's goroutines are running (parks a goroutine, blocks a
    /// thread).
    ///
    /// # Panics
    /// As [`go`](crate::go): outside any runtime with no default runtime started.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     let id = set.spawn(|| 5);
    ///     assert_eq!(set.join_next_with_id().map(|(i, r)| (i, r.unwrap())), Some((id, 5)));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, f: F) -> u64
    where
        F: FnOnce() -> T + Send + 'static,
    {
        {
            let mut st = self.shared.state.lock();
            while self.limit.is_some_and(|n| st.running >= n) {
                st = self.shared.changed.wait(st);
            }
            st.running += 1;
        }
        let key = self.next_key;
        self.next_key += 1;
        let finished = Finished { key, shared: self.shared.clone() };
        let h = crate::go(move || {
            let _finished = finished;
            f()
        });
        let id = h.id();
        self.tasks.insert(key, h);
        id
    }

    /// Waits for the next goroutine to finish and returns what its `join` returns, or
    /// `None` if the set is empty. Which goroutine: whichever finished first.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     set.spawn(|| 1);
    ///     assert_eq!(set.join_next().unwrap().unwrap(), 1);
    ///     assert!(set.join_next().is_none());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join_next(&mut self) -> Option<std::thread::Result<T>> {
        self.join_next_with_id().map(|(_, r)| r)
    }

    /// As [`join_next`](JoinSet::join_next), with the goroutine's id.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     let id = set.spawn(|| "x");
    ///     let (got, r) = set.join_next_with_id().unwrap();
    ///     assert_eq!((got, r.unwrap()), (id, "x"));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join_next_with_id(&mut self) -> Option<(u64, std::thread::Result<T>)> {
        if self.tasks.is_empty() {
            return None;
        }
        let h = {
            let mut st = self.shared.state.lock();
            loop {
                // A key with no handle: its spawn failed (the closure was dropped unrun).
                if let Some(h) = st.done.pop_front().and_then(|k| self.tasks.remove(&k)) {
                    break h;
                }
                if st.done.is_empty() {
                    st = self.shared.changed.wait(st);
                }
            }
        };
        Some((h.id(), h.join()))
    }

    /// The next result if a goroutine has finished already; `None` otherwise (or if the set
    /// is empty). Never waits.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     set.spawn(|| 3);
    ///     assert!(set.try_join_next().is_none()); // not run yet
    ///     gpm::yield_now();
    ///     assert_eq!(set.try_join_next().unwrap().unwrap(), 3);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_join_next(&mut self) -> Option<std::thread::Result<T>> {
        let h = {
            let mut st = self.shared.state.lock();
            loop {
                if let Some(h) = self.tasks.remove(&st.done.pop_front()?) {
                    break h;
                }
            }
        };
        Some(h.join())
    }

    /// Waits for every goroutine and returns their values in the order they finished. If
    /// one panicked or was cancelled, cancels the rest, waits for them, and resumes that
    /// panic (tokio's `join_all`).
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     (0..4).for_each(|i| drop(set.spawn(move || i * 10)));
    ///     let mut v = set.join_all();
    ///     v.sort();
    ///     assert_eq!(v, [0, 10, 20, 30]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(r) = self.join_next() {
            match r {
                Ok(v) => out.push(v),
                Err(payload) => {
                    self.shutdown();
                    resume_unwind(payload);
                }
            }
        }
        out
    }

    /// Cancels every goroutine in the set ([`JoinHandle::abort`]) and the set's
    /// [`token`](JoinSet::token). They stay in the set: `join_next` returns their ends
    /// (`Err` holding [`Cancelled`](crate::Cancelled) for those cut short).
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::<()>::new();
    ///     set.spawn(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    ///     set.abort_all();
    ///     assert!(set.join_next().unwrap().unwrap_err().is::<gpm::Cancelled>());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort_all(&mut self) {
        self.token.cancel();
        self.tasks.values().for_each(JoinHandle::abort);
    }

    /// Cancels every goroutine and waits until all have ended, discarding their results.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::<()>::new();
    ///     set.spawn(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    ///     set.shutdown();
    ///     assert!(set.is_empty());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().is_some() {}
    }

    /// A token the set cancels when it cancels its goroutines (`abort_all`, `shutdown`,
    /// drop, the first error in [`wait`](JoinSet::wait)): errgroup's context. Goroutines
    /// can watch it (`recv(token.cancelled())` in a `select!`) to stop at a point of their
    /// choosing rather than be unwound at their next park.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::<()>::new();
    ///     let token = set.token();
    ///     set.abort_all();
    ///     assert!(token.is_cancelled());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Goroutines in the set (spawned, not yet joined).
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut set = gpm::JoinSet::new();
    ///     set.spawn(|| ());
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next();
    ///     assert_eq!(set.len(), 0);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no goroutine.
    ///
    /// ```
    /// assert!(gpm::JoinSet::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<U: Send + 'static, E: Send + 'static> JoinSet<Result<U, E>> {
    /// errgroup's `Wait`: waits for every goroutine; at the first one that returns `Err`,
    /// cancels the rest (and the set's [`token`](JoinSet::token)), waits for them, and
    /// returns that error. A panic is resumed the same way, after the rest are cancelled.
    /// The `Ok` values are dropped; [`try_join_all`](JoinSet::try_join_all) keeps them.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut g = gpm::JoinSet::new();
    ///     g.spawn(|| -> Result<(), String> {
    ///         gpm::sleep(std::time::Duration::from_secs(3600)); // cancelled
    ///         Ok(())
    ///     });
    ///     g.spawn(|| Err("disk full".to_string()));
    ///     assert_eq!(g.wait(), Err("disk full".to_string()));
    ///     assert!(g.is_empty());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&mut self) -> Result<(), E> {
        self.try_join_each(drop)
    }

    /// As [`wait`](JoinSet::wait), keeping the `Ok` values, in the order they finished.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let mut g = gpm::JoinSet::new();
    ///     (1..=3).for_each(|i| drop(g.spawn(move || Ok::<_, String>(i))));
    ///     let mut v = g.try_join_all().unwrap();
    ///     v.sort();
    ///     assert_eq!(v, [1, 2, 3]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_join_all(mut self) -> Result<Vec<U>, E> {
        let mut out = Vec::with_capacity(self.len());
        self.try_join_each(|v| out.push(v))?;
        Ok(out)
    }

    fn try_join_each(&mut self, mut each: impl FnMut(U)) -> Result<(), E> {
        while let Some(r) = self.join_next() {
            match r {
                Ok(Ok(v)) => each(v),
                Ok(Err(e)) => {
                    self.shutdown();
                    return Err(e);
                }
                Err(payload) => {
                    self.shutdown();
                    resume_unwind(payload);
                }
            }
        }
        Ok(())
    }
}

impl<T: Send + 'static> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

/// Cancels the goroutines still in the set (they unwind at their next scheduling point)
/// and its token, without waiting for them.
impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.token.cancel();
        self.tasks.values().for_each(JoinHandle::abort);
    }
}

impl<T> std::fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}
