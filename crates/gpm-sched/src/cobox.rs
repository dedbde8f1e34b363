//! `CoBox`: a goroutine's coroutine in a task block (`taskmem.rs`) instead of a `Box`.
//!
//! A G and its coroutine each used to be one `malloc`. A burst of new goroutines (one
//! stack bound per goroutine alive at once) then grew an M's glibc arena by a page or two
//! at a time, and each growth is an `mprotect`. It takes the process's `mmap_lock` for
//! writing, so it waits for any `mmap`, `madvise` or populating fault in progress on other
//! threads, and they wait for it: the other M slept in the kernel while its core idled.
//! Task blocks come from 256 KiB chunks faulted in by one `mmap` call and are cached per P,
//! so a burst costs one system call per chunk and no lock of the allocator. The Gs
//! themselves are allocated the same way (`GRef::alloc`).

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use gpm_stack::{SendCoroutine, Stack};

use crate::taskmem::{self, Cache};

/// The task-block class of a coroutine (checked at compile time to fit one).
const CLASS: usize = taskmem::class_of_type::<SendCoroutine>();

/// An owned `SendCoroutine` in a task block; one word, like the `Box` it replaces.
pub(crate) struct CoBox(NonNull<SendCoroutine>);

// SAFETY: it owns a `SendCoroutine`, which is `Send`, and nothing else.
unsafe impl Send for CoBox {}

impl CoBox {
    /// Moves `co` into a block from `cache` (the caller's P's), else from the global lists.
    pub(crate) fn new(co: SendCoroutine, cache: Option<&mut Cache>) -> CoBox {
        let p = taskmem::alloc(cache, CLASS).cast::<SendCoroutine>();
        // SAFETY: a fresh block of `CLASS`, big and aligned enough for a `SendCoroutine`
        // (`class_of`), and ours alone.
        unsafe { p.as_ptr().write(co) };
        CoBox(p)
    }

    /// The coroutine's stack; the block goes back.
    pub(crate) fn into_stack(self) -> Stack {
        let p = self.0;
        std::mem::forget(self);
        // SAFETY: the box owned a live coroutine; after this read it owns nothing (it was
        // forgotten), so the coroutine is moved out exactly once.
        let co = unsafe { p.as_ptr().read() };
        // SAFETY: the block is empty now and nothing refers to it.
        unsafe { free(p) };
        co.into_stack()
    }
}

/// Gives `p`'s block back, to the global lists: a coroutine is dropped rarely (a runtime's
/// drop, a trim), maybe while its runtime is being freed, or with a custom-size stack whose
/// own `mmap` and `munmap` cost far more than this lock; so this never looks for the
/// caller's P.
///
/// # Safety
/// `p` is a block of `CLASS` that holds no live value and that nothing refers to.
unsafe fn free(p: NonNull<SendCoroutine>) {
    // SAFETY: the caller's contract.
    unsafe { taskmem::free_global(CLASS, p.cast()) };
}

impl Deref for CoBox {
    type Target = SendCoroutine;
    fn deref(&self) -> &SendCoroutine {
        // SAFETY: the box owns a live coroutine.
        unsafe { self.0.as_ref() }
    }
}

impl DerefMut for CoBox {
    fn deref_mut(&mut self) -> &mut SendCoroutine {
        // SAFETY: the box owns a live coroutine, and `&mut self` makes this the only access.
        unsafe { self.0.as_mut() }
    }
}

impl Drop for CoBox {
    fn drop(&mut self) {
        /// Frees the block even if the coroutine's drop (which unwinds a suspended
        /// coroutine's stack) panics.
        struct Block(NonNull<SendCoroutine>);
        impl Drop for Block {
            fn drop(&mut self) {
                // SAFETY: runs after the coroutine was dropped in place; nothing refers to it.
                unsafe { free(self.0) };
            }
        }
        let block = Block(self.0);
        // SAFETY: the box owns a live coroutine, dropped once, here.
        unsafe { std::ptr::drop_in_place(block.0.as_ptr()) };
    }
}
