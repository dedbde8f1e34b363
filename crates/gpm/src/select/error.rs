//! The dynamic `Select`'s error types, crossbeam-channel's: unit structs saying that no
//! operation was ready (now, or in time).

use std::fmt;

macro_rules! unit_error {
    ($(#[$m:meta])* $name:ident, $msg:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($msg)
            }
        }
        impl std::error::Error for $name {}
    };
}

unit_error!(
    /// [`Select::try_select`](super::Select::try_select) found no ready operation.
    ///
    /// ```
    /// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.try_select().unwrap_err(), gpm::chan::TrySelectError);
    /// ```
    TrySelectError,
    "all operations in select would block"
);
unit_error!(
    /// [`Select::select_timeout`](super::Select::select_timeout) (or `select_deadline`)
    /// found no ready operation in time.
    ///
    /// ```
    /// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// let err = sel.select_timeout(std::time::Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(err, gpm::chan::SelectTimeoutError);
    /// ```
    SelectTimeoutError,
    "timed out waiting on select"
);
unit_error!(
    /// [`Select::try_ready`](super::Select::try_ready) found no ready operation.
    ///
    /// ```
    /// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.try_ready(), Err(gpm::chan::TryReadyError));
    /// ```
    TryReadyError,
    "all operations in select would block"
);
unit_error!(
    /// [`Select::ready_timeout`](super::Select::ready_timeout) (or `ready_deadline`) found
    /// no ready operation in time.
    ///
    /// ```
    /// let (_tx, rx) = gpm::chan::bounded::<i32>(1);
    /// let mut sel = gpm::chan::Select::new();
    /// sel.recv(&rx);
    /// let late = sel.ready_timeout(std::time::Duration::from_millis(1));
    /// assert_eq!(late, Err(gpm::chan::ReadyTimeoutError));
    /// ```
    ReadyTimeoutError,
    "timed out waiting on ready"
);
