//! `Cancelled`: the `join` error of a goroutine that did not run to its end, and why (its
//! runtime was dropped, its handle cancelled it, or no stack could be mapped for its first
//! run).

use std::sync::Arc;

/// The payload of a `JoinHandle::join` error when the goroutine did not run to its end:
/// its runtime was dropped before it finished (its stack was unwound), its handle
/// cancelled it ([`is_aborted`](Cancelled::is_aborted); see
/// [`JoinHandle::abort`](crate::JoinHandle::abort)), or no stack could be mapped for its
/// first run ([`is_no_stack`](Cancelled::is_no_stack); see [`crate::go`]). Its `Display`
/// says which, with the OS error for the last.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let h = gpm::go(|| gpm::sleep(std::time::Duration::from_secs(3600)));
///     gpm::yield_now(); // let it park in its sleep
///     h.abort();
///     let err = h.join().unwrap_err();
///     let why = err.downcast_ref::<gpm::Cancelled>().unwrap();
///     assert!(why.is_aborted());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// Why no stack could be mapped (the OS error), or `None`.
    no_stack: Option<Arc<str>>,
    /// Cancelled through its handle (`JoinHandle::abort`), not by a runtime drop.
    aborted: bool,
}

impl Cancelled {
    /// The runtime was dropped first.
    pub(crate) const DROPPED: Cancelled = Cancelled { no_stack: None, aborted: false };

    /// `JoinHandle::abort` (`abort.rs`).
    pub(crate) const ABORTED: Cancelled = Cancelled { no_stack: None, aborted: true };

    /// No stack could be mapped for the goroutine's first run, for `why`.
    pub(crate) fn no_stack(why: Arc<str>) -> Cancelled {
        Cancelled { no_stack: Some(why), aborted: false }
    }

    /// Whether the goroutine was cancelled through its handle
    /// ([`JoinHandle::abort`](crate::JoinHandle::abort)).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let h = rt.go(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    /// drop(rt); // a runtime drop, not an abort
    /// let err = h.join().unwrap_err();
    /// assert!(!err.downcast_ref::<gpm::Cancelled>().unwrap().is_aborted());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }

    /// Whether the goroutine never ran because no stack could be mapped for it (rather
    /// than because its runtime was dropped).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let h = rt.go(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    /// drop(rt);
    /// let err = h.join().unwrap_err();
    /// let why = err.downcast_ref::<gpm::Cancelled>().unwrap();
    /// assert!(!why.is_no_stack()); // it had a stack; its runtime was dropped
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_no_stack(&self) -> bool {
        self.no_stack.is_some()
    }
}

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.no_stack {
            None if self.aborted => f.write_str("goroutine cancelled through its JoinHandle"),
            None => f.write_str("goroutine cancelled: its runtime was dropped"),
            Some(why) => write!(
                f,
                "goroutine cancelled before it ran: no stack could be mapped for it ({why}); \
                 fewer goroutines alive at once, a smaller stack size or a higher \
                 address-space limit (`ulimit -v`) make room"
            ),
        }
    }
}
