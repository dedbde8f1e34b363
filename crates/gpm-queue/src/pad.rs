//! `CachePadded`: keeps a hot atomic on cache lines of its own.
//!
//! Why 128 bytes and not 64: on x86-64 the L2 "spatial prefetcher" fetches cache lines in
//! 128-byte-aligned pairs, and Apple / recent ARM cores have 128-byte lines, so two atomics 64
//! bytes apart still ping-pong between cores. Where it helps in this crate: the ring's `head`
//! (CAS'd by every thief and by the owner's `pop`) and its `tail` (stored by the owner on every
//! `push`) live on different lines, so a thief's CAS on `head` does not take the line the owner
//! is about to store `tail` into, and the owner's stores to `tail` do not invalidate the line
//! thieves CAS on. (On the shared 2-core machine this was built on, the `steal` row's
//! run-to-run noise was larger than any difference with and without the padding; the layout
//! follows the reasoning above, as crossbeam-deque's and tokio's do.)

use core::ops::Deref;

/// `T` aligned (and so padded) to 128 bytes.
#[cfg_attr(
    any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "powerpc64"),
    repr(align(128))
)]
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "powerpc64")),
    repr(align(64))
)]
#[derive(Debug, Default)]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}
