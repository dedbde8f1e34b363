//! gpm: Go's goroutines for Rust. Write blocking-style code in thousands to millions of
//! goroutines — stackful coroutines run by Go's G-P-M scheduler — and talk between them
//! over channels, as in Go. Safe Rust, except one promise Rust cannot check, made once
//! where a runtime whose goroutines move between threads is created (see "Soundness").
//!
//! # Quick start
//! ```
//! // SAFETY: these goroutines hold no thread-local and no thread-bound value across a park
//! // (see "Soundness" below).
//! let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
//! let total = rt.block_on(|| {
//!     let handles: Vec<_> = (0..1000u64).map(|i| gpm::go(move || i * i)).collect();
//!     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
//! });
//! assert_eq!(total, (0..1000u64).map(|i| i * i).sum());
//! # Ok::<(), std::io::Error>(())
//! ```
//! With no promise to make, a single-thread runtime runs the same code on one thread:
//! ```
//! let rt = gpm::Runtime::single_thread()?;
//! let total = rt.block_on(|| {
//!     let handles: Vec<_> = (0..1000u64).map(|i| gpm::go(move || i * i)).collect();
//!     handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
//! });
//! assert_eq!(total, (0..1000u64).map(|i| i * i).sum());
//! # Ok::<(), std::io::Error>(())
//! ```
//! `gpm::go` outside any runtime uses the process-wide default runtime, which the program
//! starts once, like Go's, sized by `GPM_MAXPROCS` or the number of CPUs:
//! ```
//! // SAFETY: as above, for every goroutine of the program.
//! unsafe { gpm::init() };
//! assert_eq!(gpm::go(|| 6 * 7).join().unwrap(), 42);
//! ```
//! (or `gpm::init_single_thread()`, safe). Without it, `gpm::go` on a plain thread panics
//! with a message that shows these lines.
//!
//! # Where things are
//!
//! | item | for |
//! | --- | --- |
//! | [`go`], [`Builder`], [`JoinHandle`] | spawn a goroutine (named, with a stack size), join it, cancel it |
//! | [`Runtime`], [`RuntimeBuilder`] | a scheduler of your own: `block_on`, `go`, `stats`, `dump`; or the default one ([`init`]) |
//! | [`chan`] | Go's channels: `bounded(0)` rendezvous, buffered, unbounded, MPMC; timer channels |
//! | [`select!`], [`select_biased!`] | wait on several channel operations at once, with a default or a timeout |
//! | [`sync`] | `Mutex`, `RwLock`, `Condvar`, `WaitGroup`, `Semaphore`, `Once`, `OnceLock`, `oneshot`: they park goroutines, not threads |
//! | [`time`] | `sleep`, `after`, `tick`, `Timer`, `Ticker`, `after_func`, `timeout` (Go's `time`) |
//! | [`net`] | TCP, UDP and Unix sockets in std's shape whose blocking calls park the goroutine |
//! | [`pool`] | goroutine pools (ants'): `Pool`, `PoolWithFunc`, `MultiPool` |
//! | [`scope`], [`JoinSet`], [`CancellationToken`] | structured concurrency: borrowing goroutines, task groups, cancellation |
//! | [`blocking`] | run a call that blocks its thread (file I/O, FFI) without stalling the others |
//! | [`local!`], [`lock_os_thread`] | goroutine-local storage, and pinning a goroutine to its thread |
//! | [`sleep`], [`yield_now`], [`num_goroutines`], [`current`] | Go's `time.Sleep`, `runtime.Gosched`, `runtime.NumGoroutine`, and the running goroutine |
//! | [`park`] | park / unpark, to build a blocking primitive of your own |
//!
//! Goroutines are stackful coroutines (each has its own guarded stack), run by M threads
//! that each hold one P with a local run queue; idle Ms steal, spin briefly, then park.
//! Blocking calls inside a goroutine — [`chan`], [`sync`], [`sleep`], [`JoinHandle::join`] —
//! park the goroutine, not the thread. A call that blocks the *thread* (file I/O, FFI,
//! `std::thread::sleep`, a std lock) belongs in [`blocking`], which lets the scheduler hand
//! the P to another thread while it waits. [`Runtime::stats`] and [`Runtime::dump`] show
//! what the scheduler is doing; so does `GPM_DEBUG` (below).
//!
//! # Diagnosis
//! [`Runtime::dump`] lists every goroutine as Go's goroutine dump does: id, name, state,
//! for a parked one its wait reason, how long it has waited and *where*: the source line
//! of the blocking call it parked in (the public blocking calls are `#[track_caller]`),
//! then where it was spawned:
//! ```text
//! goroutine 7 [chan receive, 12 ms]:
//!   name: worker-3
//!   waiting at src/main.rs:21:20
//!   created at src/main.rs:18:9
//! ```
//! A panic in a goroutine names it (`goroutine 7 'worker-3' panicked at src/main.rs:30:9:`),
//! and one nobody will join (its handle was dropped) goes to
//! [`RuntimeBuilder::on_panic`]'s handler and is counted in [`Stats::detached_panics`].
//! With deadlock detection on ([`RuntimeBuilder::detect_deadlock`]), a runtime whose
//! goroutines are all asleep with nothing left to wake them prints
//! `gpm: all goroutines are asleep - deadlock!` and the dump, and [`Runtime::block_on`]
//! panics with a [`Deadlock`] instead of hanging.
//!
//! # Environment
//! | variable | value | effect |
//! | --- | --- | --- |
//! | `GPM_MAXPROCS` | 1 to 256 | Ps of a runtime built without [`RuntimeBuilder::procs`] (the default runtime too), as Go's `GOMAXPROCS`; default: the number of CPUs. Read at each build; 0 or not a number is ignored and a larger number clamped to 256, with one warning on stderr |
//! | `GPM_DEBUG` | `key=value,...` | the diagnosis settings below |
//! | `GPM_STACK_GUARD` | `mprotect` | guard pages below goroutine stacks made with `mprotect` (two memory mappings per stack, so at most about 32,000 live goroutines under Linux's default `vm.max_map_count`); unset, or any other value: `madvise` guards (no extra mapping) where the kernel has them (Linux 6.13 and later), else `mprotect`. Read once per process |
//!
//! `GPM_DEBUG` is read when a runtime is built, in Go's `GODEBUG` syntax
//! (`GPM_DEBUG=schedtrace=1000,checkdead=1`); an unknown key or a bad value is ignored with
//! one warning on stderr.
//!
//! | key | value | effect |
//! | --- | --- | --- |
//! | `schedtrace` | ms | sysmon prints Go's `SCHED` line every that many ms (`0`: off) |
//! | `scheddetail` | `0` / `1` | with `schedtrace`, a line per P and M and the goroutine dump too |
//! | `checkdead` | `0` / `1` | deadlock detection, as [`RuntimeBuilder::detect_deadlock`] (which overrides it) |
//! | `dump_on_signal` | `0` / `1` | SIGQUIT prints every goroutine of each runtime on stderr, as Go's does; unlike Go, the process goes on |
//!
//! # Soundness: goroutines move between threads
//! A goroutine parked on one thread may resume on another, and Rust's type system does
//! not see it: the `Send` bound on [`go`] checks what a closure *captures*, not what it
//! creates on its stack. Code that keeps a thread-local's address, or a value bound to
//! its thread, across such a move is undefined behaviour that no library can rule out
//! (rust-lang/unsafe-code-guidelines#602): in optimised builds the compiler may compute a
//! `thread_local!`'s address once and use it after the goroutine has moved, on the old
//! thread's slot. So gpm asks for a promise once, with `unsafe`, where a runtime whose
//! goroutines migrate is made ([`RuntimeBuilder::build`], [`Runtime::new`], [`init`]);
//! everything after that — [`go`], [`Runtime::go`], [`Runtime::block_on`],
//! [`Builder::go`] — is safe. The contract, in full, is the `# Safety` section of
//! [`RuntimeBuilder::build`]: no reference into thread-local storage and no thread-bound
//! value (an `Rc` shared with thread-local state such as `thread_rng()`'s, a
//! `std::sync::MutexGuard`, a `StdoutLock`, a `tracing` span guard) across a call that may
//! park, and no function that both touches a thread-local and parks.
//!
//! The ways out: goroutine-local storage ([`local!`]: a value per goroutine that follows
//! it across threads), [`gpm::sync::Mutex`](crate::sync::Mutex) (parks goroutines; its
//! guard may move), [`lock_os_thread`] (Go's `LockOSThread`: the goroutine stays on its
//! thread, which then runs nothing else until [`unlock_os_thread`], and where a runtime
//! drop unwinds it), and the single-thread runtime ([`RuntimeBuilder::build_single_thread`],
//! [`Runtime::single_thread`], [`init_single_thread`]), whose goroutines never leave its
//! one thread and which needs no promise. The runtime keeps its own side of the contract:
//! it reads no thread-local in code that can switch, and a goroutine that parks while unwinding a panic (a destructor
//! that blocks) stays on its thread until the unwind is over, since Rust's panic count is
//! per thread.
//!
//! What breaking the promise looks like (each of these is undefined behaviour on a
//! migrating runtime, and fine on a single-thread one):
//! ```no_run
//! use std::cell::Cell;
//! thread_local! { static B: Cell<Option<Box<u64>>> = const { Cell::new(None) }; }
//! #[inline(never)]
//! fn bump(b: &Cell<Option<Box<u64>>>) {
//!     let v = b.take().map_or(0, |x| *x);
//!     b.set(Some(Box::new(v + 1)));
//! }
//! // SAFETY: NOT kept — the goroutines below break the contract, for illustration.
//! let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
//! rt.block_on(|| {
//!     let hs: Vec<_> = (0..32)
//!         .map(|_| {
//!             gpm::go(|| {
//!                 for _ in 0..1000 {
//!                     B.with(bump); // 1. a thread-local read, then a park, then another
//!                     gpm::yield_now(); //    read in one function: the address may be
//!                     B.with(bump); //    the old thread's (a double free in release).
//!                 }
//!                 let out = std::io::stdout();
//!                 let _held = out.lock(); // 2. a thread-bound guard held across a park:
//!                 gpm::yield_now(); //          unlocked later on another thread.
//!                 B.with(|b| {
//!                     bump(b); // 3. a thread-local borrowed across a park
//!                     gpm::yield_now();
//!                     bump(b);
//!                 });
//!             })
//!         })
//!         .collect();
//!     hs.into_iter().for_each(|h| drop(h.join()));
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Structured concurrency and cancellation
//! [`scope`] runs goroutines that borrow from the caller's stack and returns when all have
//! finished (`std::thread::scope`). A [`JoinSet`] joins goroutines in the order they finish,
//! limits how many run at once, and cancels the rest at the first error (tokio's
//! `JoinSet`, Go's `errgroup`). [`JoinHandle::abort`] cancels one goroutine: it unwinds
//! from its next park or yield, and its `join` returns `Err` holding [`Cancelled`]. A
//! [`CancellationToken`] is a signal goroutines watch (Go's `Context`): `is_cancelled`, or a
//! `recv(token.cancelled())` arm in [`select!`]. [`current`] names the running goroutine.
//! ```
//! let rt = gpm::Runtime::single_thread()?;
//! rt.block_on(|| {
//!     let mut group = gpm::JoinSet::new();
//!     group.set_limit(Some(4));
//!     for i in 0..16u64 {
//!         group.spawn(move || if i == 7 { Err(i) } else { Ok(i) });
//!     }
//!     assert_eq!(group.wait(), Err(7)); // the rest are cancelled
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Dropping a [`Runtime`] cancels goroutines that have not finished: their stacks are
//! unwound (destructors run) and their `join` returns `Err` holding [`Cancelled`].
//! Destructors of cancelled goroutines must not block: drop does not hang on one, but
//! after a grace period it leaves it behind on a detached thread (see [`Runtime`]). Nor may
//! they panic: they run during an unwind, and a panic there aborts the process, as on any
//! thread.

// Architecture Invariant: the façade adds API, never scheduling policy; policy lives in
// gpm-sched.

pub use gpm_sched::{
    Builder, CancelShield, Cancelled, Deadlock, GoroutinePanic, JoinHandle, Runtime,
    RuntimeBuilder, Stats, blocking, go, lock_os_thread, num_goroutines, sleep, unlock_os_thread,
    yield_now,
};

// park / unpark, the primitive every blocking type is built on (for writing your own).
// (A doc comment here would be prepended to the re-exported items' own docs.)
pub use gpm_sched::park;
// Goroutine-local storage: the migration-safe stand-in for `thread_local!`.
pub use gpm_sched::{LocalKey, local};

pub use gpm_sched::{default_runtime, init, init_single_thread};

pub mod chan;
mod current;
mod joinset;
pub mod net;
pub mod pool;
mod scope;
#[doc(hidden)]
pub mod select;
mod shim;
pub mod sync;
pub mod time;
mod token;
mod waiter;

pub use current::{Goroutine, current};
pub use joinset::JoinSet;
pub use scope::{Scope, ScopedJoinHandle, scope};
pub use token::{CancellationToken, DropGuard};
