//! Goroutine-local storage (GLS, as TLS is thread-local storage): `gpm::local!`, the
//! migration-safe stand-in for `thread_local!`.
//!
//! `LocalKey` and `local!` are re-exported by the façade, where their docs (and examples)
//! are read; below, the per-goroutine map and its drop.

use std::any::Any;
use std::cell::RefCell;

use crate::context::current_g;

/// The per-goroutine map: (key address, value). Few keys per goroutine: a vector is
/// faster than a hash map.
pub(crate) type Locals = Vec<(usize, Box<dyn Any + Send>)>;

/// A key for goroutine-local values; declare one with [`local!`](crate::local).
///
/// A `thread_local!` read in a goroutine names the slot of whichever thread the goroutine
/// runs on *now*, and after a blocking call that may be another thread (and in optimised
/// builds the compiler may even keep the old thread's address). A `LocalKey` lives in the
/// goroutine itself: each goroutine gets its own value, created on first use, kept across
/// every park and move to another thread, and dropped on the goroutine's own stack when it
/// returns. On a plain thread it behaves as `thread_local!`.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::cell::Cell;
/// gpm::local! { static HITS: Cell<u32> = Cell::new(0); }
///
/// // SAFETY: the goroutine keeps its state in `HITS`, not in a thread-local.
/// let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
/// let n = rt.block_on(|| {
///     for _ in 0..3 {
///         HITS.with(|h| h.set(h.get() + 1));
///         gpm::yield_now(); // may resume on another thread: HITS follows
///     }
///     HITS.with(Cell::get)
/// });
/// assert_eq!(n, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LocalKey<T: Send + 'static> {
    init: fn() -> T,
}

impl<T: Send + 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn new(init: fn() -> T) -> LocalKey<T> {
        LocalKey { init }
    }

    /// Runs `f` with this goroutine's value (created by the initialiser on first use). On a
    /// plain thread, the thread's value. `f` may block and the goroutine may move threads
    /// meanwhile: the reference stays valid. The initialiser and `f` may use other keys
    /// (and `f` this one again).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::cell::RefCell;
    /// gpm::local! { static LOG: RefCell<Vec<&'static str>> = RefCell::new(Vec::new()); }
    ///
    /// let rt = gpm::Runtime::single_thread()?;
    /// let mine = rt.block_on(|| {
    ///     LOG.with(|l| l.borrow_mut().push("parent"));
    ///     // A new goroutine starts with a fresh value.
    ///     let child = gpm::go(|| LOG.with(|l| l.borrow().len())).join().unwrap();
    ///     assert_eq!(child, 0);
    ///     LOG.with(|l| l.borrow().clone())
    /// });
    /// assert_eq!(mine, ["parent"]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let key = self as *const Self as usize;
        let value = match current_g() {
            // SAFETY: the running goroutine owns its G's owner fields, so `g.locals` is
            // ours to use for as long as this goroutine runs.
            Some(g) => unsafe { get_or_init(g.locals.get(), key, self.init) },
            None => thread_get_or_init(key, self.init),
        };
        // The value is boxed and stays in its map (or in the map being dropped after the
        // goroutine returned) until every `with` of the goroutine or thread has returned.
        // SAFETY: so `value` is valid for `f`; no borrow of the map is held, so `f` may
        // use any key.
        f(unsafe { &*value })
    }
}

/// The value of `key` in `*locals`, created with `init` if absent.
///
/// Only short-lived borrows of the map are taken: `init` runs with none held (it may use
/// other keys, which pushes to the map and may move its buffer), and the result is a
/// pointer to the boxed value, which no later insertion moves.
///
/// # Safety
/// `locals` is the caller's own map (the running goroutine's, or this thread's), valid
/// for the call and not borrowed elsewhere across it.
unsafe fn get_or_init<T: Send + 'static>(
    locals: *mut Locals,
    key: usize,
    init: fn() -> T,
) -> *const T {
    // SAFETY: the caller's contract; the borrow ends with the statement.
    if let Some(v) = find::<T>(unsafe { &*locals }, key) {
        return v;
    }
    let fresh: Box<dyn Any + Send> = Box::new(init());
    // SAFETY: as above; `init` has returned, so no other borrow of the map is live.
    let map = unsafe { &mut *locals };
    if let Some(v) = find::<T>(map, key) {
        // `init` used this very key (recursively) and created it: keep that value, drop
        // ours with no borrow held (its destructor may use keys too).
        drop(fresh);
        return v;
    }
    let v = fresh.downcast_ref::<T>().expect("LocalKey: value of another type") as *const T;
    map.push((key, fresh));
    v
}

/// The plain-thread half: the same lookup on this thread's map, with no `RefCell` borrow
/// held across `init`. Never inlined: the thread-local is read only here.
#[inline(never)]
fn thread_get_or_init<T: Send + 'static>(key: usize, init: fn() -> T) -> *const T {
    THREAD_LOCALS.with(|l| {
        if let Some(v) = find::<T>(&l.borrow(), key) {
            return v;
        }
        let fresh: Box<dyn Any + Send> = Box::new(init());
        let mut map = l.borrow_mut();
        if let Some(v) = find::<T>(&map, key) {
            drop(map);
            drop(fresh);
            return v;
        }
        let v = fresh.downcast_ref::<T>().expect("LocalKey: value of another type") as *const T;
        map.push((key, fresh));
        v
    })
}

fn find<T: Send + 'static>(locals: &Locals, key: usize) -> Option<*const T> {
    let (_, v) = locals.iter().find(|(k, _)| *k == key)?;
    Some(v.downcast_ref::<T>().expect("LocalKey: value of another type") as *const T)
}

/// Drops a finished goroutine's locals, on its own stack: a destructor may create other
/// locals (using a key for the first time, or again), so this repeats until the map stays
/// empty — otherwise those values would leak into the next goroutine reusing the G.
/// After `MAX_ROUNDS` rounds of destructors that keep re-creating values, the rest is
/// leaked with a warning (as std gives up on thread-local destructors that loop).
///
/// # Safety
/// `locals` is the map of the running goroutine, whose job has returned.
/// A panic in a destructor is reported by the hook and otherwise ignored (the round's other
/// values are still dropped, and the next round runs).
#[inline]
pub(crate) unsafe fn drop_all(locals: *mut Locals) {
    // SAFETY: the caller's contract; a read of the length only.
    if unsafe { (*locals).is_empty() } {
        return;
    }
    // SAFETY: as above.
    unsafe { drop_rounds(locals) }
}

/// `drop_all` with values to drop.
///
/// # Safety
/// As `drop_all`.
#[cold]
unsafe fn drop_rounds(locals: *mut Locals) {
    const MAX_ROUNDS: u32 = 64;
    for _ in 0..MAX_ROUNDS {
        // SAFETY: the caller's contract; the borrow ends before the values drop.
        let round = std::mem::take(unsafe { &mut *locals });
        if round.is_empty() {
            return;
        }
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(round)));
    }
    // SAFETY: as above.
    let rest = std::mem::take(unsafe { &mut *locals });
    eprintln!(
        "gpm: goroutine-local destructors kept creating values for {MAX_ROUNDS} rounds; \
         leaking {} value(s)",
        rest.len()
    );
    std::mem::forget(rest);
}

thread_local! {
    static THREAD_LOCALS: RefCell<Locals> = const { RefCell::new(Vec::new()) };
}

/// Declares goroutine-local statics, as `thread_local!` declares thread-locals:
/// `gpm::local! { static NAME: Type = init; }`. Access with `NAME.with(|v| ...)` (see
/// [`LocalKey`]). Attributes and a visibility may precede each `static`.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::cell::Cell;
/// gpm::local! {
///     /// Requests served by this goroutine.
///     pub static SERVED: Cell<u64> = Cell::new(0);
///     static NAME: String = String::from("anonymous");
/// }
///
/// let rt = gpm::Runtime::single_thread()?;
/// let counts = rt.block_on(|| {
///     let hs: Vec<_> = (1..=3u64)
///         .map(|n| gpm::go(move || {
///             for _ in 0..n {
///                 SERVED.with(|s| s.set(s.get() + 1));
///                 gpm::yield_now(); // the others run here, each with its own count
///             }
///             SERVED.with(Cell::get)
///         }))
///         .collect();
///     hs.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
/// });
/// assert_eq!(counts, [1, 2, 3]);
/// assert_eq!(NAME.with(String::clone), "anonymous"); // a plain thread has its own too
/// # Ok::<(), std::io::Error>(())
/// ```
#[macro_export]
macro_rules! local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $(#[$attr])* $vis static $name: $crate::LocalKey<$t> = $crate::LocalKey::new(|| $init);
        $crate::local!($($rest)*);
    };
    () => {};
}
