//! The `sync` shim: std's atomics, `Arc`, `Mutex` and an `UnsafeCell` with loom's closure API,
//! or loom's own types when built with `--cfg gpm_loom` so the model checker sees every access.

#[cfg(gpm_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(gpm_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(gpm_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(gpm_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, AtomicUsize};
#[cfg(not(gpm_loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

pub(crate) use std::sync::atomic::Ordering;

/// `std::cell::UnsafeCell` behind loom's `with` / `with_mut` API, so the same code compiles
/// against both and loom can check every slot access for a data race.
#[cfg(not(gpm_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(gpm_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
