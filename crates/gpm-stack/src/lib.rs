//! Goroutine stacks: guarded `mmap` stacks, a pool that reuses them without syscalls, a
//! reusable coroutine on corosensei, and stack-overflow detection.
//!
//! Architecture Invariant: gpm-stack knows nothing of the scheduler; it is the only crate
//! that talks to the OS through `libc`.
//!
//! # The pieces (one file each)
//! * [`Stack`] (`stack.rs`): one `mmap` reservation (`MAP_NORESERVE`, `MADV_NOHUGEPAGE`),
//!   page-rounded, committed by the kernel page by page as the stack grows, with a guard page
//!   below. It implements corosensei's `unsafe trait Stack`. A size below [`MIN_STACK_SIZE`],
//!   one the OS cannot map, or a process out of mappings is an `io::Error`, never a crash.
//! * Guards (`guard.rs`): `madvise(MADV_GUARD_INSTALL)` on Linux ≥ 6.13 (probed once) puts the
//!   guard in the page tables without splitting the mapping, so neighbouring stacks merge into
//!   one VMA and a million guarded stacks fit under the default `vm.max_map_count`.
//!   Elsewhere `mprotect(PROT_NONE)` costs two mappings per stack; the crate counts those
//!   stacks and refuses a new one with an error naming the limit, the live count and the ways
//!   out *before* the process hits the ceiling (where even `thread::spawn` fails). Never a
//!   silent unguarded stack; the crate never changes a sysctl.
//!   [`GuardKind`] or `GPM_STACK_GUARD=mprotect|madvise` chooses explicitly.
//! * [`StackPool`] (`pool.rs`): a per-thread cache in front of a shared bounded queue; no
//!   syscall on the hot path; stacks that were used deep give their pages back on return, so
//!   RSS falls after a burst; [`StackPool::trim`] for idle time.
//! * Chunks (`chunk.rs`): a pool's misses carve stacks out of chunk mappings of many slots
//!   (one `mmap`, one `MADV_NOHUGEPAGE`, one batched `MADV_GUARD_INSTALL` for all of a
//!   chunk's guards); a chunk stays one VMA and is unmapped only with its last stack, at
//!   `trim` or when the pool goes; free stacks give their memory back with batched
//!   `MADV_DONTNEED`. The policy and its address-space trade-off are written there.
//! * [`Coroutine`] (`coroutine.rs`): one corosensei coroutine and stack that runs many
//!   [`Job`]s in turn; a job's panic comes back as [`Resumed::Finished`]`(Err(payload))` and
//!   the coroutine stays usable. It is `!Send`.
//! * Migration (`migrate.rs`): [`SendCoroutine`], made by the `unsafe`
//!   [`Coroutine::into_send`] whose `# Safety` is the migration contract below, is what a
//!   scheduler moves between threads; [`IdleCoroutine`] (no job on it) moves with no promise.
//! * Overflow (`overflow.rs`, `altstack.rs`, `current.rs`): [`install_overflow_handler`] sets a
//!   SIGSEGV/SIGBUS handler; [`init_thread`] gives a thread a guarded alternate signal stack.
//!   A fault in the guard page of the coroutine the thread is running prints
//!   `goroutine N has overflowed its stack (S KiB)` and aborts; other faults go to the handler
//!   installed before (Rust's, which reports thread-stack overflows itself).
//! * Fences (`fence.rs`): [`asymmetric_light`] / [`asymmetric_heavy`], a compiler barrier
//!   paired with `membarrier(2)`, for a store-load handshake whose one side runs all the time
//!   and whose other side runs rarely (a scheduler's P ownership against its monitor thread).
//! * SIGQUIT (`sigquit.rs`): [`watch_sigquit`] makes the signal count ([`sigquits`])
//!   instead of ending the process, for a scheduler that prints a dump when it changes.
//! * `tsan.rs`: under `--cfg gpm_tsan` (with `-Zsanitizer=thread`), each coroutine is a
//!   ThreadSanitizer fiber and every switch is announced to TSan; otherwise empty.
//! * `sys.rs`: the raw calls (`mmap`, `madvise` and its batched form `process_madvise`,
//!   `mprotect`, `/proc` readings).
//!
//! # The migration contract
//! A [`Coroutine`] is `!Send`. A suspended job's frames may hold thread-local references or
//! thread-bound values, and in optimised builds LLVM keeps a thread-local's address in a
//! register across calls, so a function that reads a thread-local, suspends, moves to another
//! thread and reads it again uses the *old* thread's slot. A scheduler that moves coroutines
//! between threads makes them [`SendCoroutine`]s with the `unsafe` [`Coroutine::into_send`],
//! whose `# Safety` is the contract its jobs keep. Its core rule: **no function that can
//! suspend reads a thread-local**; thread-locals are read only in `#[inline(never)]`
//! functions that never suspend. This crate keeps that rule in its own code: its
//! thread-locals are read in the functions in `current.rs` that `Coroutine::resume` calls on
//! the resumer's stack to publish the running coroutine for the overflow handler, [`running`],
//! [`thread_slot`], and the pool's cache accessor; `Suspender::suspend` and the coroutine body
//! read none.
//!
//! A scheduler loop publishes more cheaply: it takes its thread's [`ThreadSlot`] once, on
//! the thread's own stack, and calls [`Coroutine::resume_in`]`(&slot)`, which stores through
//! the slot's pointer with no thread-local access (`current.rs` says why that stays right
//! when coroutines migrate).
//!
//! ```
//! use gpm_stack::{Coroutine, Resumed, Stack};
//!
//! let mut co = Coroutine::new(Stack::new(64 * 1024)?);
//! co.start(Box::new(|s| {
//!     s.suspend();
//! }));
//! assert!(matches!(co.resume(), Resumed::Suspended));
//! assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
//! co.start(Box::new(|_| panic!("boom")));
//! assert!(matches!(co.resume(), Resumed::Finished(Err(_))));
//! assert!(co.is_idle());
//!
//! // A scheduler's loop: the thread's slot once, then a plain store per resume.
//! let slot = gpm_stack::thread_slot();
//! co.start(Box::new(|s| s.suspend()));
//! assert!(matches!(co.resume_in(&slot), Resumed::Suspended));
//! assert!(matches!(co.resume_in(&slot), Resumed::Finished(Ok(()))));
//! # Ok::<(), std::io::Error>(())
//! ```

mod altstack;
mod chunk;
mod coroutine;
mod current;
mod fence;
mod guard;
mod migrate;
mod overflow;
mod pool;
mod sigquit;
mod stack;
mod sys;
mod tsan;

pub use altstack::{ALTSTACK_SIZE, ThreadGuard, init_thread};
pub use coroutine::{Coroutine, Job, RawJob, Resumed, Suspender};
pub use current::{RunningCoroutine, ThreadSlot, running, thread_slot};
pub use fence::{asymmetric_heavy, asymmetric_light, asymmetric_supported};
pub use guard::{
    GUARD_ENV, GuardKind, live_mprotect_stacks, madvise_guard_supported, mprotect_stack_limit,
};
pub use migrate::{IdleCoroutine, SendCoroutine};
pub use overflow::install_overflow_handler;
pub use pool::{
    DEFAULT_KEEP_RESIDENT, DEFAULT_LOCAL_CAPACITY, DEFAULT_SHARED_CAPACITY, StackPool,
    StackPoolBuilder,
};
pub use sigquit::{sigquits, watch_sigquit};
pub use stack::{DEFAULT_STACK_SIZE, MIN_STACK_SIZE, Stack, StackBuilder};
pub use sys::{map_populated, monotonic_ns};
