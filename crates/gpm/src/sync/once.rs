//! `Once` and `OnceLock<T>`: one-time initialisation whose waiters park (goroutines) or
//! block (threads) while another initialises, in std's shape.
//!
//! One state word (`INCOMPLETE → RUNNING → COMPLETE`, or `POISONED` after a `Once`'s
//! initialiser panicked) and a list of waiting `Unparker`s under a std lock that is never
//! held across a park. The initialiser runs with no lock held; a guard sets the final state
//! and wakes every waiter, also when it unwinds (a panic, or a cancellation of the
//! initialising goroutine: `JoinHandle::abort`). A waiter re-reads the state after every
//! wake-up, so stale unparkers left by waiters that were themselves cancelled only cause
//! a spurious wake-up (a goroutine's is a no-op: its generation moved on).
//!
//! As std: a `Once` whose initialiser panicked is poisoned (`call_once` panics, naming it;
//! `call_once_force` runs again); a `OnceLock` whose initialiser panicked stays empty, and
//! the next caller initialises it. Both `new`s are `const`, for statics.

use std::cell::UnsafeCell;
use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering::*};
use std::sync::{Mutex, PoisonError};

use gpm_sched::park::{Unparker, WaitReason, park, unparker};

const INCOMPLETE: u8 = 0;
const RUNNING: u8 = 1;
const COMPLETE: u8 = 2;
const POISONED: u8 = 3;

/// The state machine both types share (module docs).
struct Core {
    /// Release on `COMPLETE` publishes the initialiser's writes; Acquire on every read.
    state: AtomicU8,
    waiters: Mutex<Vec<Unparker>>,
}

impl Core {
    const fn new() -> Core {
        Core { state: AtomicU8::new(INCOMPLETE), waiters: Mutex::new(Vec::new()) }
    }

    fn is_completed(&self) -> bool {
        self.state.load(Acquire) == COMPLETE
    }

    /// Runs `init` unless complete, waiting while another runs. `force`: run even if
    /// poisoned; `poison`: a panicking `init` poisons (else the state goes back to
    /// `INCOMPLETE`).
    #[cold]
    fn call(&self, force: bool, poison: bool, init: impl FnOnce(&OnceState)) {
        loop {
            let s = self.state.load(Acquire);
            match s {
                COMPLETE => return,
                POISONED if !force => panic!(
                    "Once instance has previously been poisoned (its initialiser panicked); \
                     call_once_force runs it again"
                ),
                RUNNING => self.wait(),
                _ => {
                    if self.state.compare_exchange(s, RUNNING, Acquire, Acquire).is_err() {
                        continue;
                    }
                    let mut running =
                        Running { core: self, end: if poison { POISONED } else { INCOMPLETE } };
                    init(&OnceState { poisoned: s == POISONED });
                    running.end = COMPLETE;
                    return; // `running`'s drop publishes COMPLETE and wakes the waiters
                }
            }
        }
    }

    /// Parks until the state is no longer `RUNNING` (or spuriously; the caller re-reads).
    fn wait(&self) {
        {
            let mut w = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
            // Under the lock the finisher takes before waking: it cannot be missed.
            if self.state.load(Acquire) != RUNNING {
                return;
            }
            w.push(unparker());
        }
        park(WaitReason::Park);
    }
}

/// The initialiser running: sets the end state and wakes the waiters, also when unwinding.
struct Running<'a> {
    core: &'a Core,
    end: u8,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut w = self.core.waiters.lock().unwrap_or_else(PoisonError::into_inner);
            // Release; pairs with the Acquire loads: the initialiser's writes are visible.
            self.core.state.store(self.end, Release);
            std::mem::take(&mut *w)
        };
        waiters.iter().for_each(Unparker::unpark);
    }
}

/// Whether a [`Once`]'s initialiser is running after an earlier one panicked (given to
/// [`Once::call_once_force`]'s closure).
///
/// ```
/// let once = gpm::sync::Once::new();
/// once.call_once_force(|state| assert!(!state.is_poisoned()));
/// ```
#[derive(Debug)]
pub struct OnceState {
    poisoned: bool,
}

impl OnceState {
    /// Whether an earlier initialiser panicked.
    ///
    /// ```
    /// use std::panic::{AssertUnwindSafe, catch_unwind};
    /// let once = gpm::sync::Once::new();
    /// let _ = catch_unwind(AssertUnwindSafe(|| once.call_once(|| panic!("first try"))));
    /// once.call_once_force(|state| assert!(state.is_poisoned()));
    /// assert!(once.is_completed());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }
}

/// Runs an initialiser exactly once (std's `Once`): concurrent callers park until it is
/// done. A panicking initialiser poisons it.
///
/// ```
/// use gpm::sync::Once;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// static INIT: Once = Once::new();
/// static RUNS: AtomicUsize = AtomicUsize::new(0);
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let hs: Vec<_> = (0..8)
///         .map(|_| gpm::go(|| INIT.call_once(|| { RUNS.fetch_add(1, SeqCst); gpm::yield_now(); })))
///         .collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
/// });
/// assert_eq!(RUNS.load(SeqCst), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Once {
    core: Core,
}

impl Once {
    /// A `Once` that has not run; `const`, for a `static`.
    ///
    /// ```
    /// static SETUP: gpm::sync::Once = gpm::sync::Once::new();
    /// assert!(!SETUP.is_completed());
    /// SETUP.call_once(|| {});
    /// assert!(SETUP.is_completed());
    /// ```
    pub const fn new() -> Once {
        Once { core: Core::new() }
    }

    /// Runs `f` if no initialiser has completed, else returns at once; while another
    /// caller's initialiser runs, waits for it.
    ///
    /// # Panics
    /// If an earlier initialiser panicked (the `Once` is poisoned); and with `f`'s panic,
    /// which poisons it.
    ///
    /// ```
    /// let once = gpm::sync::Once::new();
    /// let mut n = 0;
    /// once.call_once(|| n += 1);
    /// once.call_once(|| n += 1);
    /// assert_eq!(n, 1);
    /// ```
    pub fn call_once(&self, f: impl FnOnce()) {
        if !self.core.is_completed() {
            self.core.call(false, true, |_| f());
        }
    }

    /// As [`call_once`](Once::call_once), but runs `f` also when poisoned (telling it so);
    /// if `f` returns, the `Once` is complete.
    ///
    /// ```
    /// let once = gpm::sync::Once::new();
    /// let _ = std::panic::catch_unwind(|| once.call_once(|| panic!("first try fails")));
    /// assert!(once.is_poisoned());
    /// once.call_once_force(|state| assert!(state.is_poisoned()));
    /// assert!(once.is_completed());
    /// ```
    pub fn call_once_force(&self, f: impl FnOnce(&OnceState)) {
        if !self.core.is_completed() {
            self.core.call(true, true, f);
        }
    }

    /// Whether an initialiser has completed.
    ///
    /// ```
    /// let once = gpm::sync::Once::new();
    /// assert!(!once.is_completed());
    /// once.call_once(|| {});
    /// assert!(once.is_completed());
    /// ```
    pub fn is_completed(&self) -> bool {
        self.core.is_completed()
    }

    /// Whether an initialiser panicked and none has completed since.
    ///
    /// ```
    /// assert!(!gpm::sync::Once::new().is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.core.state.load(Acquire) == POISONED
    }
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").field("completed", &self.is_completed()).finish_non_exhaustive()
    }
}

/// A cell written once (std's `OnceLock`): concurrent `get_or_init` callers park while one
/// of them initialises; all then see the same value. A panicking initialiser leaves it
/// empty.
///
/// ```
/// use gpm::sync::OnceLock;
/// static CONFIG: OnceLock<String> = OnceLock::new();
/// let rt = gpm::Runtime::single_thread()?;
/// let lens = rt.block_on(|| {
///     let hs: Vec<_> = (0..4)
///         .map(|_| gpm::go(|| CONFIG.get_or_init(|| "port=80".to_string()).len()))
///         .collect();
///     hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
/// });
/// assert_eq!(lens, [7, 7, 7, 7]);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct OnceLock<T> {
    core: Core,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once, by the initialiser, before `COMPLETE` is published
// (Release) and read only after it is seen (Acquire): sharing the lock shares `&T` (`Sync`)
// and may move a `T` in from another thread (`Send`), as std's `OnceLock`.
unsafe impl<T: Sync + Send> Sync for OnceLock<T> {}
// SAFETY: the lock owns its `T`.
unsafe impl<T: Send> Send for OnceLock<T> {}

impl<T> OnceLock<T> {
    /// An empty cell.
    ///
    /// ```
    /// assert!(gpm::sync::OnceLock::<u8>::new().get().is_none());
    /// ```
    pub const fn new() -> OnceLock<T> {
        OnceLock { core: Core::new(), value: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// The value, if initialised. Never waits.
    ///
    /// ```
    /// let cell = gpm::sync::OnceLock::new();
    /// cell.set(3).unwrap();
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        // SAFETY: `COMPLETE` seen (Acquire): the value is written and never written again.
        self.core.is_completed().then(|| unsafe { (*self.value.get()).assume_init_ref() })
    }

    /// The value, mutably, if initialised.
    ///
    /// ```
    /// let mut cell = gpm::sync::OnceLock::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        // SAFETY: as in `get`; `&mut self` makes the access unique.
        self.core.is_completed().then(|| unsafe { (*self.value.get()).assume_init_mut() })
    }

    /// Stores `value` if the cell is empty (waiting while another initialises); gives it
    /// back as `Err` if the cell was initialised.
    ///
    /// ```
    /// let cell = gpm::sync::OnceLock::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(2));
    /// ```
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.get_or_init(|| value.take().expect("OnceLock::set: value taken twice"));
        value.map_or(Ok(()), Err)
    }

    /// The value, initialising it with `f` if the cell is empty. While another caller's
    /// `f` runs, waits (parks a goroutine, blocks a thread). If `f` panics the panic goes
    /// to the caller and the cell stays empty; a waiter then runs its own `f`.
    ///
    /// ```
    /// let cell = gpm::sync::OnceLock::new();
    /// assert_eq!(*cell.get_or_init(|| 42), 42);
    /// assert_eq!(*cell.get_or_init(|| 0), 42);
    /// ```
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        self.core.call(true, false, |_| {
            let v = f();
            // SAFETY: `RUNNING` is ours: nobody reads or writes the value until `COMPLETE`.
            unsafe { (*self.value.get()).write(v) };
        });
        self.get().expect("OnceLock::get_or_init: not initialised after its initialiser")
    }

    /// The value, if initialised, consuming the cell.
    ///
    /// ```
    /// assert_eq!(gpm::sync::OnceLock::from("v").into_inner(), Some("v"));
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.take()
    }

    /// Takes the value out, leaving the cell empty.
    ///
    /// ```
    /// let mut cell = gpm::sync::OnceLock::from(5);
    /// assert_eq!(cell.take(), Some(5));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        if !self.core.is_completed() {
            return None;
        }
        self.core.state.store(INCOMPLETE, Relaxed);
        // SAFETY: it was initialised, and the state now says it is not: read it out once.
        Some(unsafe { (*self.value.get()).assume_init_read() })
    }
}

impl<T> Drop for OnceLock<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl<T> Default for OnceLock<T> {
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    fn from(value: T) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(value);
        cell
    }
}

impl<T: Clone> Clone for OnceLock<T> {
    fn clone(&self) -> Self {
        self.get().cloned().map_or_else(OnceLock::new, OnceLock::from)
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_tuple("OnceLock");
        match self.get() {
            Some(v) => d.field(v),
            None => d.field(&format_args!("<uninit>")),
        };
        d.finish()
    }
}
