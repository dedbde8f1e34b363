//! `gpm::scope`: goroutines that borrow from the caller's stack, as `std::thread::scope`.
//!
//! # Why it is sound
//! A scoped goroutine's closure may borrow anything that outlives the scope (`'env`). Its
//! lifetime is erased to hand it to [`go`](crate::go), so the scope must not return —
//! normally, by a panic, by a cancellation, or by a runtime drop unwinding it — while any
//! of its goroutines can still touch those borrows. So:
//! - Each goroutine is counted in a `WaitGroup` at spawn, and the count is given back by a
//!   guard *captured by the closure*: it drops when the closure has run, panicked, been
//!   unwound, or been dropped unrun (a runtime drop, a spawn that failed, a cancellation
//!   before the first run). After that nothing of the closure is left.
//! - The result slot is dropped by the goroutine before that guard (when the handle is
//!   gone) or by the handle, which cannot outlive `'scope`: a result that borrows is dropped
//!   before the scope returns.
//! - `scope` waits for the count to reach zero after its closure returns or unwinds
//!   (`catch_unwind`, then wait, then resume the unwind), under a `CancelShield`, so a
//!   cancellation of the caller is delivered only after the wait. If a runtime drop unwinds
//!   the caller out of that wait (it unwinds parked goroutines from outside), a guard waits
//!   again during the unwind, on the thread doing it, until the goroutines (unwound by that
//!   drop's other threads) are gone.
//! - A goroutine parked forever keeps the scope waiting forever, as a thread does in std.
//!
//! Panics: a goroutine's panic is its handle's `join` error; one that nobody joined makes
//! `scope` panic after the wait (`a scoped goroutine panicked`), as std does. A panic of
//! the scope's own closure is resumed after the wait. A goroutine that did not run to its
//! end for another reason (its runtime dropped, no stack for it) counts as one that
//! panicked: its `join` is an `Err` too.
//!
//! Rejected: joining each goroutine through its `JoinHandle` — a handle dropped early has
//! detached its goroutine, and a wait for handles cannot see goroutines spawned by other
//! scoped goroutines.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use crate::sync::WaitGroup;
use crate::{CancelShield, JoinHandle};

/// Runs `f` with a [`Scope`] in which goroutines may borrow non-`'static` data, and returns
/// once every goroutine spawned in it has finished (`std::thread::scope` for goroutines).
///
/// Works from a goroutine (it parks while waiting) and from a plain thread (it blocks;
/// the goroutines then run on the default runtime, as [`go`](crate::go) does there).
///
/// # Panics
/// With `f`'s panic if `f` panicked, else with `a scoped goroutine panicked` if a goroutine
/// panicked and its handle was not joined — in both cases only after every goroutine has
/// finished.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let counts = rt.block_on(|| {
///     let mut counts = [0u64; 4];
///     let words = vec!["a", "bb", "ccc", "dddd"];
///     gpm::scope(|s| {
///         for (c, w) in counts.iter_mut().zip(&words) {
///             s.go(move || *c = w.len() as u64); // borrows `counts` and `words`
///         }
///     });
///     counts
/// });
/// assert_eq!(counts, [1, 2, 3, 4]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        data: Arc::new(ScopeData { running: WaitGroup::new(), panics: AtomicUsize::new(0) }),
        scope: PhantomData,
        env: PhantomData,
    };
    let r = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    scope.data.wait_all();
    match r {
        Err(payload) => resume_unwind(payload),
        Ok(_) if scope.data.panics.load(Relaxed) > 0 => panic!("a scoped goroutine panicked"),
        Ok(v) => v,
    }
}

/// A scope to spawn goroutines in; see [`scope`].
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let total = rt.block_on(|| {
///     let v = vec![1, 2, 3];
///     gpm::scope(|s| {
///         let h = s.go(|| v.iter().sum::<i32>());
///         h.join().unwrap()
///     })
/// });
/// assert_eq!(total, 6);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    data: Arc<ScopeData>,
    /// Invariant in `'scope` and `'env`, as std's.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

struct ScopeData {
    /// One per goroutine not yet gone (module docs).
    running: WaitGroup,
    /// Goroutines that panicked, less those whose handle's `join` returned the panic.
    panics: AtomicUsize,
}

impl ScopeData {
    /// Waits for every goroutine (module docs: shielded, and again if unwound out).
    fn wait_all(&self) {
        wait_scoped(&self.running);
    }
}

/// Waits for `running` to reach zero before a scope may return: shielded from
/// cancellation, and again if a runtime drop unwinds the caller out of the wait (module
/// docs). Also `gpm::pool`'s `Pool::scope`.
pub(crate) fn wait_scoped(running: &WaitGroup) {
    let again = WaitAgain(running);
    let shield = CancelShield::new();
    running.wait();
    drop(shield);
    std::mem::forget(again);
}

/// Dropped only when a runtime drop unwinds the caller out of `wait_all`: waits again, on
/// the thread doing that unwind (where a wait blocks the thread and is not cut short).
struct WaitAgain<'a>(&'a WaitGroup);

impl Drop for WaitAgain<'_> {
    fn drop(&mut self) {
        self.0.wait();
    }
}

/// Captured by a scoped goroutine's closure: gives its count back when the closure is gone
/// (run, unwound or dropped unrun), counting it among the panics unless it returned
/// (`ok`): exactly the goroutines whose `join` is an `Err`.
struct Running {
    data: Arc<ScopeData>,
    ok: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.ok {
            self.data.panics.fetch_add(1, Relaxed);
        }
        self.data.running.done();
    }
}

/// A handle to join a goroutine of a [`Scope`]; dropping it detaches the goroutine (the
/// scope still waits for it).
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let name = String::from("gpm");
///     gpm::scope(|s| {
///         let h = s.go(|| name.len());
///         assert_eq!(h.join().unwrap(), 3);
///     });
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ScopedJoinHandle<'scope, T> {
    inner: JoinHandle<()>,
    result: Arc<Mutex<Option<T>>>,
    data: Arc<ScopeData>,
    scope: PhantomData<&'scope ()>,
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a goroutine that may borrow from outside the scope; `scope` waits for it.
    ///
    /// # Panics
    /// As [`go`](crate::go): outside any runtime with no default runtime started.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let greeting = String::from("hello");
    ///     let (tx, rx) = gpm::chan::bounded(0);
    ///     gpm::scope(|s| {
    ///         s.go(|| tx.send(greeting.as_str()).unwrap());
    ///         assert_eq!(rx.recv().unwrap(), "hello");
    ///     });
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn go<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.data.running.add(1);
        let running = Running { data: self.data.clone(), ok: false };
        let result = Arc::new(Mutex::new(None));
        let slot = result.clone();
        let job: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
            let mut running = running;
            let v = f();
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(v);
            // The slot (and a result nobody will take) goes before the count (module docs).
            drop(slot);
            running.ok = true;
            drop(running);
        });
        // SAFETY: the job borrows for `'scope` at most, and `scope` does not return before
        // the job is gone: its `Running` guard, dropped with it in every case (run,
        // unwound, dropped unrun), is what `scope` waits for (module docs).
        let job: Box<dyn FnOnce() + Send + 'static> = unsafe {
            std::mem::transmute::<Box<dyn FnOnce() + Send + 'scope>, Box<dyn FnOnce() + Send>>(job)
        };
        let inner = crate::go(job);
        ScopedJoinHandle { inner, result, data: self.data.clone(), scope: PhantomData }
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the goroutine: its value, or `Err` with its panic (or
    /// [`Cancelled`](crate::Cancelled) if its runtime was dropped first). A panic
    /// returned here no longer makes `scope` panic.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     gpm::scope(|s| {
    ///         let h = s.go(|| -> u8 { panic!("boom") });
    ///         assert!(h.join().is_err()); // handled: the scope does not panic
    ///     });
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn join(self) -> std::thread::Result<T> {
        match self.inner.join() {
            Ok(()) => {
                let v = self.result.lock().unwrap_or_else(PoisonError::into_inner).take();
                Ok(v.expect("ScopedJoinHandle::join: the goroutine left no result"))
            }
            Err(payload) => {
                self.data.panics.fetch_sub(1, Relaxed);
                Err(payload)
            }
        }
    }

    /// Whether the goroutine has finished.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     gpm::scope(|s| {
    ///         let h = s.go(|| 1);
    ///         while !h.is_finished() {
    ///             gpm::yield_now();
    ///         }
    ///     });
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The goroutine's id.
    ///
    /// ```
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     gpm::scope(|s| {
    ///         let h = s.go(|| gpm::current().id());
    ///         let id = h.id();
    ///         assert_eq!(h.join().unwrap(), id);
    ///     });
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.inner.id()
    }
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle").field("id", &self.id()).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").field("running", &self.data.running.count()).finish()
    }
}
