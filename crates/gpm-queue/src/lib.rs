//! Go's run queues, generic over the item: the P-local 256-slot ring with `runnext`
//! (`Local` / `Stealer`) and the global queue (`Global`).
//!
//! Architecture Invariant: gpm-queue knows nothing of threads, stacks or parking; it moves
//! items of any `T: Send` between owners and thieves, and never loses or duplicates one.
//!
//! # What is here, in Go's words
//!
//! | gpm-queue                              | Go (`src/runtime/proc.go`)               |
//! |----------------------------------------|------------------------------------------|
//! | [`local`] → ([`Local`], [`Stealer`])   | `p.runq`, `p.runqhead`, `p.runqtail`, `p.runnext` |
//! | [`Local::push`]                        | `runqput(pp, gp, false)` (+ `runqputslow`) |
//! | [`Local::push_next`]                   | `runqput(pp, gp, true)`                  |
//! | [`Local::pop`], [`Local::pop_with_source`] | `runqget` (`inheritTime` = [`Source::RunNext`]) |
//! | [`Local::drain`]                       | `runqdrain`                              |
//! | [`Stealer::steal_into`], [`Stealer::steal_into_with_runnext`] | `runqsteal` / `runqgrab` |
//! | [`Global`], [`Global::pop_batch_into`] | `sched.runq`, `globrunqput[batch]`, `globrunqget` |
//!
//! The rules are Go's: `push_next` puts the item in `runnext` and kicks the old one to the tail;
//! `pop` takes `runnext` first, then the head; a push into a full ring moves the older half
//! plus the new item to the global queue in one batch; a steal takes half the ring rounded up
//! (`n - n/2`, so `n/2` or `n/2 + 1`) with one CAS and returns the last of them to run now;
//! `runnext` is stolen only when the ring is empty and the thief asks for it.
//!
//! # Example: a small work-stealing pool
//!
//! Each worker owns a [`Local`]; everyone holds every [`Stealer`] and the shared [`Global`].
//! A worker runs its own queue, then the global queue, then steals.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use gpm_queue::{Global, Local, Stealer, local};
//!
//! const WORKERS: usize = 2;
//! let global = Global::new();
//! let (locals, stealers): (Vec<Local<u64>>, Vec<Stealer<u64>>) =
//!     (0..WORKERS).map(|_| local()).unzip();
//! for job in 0..1000u64 {
//!     global.push(job); // work from outside any worker goes to the global queue
//! }
//! let sum = AtomicUsize::new(0);
//! std::thread::scope(|s| {
//!     for (me, mut mine) in locals.into_iter().enumerate() {
//!         let (global, stealers, sum) = (&global, &stealers, &sum);
//!         s.spawn(move || loop {
//!             let job = mine
//!                 .pop()
//!                 .or_else(|| global.pop_batch_into(&mut mine, global.len() / WORKERS + 1))
//!                 .or_else(|| {
//!                     let victim = &stealers[(me + 1) % WORKERS];
//!                     victim.steal_into(&mut mine)
//!                 });
//!             match job {
//!                 // A job may spawn more work: push it to our own queue.
//!                 Some(job) if job % 10 == 0 && job < 1000 => mine.push(job + 1000, global),
//!                 Some(job) => { sum.fetch_add(job as usize, Ordering::Relaxed); }
//!                 None if global.is_empty() && stealers.iter().all(|s| s.is_empty()) => break,
//!                 None => std::thread::yield_now(),
//!             }
//!         });
//!     }
//! });
//! let expect: u64 = (0..1000).map(|j| if j % 10 == 0 { j + 1000 } else { j }).sum();
//! assert_eq!(sum.into_inner() as u64, expect);
//! ```
//!
//! # The protocol
//!
//! Indices are `u32` and wrap; slot `i` is `buffer[i % CAPACITY]`. `tail` is written only by
//! the owner. `head` is one `AtomicU64` holding two facts, so one atomic operation moves both:
//!
//! - high half, `real`: the first item not yet claimed by a consumer; `[real, tail)` is the
//!   queue.
//! - low half: `0`, or a *steal mark* `STEALING | steal` while a thief copies `[steal, real)`
//!   out. The owner reuses only slots before `steal` (before `real` when unmarked), so it
//!   never writes a slot a thief is reading.
//!
//! **Owner push**: if `tail - steal < CAPACITY`, write slot `tail`, then store `tail + 1`
//! (Release). The owner caches the last `steal` it loaded (a lower bound, as it only grows),
//! so a push that is not near full touches no shared line but `tail`'s.
//! **Full ring** (`runqputslow`): one Acquire load of `head` decides; if a steal is in flight
//! room is coming and only the new item goes to the global queue; otherwise a CAS claims the
//! older half (`real += CAPACITY/2`) and the half plus the item go to the global queue under
//! one lock.
//! **Owner pop**: one `fetch_add` of 1 to `real` (the high half, so a carry falls off the top
//! and a steal mark is left alone): no CAS loop, and no load of `head` first. The owner skips
//! it when `tail` equals a `real` it saw (empty for sure). If thieves emptied the ring since,
//! the `fetch_add` overshoots to `tail + 1` and the owner takes it back with a `fetch_sub`;
//! meanwhile a thief sees a negative length and backs off.
//! **Steal**: (1) *claim*: CAS `real += n` and set the mark with `steal = ` the old `real`,
//! `n = min(ceil(len/2), room in dst + 1)`: the linearization point, which fails if the owner
//! or another thief moved `head`; (2) copy the `n` items into the thief's own ring (the last
//! one is returned); (3) *release*: one `fetch_and` clears the mark, handing the slots back
//! to the owner (no loop: while marked only the owner moves `head`, and only its `real`);
//! (4) publish the thief's new `tail`. A thief that finds a mark returns `None` at once:
//! another thief is mid-copy; the scheduler moves on to another victim (Go would retry).
//! **runnext**: an inline cell and a state byte `EMPTY` / `FULL` / `READING`. The owner
//! writes the cell only in `EMPTY` then stores `FULL` (Release); the owner takes it back with
//! CAS `FULL → EMPTY`; a thief with CAS `FULL → READING` (Acquire), copies the item, stores
//! `EMPTY` (Release). If the owner finds `READING` in `push_next` it pushes the new item to the
//! tail instead of waiting for the thief. So the owner is the only writer of the cell, but
//! not of the state byte: only the owner leaves `EMPTY`, and the CAS out of `FULL` (owner or
//! thief) decides who reads the cell.
//!
//! Every atomic access says at its use what it pairs with. In short: `tail` Release (owner)
//! / Acquire (thieves) publishes slot contents; every RMW on `head` is Release and every load
//! of it that decides something is Acquire, so whoever sees a `real` also sees a
//! `tail >= real`, and the owner's reuse of a slot happens after the thief's read of it.
//! `len()` snapshots are Relaxed (hints). `SeqCst` is never needed: no decision depends on a
//! store by one thread and a load of a different location by another (no Dekker pattern).
//!
//! # Races it prevents
//!
//! 1. Owner pop and thief steal of the same item: the pop is a `fetch_add` on `real` and the
//!    claim a CAS from the `head` the thief read, so the two are ordered on `head`: if the pop
//!    is first, the CAS fails and the thief retries from the new value; if the claim is
//!    first, the `fetch_add` returns a `real` past the stolen items (or overshoots an emptied
//!    ring and is undone).
//! 2. Two thieves: the second sees the steal mark (or fails its CAS) and backs off.
//! 3. A thief reading a slot while the owner overwrites it: in Go a thief copies the slots
//!    *before* its CAS and throws the copy away if the CAS fails; meanwhile the owner may have
//!    refilled them. Go tolerates that race on its word-sized `guintptr` slots; it is a data race
//!    (undefined behaviour) for an arbitrary `T` in Rust, and loom flags it. Here the claim
//!    comes first and the owner cannot reuse claimed slots until `release`.
//! 4. The spill racing a steal: the spill's CAS expects no steal mark, and the decision to
//!    spill and the room check come from the same load of `head` (with two loads, thieves
//!    could drain the ring below half in between and the spill would claim past `tail`; the
//!    loom model `overflow_to_global_racing_steal` found exactly that).
//! 5. A stale snapshot (`head` read, then other consumers and the owner moved on, so
//!    `tail - real > CAPACITY`), or an owner's pop that overshot an emptied ring: the thief
//!    re-reads `head` with an RMW and recomputes, and gives up after a few tries (`None`)
//!    rather than wait for an owner that may be preempted mid-undo.
//! 6. `runnext` replaced by the owner while a thief copies it out: `READING` keeps the owner
//!    out of the cell; the owner does not wait, so a preempted thief cannot stall it.
//!
//! # Rejected designs
//!
//! - *Go's single-CAS grab* (copy, then CAS): the racing read in point 3 above.
//! - *A CAS loop for the owner's pop* (Go, tokio): the CAS must wait for a load of `head`
//!   and can fail; a `fetch_add` is cheaper, and cheaper again once the pop stopped feeding
//!   the RMW's result into the next push's room check (the owner keeps its own lower bounds
//!   of `steal` and `real` instead). The figures are in the commits that made the change.
//! - *Atomic slots* (`AtomicPtr` per slot): would restrict `T` to pointers or box every item.
//! - *`runnext` as an `AtomicPtr` to a boxed item*: an allocation per `push_next` (or a box
//!   pool) and a pointer chase per pop; the inline cell makes `push_next` into an empty slot a
//!   load and a store, with no RMW and no allocation.
//! - *Spinning in `push_next` until a thief leaves `READING`*, or in `push` until a steal in
//!   flight releases its slots: a preempted thief would stall the owner for a time slice.
//! - *A growable buffer with epoch reclamation* (crossbeam-deque's `Worker`): Go's ring is
//!   fixed and the global queue is its pressure valve; a fixed ring needs no reclamation.
//! - *A lock-free global queue*: see [`Global`]; batches dominate, and a lock
//!   moves a batch for two atomic operations.
//!
//! # Deviations from Go
//!
//! - A thief that meets another thief mid-steal on the same victim gets `None` instead of
//!   retrying, and so does one whose snapshot of `head` stays inconsistent over a few RMW
//!   re-reads (an owner preempted inside an overshooting pop), where Go's loop would spin.
//! - The 3 µs back-off before taking a *running* P's `runnext` is the scheduler's policy (it
//!   knows which Ps run): [`Stealer::has_runnext`] tells it when to apply it.
//! - A steal never overfills the thief: it takes at most the thief's free room + 1 (Go
//!   steals only into an empty queue, where this bound never binds).
//! - A push into a ring that is full only because of a steal in flight sends just the item to
//!   the global queue (tokio does the same), where Go, which has no steal window, never
//!   meets that state.
//! - [`Global::pop_batch_into`] with `max == 0` means "no limit of the caller's", as
//!   `globrunqget(pp, 0)`.
//!
//! # Performance
//!
//! `cargo xtask bench queue` (criterion medians; `benches/queue.rs`), against crossbeam-deque,
//! `usize` items, on the 2-core development machine. The machine was shared, so absolute
//! times moved by up to 2–3× between runs; the ratios below are the range over four runs:
//!
//! | row               | what                                          | gpm / crossbeam |
//! |-------------------|-----------------------------------------------|-----------------|
//! | `push_pop`        | push + pop (crossbeam: FIFO `Worker`)         | 0.48–0.75×      |
//! | `fill_drain_256`  | 256 pushes, then 256 pops                     | 0.46–0.66×      |
//! | `steal`           | per item, owner pushing concurrently          | 0.35–0.78×      |
//! | `global_push_pop` | push + pop (crossbeam: `Injector`)            | 0.49–0.88×      |
//!
//! The dated figures of each run are in `docs/bench` (`cargo xtask bench queue`).
//!
//! # Auto traits
//!
//! `Local<T>` is `Send` (a P and its queue move between threads) and `!Sync` (one owner);
//! `Stealer<T>` is `Clone + Send + Sync`; `Global<T>` is `Send + Sync`; all for `T: Send`.
//!
//! # Testing
//!
//! loom models (`CAPACITY` is 4 under `cfg(gpm_loom)`), an exhaustive test of every fill level
//! and steal size, a proptest against a sequential model, and multi-thread stress tests with
//! drop-counting payloads: see `tests/`.

mod global;
mod local;
mod pad;
mod ring;
mod steal;
mod sync;

pub use global::Global;
pub use local::{Local, Source, local};
pub use steal::Stealer;

/// Slots in a P-local ring (Go's `len(p.runq)`): 256, or 4 under `cfg(gpm_loom)` so the
/// model checker reaches the full-ring and wrap-around states in a few steps.
pub const CAPACITY: usize = if cfg!(gpm_loom) { 4 } else { 256 };
