//! Goroutine-local storage: `gpm::local!`, the migration-safe stand-in for `thread_local!`.
//!
//! A `thread_local!` read in a goroutine names the slot of whichever thread the goroutine
//! runs on *now*, and after a blocking call that may be another thread (and in optimised
//! builds the compiler may even keep the old thread's address). A [`LocalKey`] declared with
//! [`local!`](crate::local) lives in the goroutine itself: each goroutine gets its own value,
//! created on first use, kept across every park and migration, and dropped on the
//! goroutine's own stack when it returns. On a plain thread it behaves as `thread_local!`.
//!
//! ```
//! use std::cell::Cell;
//! gpm_sched::local! { static HITS: Cell<u32> = Cell::new(0); }
//!
//! let rt = gpm_sched::Runtime::builder().procs(2).build()?;
//! let n = rt.block_on(|| {
//!     for _ in 0..3 {
//!         HITS.with(|h| h.set(h.get() + 1));
//!         gpm_sched::yield_now(); // may resume on another thread: HITS follows
//!     }
//!     HITS.with(Cell::get)
//! });
//! assert_eq!(n, 3);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::any::Any;
use std::cell::RefCell;

use crate::context::current_g;

/// The per-goroutine map: (key address, value). Few keys per goroutine: a vector is
/// faster than a hash map.
pub(crate) type Locals = Vec<(usize, Box<dyn Any + Send>)>;

/// A key for goroutine-local values; declare one with [`local!`](crate::local).
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
    /// meanwhile: the reference stays valid.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let key = self as *const Self as usize;
        match current_g() {
            Some(g) => {
                // SAFETY: the running goroutine owns its G's owner fields; the value is
                // boxed, so the reference survives later insertions into the vector, and
                // entries are removed only when the goroutine has returned.
                let locals = unsafe { &mut *g.locals.get() };
                let value = lookup(locals, key, self.init);
                f(value)
            }
            None => THREAD_LOCALS.with(|l| {
                let mut l = l.borrow_mut();
                let value: *const T = lookup(&mut l, key, self.init);
                drop(l);
                // SAFETY: boxed values are never removed from a thread's map before the
                // thread exits, so the pointer outlives `f`; the map's borrow is released
                // so `f` may use other keys.
                f(unsafe { &*value })
            }),
        }
    }
}

fn lookup<T: Send + 'static>(locals: &mut Locals, key: usize, init: fn() -> T) -> &T {
    let i = match locals.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            locals.push((key, Box::new(init())));
            locals.len() - 1
        }
    };
    locals[i].1.downcast_ref::<T>().expect("LocalKey: value of another type")
}

thread_local! {
    static THREAD_LOCALS: RefCell<Locals> = const { RefCell::new(Vec::new()) };
}

/// Declares goroutine-local statics, as `thread_local!` declares thread-locals:
/// `gpm::local! { static NAME: Type = init; }`. Access with `NAME.with(|v| ...)`.
#[macro_export]
macro_rules! local {
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $(#[$attr])* $vis static $name: $crate::LocalKey<$t> = $crate::LocalKey::new(|| $init);
        $crate::local!($($rest)*);
    };
    () => {};
}
