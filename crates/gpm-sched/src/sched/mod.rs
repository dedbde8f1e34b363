//! `Sched`: the state shared by every M of one runtime (Go's `schedt` plus `allp`, `allm`,
//! `allgs`): the Ps, the global queue, the idle lists, the spinning counters, and the
//! operations on them — `startm`, `wakep`, `handoffp`, `stopm`, `ready`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gpm_queue::Global;
use gpm_stack::StackPool;

use crate::g::{GRef, GStatus};
use crate::m::M;
use crate::ownership::{HandOff, OwnedP};
use crate::p::P;
use crate::park::parker::Parker;
use crate::spinning::SpinState;
use crate::trace::DebugConfig;

mod borrow;
mod clock;

/// Counters for `stats()`; Relaxed: statistics only.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) handoffs: AtomicU64,
    pub(crate) retakes: AtomicU64,
    pub(crate) preempts: AtomicU64,
    pub(crate) thread_limit_hits: AtomicU64,
    /// Goroutines cancelled because no stack could be had when they first ran.
    pub(crate) stack_failures: AtomicU64,
    /// Goroutines a single-thread runtime's home M has unwound at shutdown (the dropping
    /// thread watches it for progress, `cancel::wait_for_home`).
    pub(crate) unwound_on_home: AtomicU64,
    /// `blocking` calls of a single-thread runtime running on helper threads (`offload.rs`):
    /// its home M waits for them before its thread ends, since they may borrow its
    /// thread-locals (a goroutine leaked at drop does not wait for its own call).
    pub(crate) offloaded: AtomicU64,
    /// Panics that escaped goroutines being cancelled by the runtime's drop
    /// (`runtime/cancel.rs`).
    pub(crate) cancel_panics: AtomicU64,
    /// Goroutines that ended in a panic, and those of them nobody joins (`panics.rs`).
    pub(crate) panics: AtomicU64,
    pub(crate) detached_panics: AtomicU64,
}

/// The runtime's shared scheduler state.
pub(crate) struct Sched {
    pub(crate) ps: Box<[P]>,
    pub(crate) procs: u32,
    pub(crate) global: Global<GRef>,
    pub(crate) spin: SpinState,
    idle_ps: Mutex<Vec<usize>>,
    idle_ms: Mutex<Vec<Arc<M>>>,
    /// Every M ever started (for shutdown and stats).
    pub(crate) allm: Mutex<Vec<Arc<M>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Ms alive (started and not exited).
    pub(crate) nthreads: AtomicUsize,
    next_mid: AtomicUsize,
    pub(crate) max_threads: usize,
    /// Every G ever allocated (Go's `allgs`); freed when the `Sched` is.
    pub(crate) allgs: Mutex<Vec<GRef>>,
    /// Dead Gs beyond the per-P caches (Go's `sched.gFree`).
    pub(crate) gfree: Mutex<Vec<GRef>>,
    /// Next goroutine id (handed to Ps in batches).
    pub(crate) goid: AtomicU64,
    pub(crate) pool: StackPool,
    pub(crate) stack_size: usize,
    pub(crate) shutdown: AtomicBool,
    /// Go's `nanotime`: see `clock.rs`.
    pub(crate) clock: clock::Clock,
    /// `nanotime()` as of sysmon's last round (20 µs .. 10 ms old): for wait times in dumps,
    /// so a park does not pay for a clock read.
    pub(crate) coarse_now: AtomicU64,
    /// Goroutines spawned / finished with no P at hand (plain threads, Ms without a P);
    /// the rest are counted per P. `live()` sums them.
    pub(crate) spawned_nop: AtomicU64,
    pub(crate) finished_nop: AtomicU64,
    pub(crate) counters: Counters,
    pub(crate) sysmon: Parker,
    pub(crate) debug: DebugConfig,
    /// An M parks with a timeout for the nearest timer (one at a time, Go's netpoll waiter).
    pub(crate) timer_watcher: AtomicBool,
    /// The watcher M and the deadline it sleeps until (ns), so that arming an earlier timer
    /// can wake it. Written by the watcher under `watcher`'s lock.
    pub(crate) watcher: Mutex<Option<(Arc<M>, u64)>>,
    pub(crate) name: String,
    /// Stealing orders over the Ps.
    pub(crate) steal_order: crate::steal::RandomOrder,
    /// A single-thread runtime (`RuntimeBuilder::build_single_thread`): one P, and one M,
    /// `home`, that runs every goroutine. What keeps them on it: `startm` hands the P only
    /// to `home` and `new_m` starts no other M; sysmon never hands the P on (`sysmon.rs`);
    /// `blocking` runs its closure on a helper thread (`syscall.rs`); neither
    /// `lock_os_thread` nor a park during an unwind locks a G to the M (`lockosthread.rs`,
    /// `G::suspend`), so no locked-M hand-off happens either.
    pub(crate) single: bool,
    pub(crate) home: OnceLock<Arc<M>>,
    /// At drop, Ms whose locked G waits to be cancelled on them: their threads, moved out
    /// of `threads` by themselves (`runtime::cancel_on_locked_m`), and the flag that lets
    /// them exit once cancellation is over.
    pub(crate) locked_threads: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) cancel_over: AtomicBool,
    /// The netpoller, made at the first registration (`netpoll`), and the lock that makes
    /// it once.
    pub(crate) poller: OnceLock<Arc<crate::netpoll::Poller>>,
    pub(crate) poller_init: Mutex<()>,
    /// Deadlock detection (`deadlock.rs`).
    pub(crate) deadlock: crate::deadlock::Detector,
    /// The handler of panics nobody joins (`panics.rs`).
    pub(crate) on_panic: Option<crate::panics::Handler>,
}

/// The settings of a `Sched` beyond its size (`RuntimeBuilder`).
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `RuntimeBuilder::detect_deadlock`; `None`: `GPM_DEBUG=checkdead`.
    pub(crate) detect_deadlock: Option<bool>,
    /// `RuntimeBuilder::on_panic`.
    pub(crate) on_panic: Option<crate::panics::Handler>,
}

impl Sched {
    pub(crate) fn new(
        procs: usize,
        max_threads: usize,
        stack_size: usize,
        name: String,
        single: bool,
        options: Options,
    ) -> io::Result<Sched> {
        let pool = StackPool::new(stack_size)?;
        let debug = DebugConfig::from_env();
        let detect = options.detect_deadlock.unwrap_or(debug.checkdead);
        Ok(Sched {
            ps: (0..procs).map(P::new).collect(),
            procs: procs as u32,
            global: Global::new(),
            spin: SpinState::new(procs as u32),
            idle_ps: Mutex::new((0..procs).rev().collect()),
            idle_ms: Mutex::new(Vec::new()),
            allm: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            nthreads: AtomicUsize::new(0),
            next_mid: AtomicUsize::new(0),
            max_threads,
            allgs: Mutex::new(Vec::new()),
            gfree: Mutex::new(Vec::new()),
            goid: AtomicU64::new(1),
            stack_size: pool.stack_size(),
            pool,
            shutdown: AtomicBool::new(false),
            clock: clock::Clock::new(),
            coarse_now: AtomicU64::new(0),
            spawned_nop: AtomicU64::new(0),
            finished_nop: AtomicU64::new(0),
            counters: Counters::default(),
            sysmon: Parker::new(),
            debug,
            timer_watcher: AtomicBool::new(false),
            watcher: Mutex::new(None),
            name,
            steal_order: crate::steal::RandomOrder::new(procs as u32),
            single,
            home: OnceLock::new(),
            locked_threads: Mutex::new(Vec::new()),
            cancel_over: AtomicBool::new(false),
            poller: OnceLock::new(),
            poller_init: Mutex::new(()),
            deadlock: crate::deadlock::Detector::new(detect),
            on_panic: options.on_panic,
        })
    }

    /// Nanoseconds since the runtime started (Go's `nanotime`, relative).
    #[inline]
    pub(crate) fn nanotime(&self) -> u64 {
        self.clock.now()
    }

    /// `t` on the `nanotime` scale (saturating: see `clock.rs`).
    #[inline]
    pub(crate) fn instant_to_ns(&self, t: Instant) -> u64 {
        self.clock.ns_of(t)
    }

    /// The `Instant` of `ns` on the `nanotime` scale.
    pub(crate) fn ns_to_instant(&self, ns: u64) -> Instant {
        self.clock.instant_of(ns)
    }

    /// Goroutines spawned in total.
    pub(crate) fn spawned(&self) -> u64 {
        let per_p: u64 = self.ps.iter().map(|p| p.spawned.load(Relaxed)).sum();
        per_p + self.spawned_nop.load(Relaxed)
    }

    /// Goroutines spawned and not finished (a snapshot).
    pub(crate) fn live(&self) -> usize {
        let finished: u64 = self.ps.iter().map(|p| p.finished.load(Relaxed)).sum::<u64>()
            + self.finished_nop.load(Relaxed);
        self.spawned().saturating_sub(finished) as usize
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Takes an idle P (Go's `pidleget`): acquired, status `Running`.
    pub(crate) fn pidleget(&self) -> Option<OwnedP<'_>> {
        let i = lock(&self.idle_ps).pop()?;
        self.spin.p_left_idle();
        // SAFETY: P `i` was on the idle list, and this thread took it off under the lock.
        Some(unsafe { OwnedP::acquire(&self.ps[i]) })
    }

    /// Puts an owned P on the idle list (Go's `pidleput`).
    pub(crate) fn pidleput(&self, p: OwnedP<'_>) {
        let i = p.id();
        // Relaxed: null publishes nothing.
        p.p().cur_g.store(std::ptr::null_mut(), Relaxed);
        p.set_idle();
        lock(&self.idle_ps).push(i);
        self.spin.p_went_idle();
    }

    /// After publishing work where no running P is sure to see it (the global queue): the
    /// fenced check of `SpinState::should_wake`, then `startm`.
    #[inline]
    pub(crate) fn wake_if_needed(&self) {
        if self.spin.should_wake() {
            self.startm(None, true);
        }
    }

    /// After pushing onto the local queue of the caller's own, running P: the unfenced
    /// check (`SpinState::should_wake_local`) — a missed wake-up costs parallelism only.
    #[inline]
    pub(crate) fn wake_after_local_push(&self) {
        if self.spin.should_wake_local() {
            self.startm(None, true);
        }
    }

    /// Go's `startm`: run an M on P `p` (or on an idle P if `None`). `spinning`: the caller
    /// claimed the spinner slot for it, and gives it back if no P or M can be had.
    #[cold]
    pub(crate) fn startm(&self, p: Option<OwnedP<'_>>, spinning: bool) {
        let Some(p) = p.or_else(|| self.pidleget()) else {
            if spinning {
                self.spin.cancel_wake();
            }
            return;
        };
        if self.is_shutdown() {
            self.pidleput(p);
            if spinning {
                self.spin.cancel_wake();
            }
            return;
        }
        if let Some(home) = self.home.get() {
            // Single-thread: the P goes to the one M, wherever it is in its loop. Off the
            // idle list first (an entry it pushes again before it parks stays until its next
            // `stopm`, which does not add a second: `stopm` reads `nextp` after every
            // wake-up, and this is the only waker, since it holds the only P).
            self.remove_idle_m(home);
            home.hand_p(p.hand_over(), spinning);
            home.parker.unpark();
            // The M may be blocked in the poller rather than parked (`netpoll`).
            self.wake_poller();
            return;
        }
        if let Some(m) = lock(&self.idle_ms).pop() {
            m.hand_p(p.hand_over(), spinning);
            m.parker.unpark();
            return;
        }
        if let Err((handed, e)) = self.new_m(Some(p.hand_over()), spinning) {
            self.pidleput(handed.expect("startm: the P comes back").receive(&self.ps));
            if spinning {
                self.spin.cancel_wake();
            }
            // The first hit prints: the count before this one is 0 for exactly one caller.
            if self.counters.thread_limit_hits.fetch_add(1, Relaxed) == 0 {
                eprintln!("gpm: {e}");
            }
        }
    }

    /// Single-thread: starts the one M, holding the one P (`Runtime`'s build).
    pub(crate) fn start_home_m(&self) -> io::Result<()> {
        let p = self.pidleget().expect("start_home_m: the P is idle at build");
        self.new_m(Some(p.hand_over()), false).map_err(|(handed, e)| {
            self.pidleput(handed.expect("start_home_m: the P comes back").receive(&self.ps));
            e
        })
    }

    /// Starts a new M thread holding `p`. On failure `p` comes back with the error.
    fn new_m(
        &self,
        p: Option<HandOff>,
        spinning: bool,
    ) -> Result<(), (Option<HandOff>, io::Error)> {
        if self.single && self.nthreads.load(Relaxed) > 0 {
            panic!("new_m: a second M for single-thread runtime `{}`", self.name);
        }
        let n = self.nthreads.fetch_add(1, Relaxed);
        if n >= self.max_threads {
            self.nthreads.fetch_sub(1, Relaxed);
            let e = io::Error::other(format!(
                "runtime `{}` reached its thread limit max_threads = {} (goroutines blocked \
                 in `blocking` or locked to threads hold them); the work waits for a thread \
                 to come back. Raise it with Runtime::builder().max_threads(n).",
                self.name, self.max_threads
            ));
            return Err((p, e));
        }
        let id = self.next_mid.fetch_add(1, Relaxed);
        let sched = self.arc();
        // The P rides in a slot the thread empties, so that a failed spawn (which drops the
        // closure) gives it back.
        let slot = Arc::new(Mutex::new(p));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("gpm-m{id}"))
            .spawn(move || crate::schedule::m_main(sched, id, lock(&theirs).take(), spinning));
        match spawned {
            Ok(h) => {
                lock(&self.threads).push(h);
                Ok(())
            }
            Err(e) => {
                self.nthreads.fetch_sub(1, Relaxed);
                let msg = crate::m::m_spawn_error(
                    &self.name,
                    &e,
                    n,
                    self.max_threads,
                    crate::m::process_threads(),
                );
                Err((lock(&slot).take(), io::Error::new(e.kind(), msg)))
            }
        }
    }

    /// An `Arc` to this `Sched` (every `Sched` lives in an `Arc`; see `Runtime`).
    pub(crate) fn arc(&self) -> Arc<Sched> {
        // SAFETY: every `Sched` is created by `Runtime::build` inside an `Arc` and is only
        // reached through it (or through an M/G that holds one), so the strong count is ≥ 1
        // while `self` is borrowed.
        unsafe {
            Arc::increment_strong_count(self as *const Sched);
            Arc::from_raw(self as *const Sched)
        }
    }

    /// Go's `handoffp`: the owner of P `i` gives it up (sysmon after a retake, an M in a
    /// long `blocking`, a locked M): start an M on it if there is work, else idle it.
    pub(crate) fn handoffp(&self, p: OwnedP<'_>) {
        self.counters.handoffs.fetch_add(1, Relaxed);
        if self.is_shutdown() {
            self.pidleput(p);
            return;
        }
        if !p.p().stealer.is_empty() || !self.global.is_empty() {
            self.startm(Some(p), false);
            return;
        }
        if self.spin.spinning() + self.spin.idle_ps() == 0 && self.spin.claim_spinner() {
            self.startm(Some(p), true);
            return;
        }
        if let Some(poller) = self.poller.get()
            && poller.has_waiters()
            && !poller.someone_blocks()
            && self.spin.idle_ps() + 1 == self.procs
        {
            // The last P, goroutines wait in the poller and nobody polls: keep an M to
            // poll (`netpoll`, poll point 4).
            self.startm(Some(p), false);
            return;
        }
        self.pidleput(p);
        // A submitter that saw no idle P (npidle was 0) before the line above may have
        // queued work nobody looks at: the same fenced re-check as a parking M.
        if !self.global.is_empty() {
            self.wake_if_needed();
        }
    }

    /// Go's `stopm`: park `m` on the idle list until handed a P, or until `deadline`.
    /// Returns the P (acquired) and whether the M was made a spinner.
    pub(crate) fn stopm(&self, m: &Arc<M>, deadline: Option<Instant>) -> Option<(HandOff, bool)> {
        {
            let mut idle = lock(&self.idle_ms);
            // A single-thread runtime's waker does not pop its M (`startm`), so the M may
            // find its entry still there from last time: never more than one.
            if !(self.single && idle.iter().any(|x| Arc::ptr_eq(x, m))) {
                idle.push(m.clone());
            }
        }
        // Go's `mput` checks here: this may be the last M to go idle.
        crate::deadlock::check(self);
        loop {
            if self.is_shutdown() {
                self.remove_idle_m(m);
                return m.take_nextp();
            }
            let woken = m.parker.park(deadline);
            if let Some(next) = m.take_nextp() {
                return Some(next);
            }
            if !woken || self.is_shutdown() || deadline.is_some() {
                // Timed out, shutting down, or (a timer watcher) nudged to re-read the
                // earliest deadline: leave the idle list, unless a waker popped us already,
                // in which case its `nextp` and `unpark` are on the way.
                if self.remove_idle_m(m) {
                    return None;
                }
                loop {
                    if let Some(next) = m.take_nextp() {
                        return Some(next);
                    }
                    m.parker.park(None);
                }
            }
        }
    }

    fn remove_idle_m(&self, m: &Arc<M>) -> bool {
        let mut idle = lock(&self.idle_ms);
        match idle.iter().position(|x| Arc::ptr_eq(x, m)) {
            Some(i) => {
                idle.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Ms parked on the idle list.
    pub(crate) fn idle_ms(&self) -> usize {
        lock(&self.idle_ms).len()
    }

    /// Runs `f` with the number of Ms on the idle list, holding its lock: no idle M is
    /// handed a P meanwhile (`deadlock.rs`).
    pub(crate) fn with_idle_ms<R>(&self, f: impl FnOnce(usize) -> R) -> R {
        let idle = lock(&self.idle_ms);
        f(idle.len())
    }

    pub(crate) fn register_m(&self, m: Arc<M>) {
        lock(&self.allm).push(m);
    }

    /// Wakes every M and sysmon (shutdown).
    pub(crate) fn wake_all(&self) {
        for m in lock(&self.allm).iter() {
            m.parker.unpark();
        }
        self.wake_poller();
        self.sysmon.unpark();
    }

    /// Breaks the M blocked in the poller, if there is a poller.
    pub(crate) fn wake_poller(&self) {
        if let Some(p) = self.poller.get() {
            p.wake();
        }
    }

    /// Moves the calling M thread's handle from `threads` to `locked_threads` (a locked M
    /// at shutdown, which outlives the others: `runtime::cancel_on_locked_m`).
    pub(crate) fn set_own_thread_aside(&self) {
        let me = std::thread::current().id();
        loop {
            let mut threads = lock(&self.threads);
            if let Some(i) = threads.iter().position(|h| h.thread().id() == me) {
                let h = threads.swap_remove(i);
                lock(&self.locked_threads).push(h);
                return;
            }
            // `new_m` pushes the handle just after the spawn returns.
            drop(threads);
            std::thread::yield_now();
        }
    }

    /// Joins every M thread (shutdown).
    pub(crate) fn join_threads(&self) {
        loop {
            let hs: Vec<_> = lock(&self.threads).drain(..).collect();
            if hs.is_empty() {
                return;
            }
            for h in hs {
                let _ = h.join();
            }
        }
    }

    /// Go's `goready`: `g` (just moved out of `PARKED` by the caller) becomes runnable —
    /// into the current P's `runnext` when called on an M of this runtime, else into the
    /// global queue; then wake an M if an idle P and no spinner exist.
    pub(crate) fn ready(&self, g: GRef) {
        g.set_status(GStatus::Runnable);
        if self.is_shutdown() {
            return;
        }
        let pushed = self.with_local_p(|p| crate::runnext::push(self, p, g));
        self.after_ready(pushed, g);
    }

    /// `ready` from code that holds `p` (or no P at all, `None`), on an M's own stack (the
    /// timers it runs).
    pub(crate) fn ready_into(&self, p: Option<&mut OwnedP<'_>>, g: GRef) {
        g.set_status(GStatus::Runnable);
        if self.is_shutdown() {
            return;
        }
        let pushed = p.map(|p| crate::runnext::push(self, p, g));
        self.after_ready(pushed, g);
    }

    /// `ready`'s wake-up, after `runnext::push` (`Some`), or the global queue for no P.
    #[inline]
    fn after_ready(&self, pushed: Option<bool>, g: GRef) {
        match pushed {
            None => {
                self.global.push(g);
                self.wake_if_needed();
            }
            Some(ring) => crate::runnext::wake_after_push(self, ring),
        }
    }

    /// `ready` from a goroutine in its last step (the join hand-off): `g` becomes its M's
    /// successor (`runnext.rs`, rule 6), or, anywhere else, is readied as usual.
    pub(crate) fn ready_on_exit(&self, g: GRef) {
        if !crate::runnext::offer_successor(self, g) {
            self.ready(g);
        }
    }
}

/// Locks, ignoring poisoning: the scheduler's critical sections do not panic midway.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps the calling plain thread (used by sysmon).
pub(crate) fn sleep_on(parker: &Parker, d: Duration) {
    parker.park(Instant::now().checked_add(d));
}

impl Drop for Sched {
    fn drop(&mut self) {
        for g in lock(&self.allgs).drain(..) {
            // SAFETY: the last reference to the runtime is going away: no M runs, no queue
            // or waker can reach a G any more, and each G in `allgs` was made by `GRef::alloc`.
            unsafe { g.free() };
        }
    }
}
