//! Go's G-P-M scheduler: goroutines (G) run by OS threads (M) that each hold a logical
//! processor (P) with a local run queue; stealing, spinning, parking, timers and sysmon.
//!
//! Architecture Invariant: gpm-sched builds on gpm-queue and gpm-stack only; it never names
//! the façade, and its code never reads a thread-local in a function that can switch.
//!
//! # The three letters
//! * **G** (`g.rs`): a goroutine — its job, a gpm-stack `SendCoroutine` bound lazily when
//!   it first runs (`gfree.rs`, where the migration promise is made), status, park state,
//!   wait reason. Each G status is defined by who owns its stack (table in `g.rs`).
//! * **P** (`p.rs`): a logical processor — the local ring + `runnext` (gpm-queue), the
//!   free-G cache, the idle-coroutine cache, the id batch, the timer heap, `schedtick`.
//!   `procs` of them; an M runs goroutines only while it holds one. P status is defined
//!   by who may touch its owner half; an M back from goroutine code *claims* its P with a
//!   plain store and load (`ownership.rs`: an asymmetric fence pair with sysmon's
//!   `membarrier`), so sysmon can retake Ps safely.
//! * **M** (`m.rs`, `schedule.rs`): an OS thread; its native stack plays Go's `g0` and runs
//!   the schedule loop: `find_runnable` (timers, every 61st tick the global queue, local
//!   queue, global batch, stealing), then `execute` (resume the G and do what it asked when
//!   it switched back: yield, park, finish, requeue).
//!
//! # Protocols (each with its design comment in its file)
//! * **park/unpark** (`park/`: `state.rs`, `mod.rs`): permit-based; `EMPTY/NOTIFIED/PARKED`;
//!   only the M parks the G, on its own stack after the switch (Go's `park_m`), so a wake-up
//!   during the switch is neither lost nor able to run the G on two threads. Loom-checked.
//! * **spinning/parking of Ms** (`spinning.rs`): at most `busy/2` spinners; `wakep` when
//!   work appears with an idle P and no spinner; a spinner that finds work wakes the next;
//!   stop spinning → `SeqCst` fence → re-check every queue → park. Loom-checked (reduced).
//! * **claims and retakes** (`ownership.rs`, `sysmon.rs`, `syscall.rs`): one status word
//!   per P with an acquisition counter, and a user mark per M; `blocking` is
//!   `Running → Syscall → Running` by CAS; sysmon takes a P from `Syscall` by CAS, and
//!   from a 20 ms hog with `Retaking`, a heavy fence and a second look at the M's mark.
//!   Loom-checked.
//! * **stealing** (`steal.rs`): 4 passes in a random coprime order, `runnext` last.
//! * **timers** (`timers/`): per-P 4-ary heaps (behind a sorted run for deadlines armed in order) of parked Gs and function timers (`FuncTimer`); one watcher M parks until the nearest deadline.
//! * **locked threads** (`lockosthread.rs`): Go's `startlockedm` / `stoplockedm`.
//! * **deadlock detection** (`deadlock.rs`, opt-in): Go's `checkdead` under the idle-M
//!   lock; plain threads gpm has seen count as wakers unless parked in a gpm call
//!   (`deadlock/threads.rs`, counted on the parker's word).
//!
//! # Where the current G is found
//! The crate has three thread-locals, each read only in `#[inline(never)]` functions that
//! never switch (`tests/tidy.rs` checks the attribute): `context.rs`'s `CURRENT_M` (the M
//! of this thread, null on a plain thread: the one the scheduler finds itself by), `park/mod.rs`'s
//! `WAITER` (a plain thread's park permit) and `gls.rs`'s `THREAD_LOCALS` (a plain
//! thread's `gpm::local!` values); std's panic count is read through `context::unwinding`.
//! Code that can switch reads `CURRENT_M` once before the switch and reaches its M and P
//! afterwards through its G (`g.m`), which the resuming M sets before each resume — after a
//! migration, that is the new M.
//!
//! # Decisions, and why
//! * **Queue item = `GRef`** (a `NonNull<G>`, `Send`): Gs are never freed before their
//!   runtime (dead ones are reused), so a pointer is enough, and stale wake-ups are told
//!   apart by the park word's generation, not by reference counts.
//! * **Asymmetric claims instead of a P lock or a CAS**: a store and a load to claim, a
//!   store to release (`ownership.rs`); sysmon pays a `membarrier` per retake of a hog.
//!   Every acquisition of a P (from the idle list, or by a retake) bumps its `seq`, so a
//!   claim can never succeed on a P that has since passed to another M (an ABA the
//!   migration test caught); the hand-overs at the same seq (to a locked M, `startm` with a
//!   P) happen from a schedule loop, where the giver's mark is 0.
//! * **Yield goes to the local tail**, not Go's global queue (a lock per yield); a yielder
//!   alone on its P steals from one random P first, so yielders spread over the Ps.
//! * **Unfenced `wakep` after a push onto one's own running P** (`spinning.rs`): the race
//!   costs parallelism, never a stranded G; pushes to the global queue keep the fence.
//! * **No wake-up for a lone `runnext`** (`runnext.rs`, with the successor, the second slot): a G spawned or
//!   readied into a running P's empty queue is the one that P runs next, usually within
//!   nanoseconds (spawn then join, send then receive). Waking an M for it cost a futex
//!   round trip per spawn and, on 2 Ps, had the woken M steal the partner of every channel
//!   ping-pong across cores (2× slower). sysmon wakes an M if such a G is still waiting a
//!   tick later on a P that resumed nothing since (Go wakes at once, then makes the thief
//!   wait ~3 µs before taking a running P's `runnext`; we keep that wait too).
//! * **Time slices**: sysmon flags each G found running in a slice older than 10 ms (a
//!   runnext chain gets each member flagged), and retakes the P only when the *same* G
//!   ignores its flag for 10 ms more. A flagged G taken from `runnext` goes to the global
//!   queue instead of running (Go's TestPingPongHog).
//! * **Unwinding pins**: a goroutine that switches while a panic unwinds is locked to its M
//!   for that switch; Rust's panic count is thread-local.
//! * **Runtime drop** joins the Ms, then drops every unfinished coroutine (corosensei
//!   unwinds it) on helper threads, adding one whenever progress stalls, so a destructor
//!   waiting for another cancelled goroutine cannot hang the drop (`runtime/cancel.rs`);
//!   joins then report `Cancelled`. A G parked while unwinding a panic is leaked, not
//!   unwound twice (that aborts). A destructor that panics during the unwind aborts the
//!   process (Rust's rule for a panic during unwinding; no runtime can catch it); a panic
//!   escaping a cancelled G otherwise is named and counted, and the others go on. Dropped
//!   from its own goroutine, a detached thread does it.
//! * **`blocking` and parks**: a park or yield inside `blocking` leaves the syscall state
//!   around the switch, and work readied there goes to the global queue (`syscall.rs`).
//! * **Lazy stacks** (`gfree.rs`): a G gets a coroutine from its P's cache when it first
//!   runs, and a dying G gives it back, so queued-but-unstarted Gs hold no stack and a
//!   burst of spawns maps none. Custom stack sizes stay bound at spawn.
//! * **Counters** that sit on hot paths are per-P owner-only (a load and a store).
//! * **Inlined down to the switch**: the M's loop inlines `execute`, and `yield_now`, the
//!   park functions, `join` (and the façade's channel operations) inline everything down to
//!   `G::suspend`, because a return right after a stack switch is mispredicted (the CPU's
//!   return-stack buffer holds the other stack's calls): one per call level. Thread-locals
//!   stay behind never-inlined accessors, so inlining never carries a TLS address across a
//!   switch (ARCHITECTURE.md, the speed invariants).
//!
//! # Rejected
//! * A global run queue only: every spawn contends on one lock.
//! * Async preemption by signals: a Rust goroutine cannot be interrupted safely at an
//!   arbitrary instruction (no stack maps, locks held). A hog keeps its M; its P moves on.
//! * Readying a parked G under the waker's lock until the parker is off CPU: a lock across
//!   a stack switch; parking only on the M after the switch does the same job without one.

mod abort;
mod api;
mod cancelled;
mod cobox;
mod context;
mod deadlock;
mod g;
mod gfree;
mod gls;
mod joinstate;
mod lockosthread;
mod m;
mod netpoll;
mod offload;
mod ownership;
mod p;
mod panics;
pub mod park;
mod prefetch;
mod runnext;
mod runtime;
mod sched;
mod schedule;
mod spawn;
mod spinning;
mod stats;
mod steal;
mod sync;
mod syscall;
mod sysmon;
mod taskmem;
mod timers;
mod trace;

#[cfg(test)]
mod tests;

pub use abort::CancelShield;
pub use api::{Builder, current_goroutine, go, num_goroutines, sleep, work_waiting, yield_now};
pub use cancelled::Cancelled;
pub use deadlock::Deadlock;
pub use g::GStatus;
pub use gls::LocalKey;
pub use lockosthread::{lock_os_thread, unlock_os_thread};
pub use netpoll::{Interest, PollFd, connect_in_progress};
pub use panics::GoroutinePanic;
pub use runtime::{
    DEFAULT_MAX_THREADS, MAX_PROCS, MAX_STACK_SIZE, Runtime, RuntimeBuilder, default_runtime, init,
    init_single_thread,
};
pub use spawn::JoinHandle;
pub use stats::Stats;
pub use syscall::blocking;
pub use timers::{Fired, FuncTimer};

#[doc(hidden)]
pub mod testing {
    //! Hooks for the crate's own tests (migration checks): not part of the API.

    /// The id of the running goroutine and addresses naming its M and P, or `None` on a
    /// plain thread. Never switches.
    #[inline(never)]
    pub fn whereami() -> Option<(u64, usize, usize)> {
        let g = crate::context::current_g()?;
        let m = crate::context::current_m();
        // SAFETY: `m` is this thread's M (non-null since a G runs on it).
        let p = unsafe { (*m).p() }.map_or(usize::MAX, |(p, _)| p.id);
        Some((g.id.load(std::sync::atomic::Ordering::Relaxed), m as usize, p))
    }

    /// Checks that the running goroutine's view of where it runs agrees with the thread's:
    /// the M in the thread-local is the G's `g.m`, the M's P names this G as its current
    /// one, and gpm-stack's running coroutine carries this G's id. Never switches.
    #[inline(never)]
    pub fn check_view() -> Result<(), String> {
        let g = crate::context::current_g().ok_or("not on a goroutine")?;
        let m = crate::context::current_m();
        if !std::ptr::eq(g.m.get(), m) {
            return Err(format!("g.m = {:p}, thread's M = {:p}", g.m.get(), m));
        }
        // SAFETY: `m` is this thread's M (non-null since a G runs on it).
        if let Some((p, _)) = unsafe { (*m).p() } {
            // Relaxed: only compared, on the thread of the M that stored it.
            let cur = p.cur_g.load(std::sync::atomic::Ordering::Relaxed);
            if !std::ptr::eq(cur, g.as_ptr()) {
                return Err(format!("P{}.cur_g = {cur:p}, G = {:p}", p.id, g.as_ptr()));
            }
        }
        let id = g.id.load(std::sync::atomic::Ordering::Relaxed);
        match gpm_stack::running() {
            Some(r) if r.id == id => Ok(()),
            other => Err(format!("running coroutine {other:?}, G id {id}")),
        }
    }
}
