//! `Cancelled`: the `join` error of a goroutine that did not run to its end, and why (its
//! runtime was dropped, or no stack could be mapped for its first run).

use std::sync::Arc;

/// The payload of a `JoinHandle::join` error when the goroutine did not run to its end:
/// its runtime was dropped before it finished (its stack was unwound), or no stack could be
/// mapped for its first run ([`is_no_stack`](Cancelled::is_no_stack); see [`crate::go`]).
/// Its `Display` says which, with the OS error for the latter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// Why no stack could be mapped (the OS error), or `None`: the runtime was dropped.
    no_stack: Option<Arc<str>>,
}

impl Cancelled {
    /// The runtime was dropped first.
    pub(crate) const DROPPED: Cancelled = Cancelled { no_stack: None };

    /// No stack could be mapped for the goroutine's first run, for `why`.
    pub(crate) fn no_stack(why: Arc<str>) -> Cancelled {
        Cancelled { no_stack: Some(why) }
    }

    /// Whether the goroutine never ran because no stack could be mapped for it (rather
    /// than because its runtime was dropped).
    pub fn is_no_stack(&self) -> bool {
        self.no_stack.is_some()
    }
}

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.no_stack {
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
