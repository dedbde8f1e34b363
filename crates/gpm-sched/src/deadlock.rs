//! Deadlock detection (Go's `checkdead`), opt-in: `RuntimeBuilder::detect_deadlock(true)`
//! or `GPM_DEBUG=checkdead=1`.
//!
//! # The rule
//! A runtime is dead when, at one moment, every M is idle (on the idle list, waiting for
//! its locked G, or blocked in the poller with nothing to poll for), none is inside
//! `blocking` (no G in `Syscall`, no call on a single-thread runtime's helper thread), no
//! goroutine waits in the netpoller, no timer is armed on any P, every run queue is empty,
//! no G is runnable or running, and at least one G is parked. Then nothing inside the
//! runtime can ever wake a goroutine again: it prints `gpm: all goroutines are asleep -
//! deadlock!` and the dump on stderr, and every `block_on` waiting on the runtime panics
//! in its caller with a [`Deadlock`] holding the dump.
//!
//! # Where it is checked (as Go)
//! An M going idle (`Sched::stopm`, after it is on the idle list; Go's `mput`), an M
//! whose locked G parked (`lockosthread::wait_locked`; Go's `incidlelocked`), and
//! sysmon's idle rounds. The check runs under the idle-M lock: no idle M can be handed a
//! P meanwhile (`startm` pops under that lock), so a G readied during the check stays in a
//! queue, `Runnable`, where the check sees it. Everything an M did before it went idle
//! happens before the check (the lock orders it).
//!
//! # Plain threads
//! Go's rule knows only goroutines; here plain threads can wake goroutines too (a channel
//! send from a thread), so "all asleep" is not decidable in general. Detection counts the
//! threads gpm has seen — one that has parked in a gpm call, or woken a goroutine of a
//! runtime with detection on (`threads.rs`) — as goroutines are counted: while such a
//! thread is parked in a gpm call with no deadline it is asleep, otherwise it is awake and
//! may wake a goroutine, and nothing is reported. A thread gpm has never seen (and a
//! goroutine of another runtime) is assumed never to wake a goroutine of this one; a
//! thread that wakes one for the first time after the runtime went quiet gets a false
//! report. `block_on`'s own caller waits on the runtime's main goroutine: it is a thread
//! asleep in `join`, never a waker.
//!
//! Nothing is reported while nobody waits on the runtime (no `block_on`, no thread
//! asleep in a gpm call): a quiet runtime with parked goroutines is not a hung program.
//! One state is reported once (`signature`): sysmon's next rounds find it again.
//!
//! Rejected: a grace period before reporting (any delay is either too short for a slow
//! thread or too long for a test; the thread accounting decides instead).

pub(crate) mod threads;

use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock};

use crate::g::GStatus;
use crate::park::Unparker;
use crate::sched::{Sched, lock};
use crate::spawn::JoinHandle;

/// The panic payload of a [`Runtime::block_on`](crate::Runtime::block_on) whose runtime
/// deadlocked (with deadlock detection on: [`RuntimeBuilder::detect_deadlock`]): every
/// goroutine was asleep with nothing left to wake it. The same report was printed on
/// stderr.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::panic::{AssertUnwindSafe, catch_unwind};
/// let rt = gpm::Runtime::builder().detect_deadlock(true).build_single_thread()?;
/// let r = catch_unwind(AssertUnwindSafe(|| {
///     rt.block_on(|| {
///         let (_keep, rx) = std::sync::mpsc::channel::<()>();
///         let waiter = gpm::go(move || gpm::park::park(gpm::park::WaitReason::Park));
///         waiter.join().unwrap(); // waits for a goroutine that waits forever
///         drop(rx);
///     })
/// }));
/// let deadlock = r.unwrap_err().downcast::<gpm::Deadlock>().unwrap();
/// assert!(deadlock.to_string().starts_with("all goroutines are asleep - deadlock!"));
/// assert!(deadlock.dump().contains("[join"), "{}", deadlock.dump());
/// assert!(deadlock.dump().contains("[park"), "{}", deadlock.dump());
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`RuntimeBuilder::detect_deadlock`]: crate::RuntimeBuilder::detect_deadlock
#[derive(Debug, Clone)]
pub struct Deadlock {
    dump: Arc<str>,
}

impl Deadlock {
    /// The goroutine dump taken when the deadlock was found (as [`Runtime::dump`]).
    ///
    /// [`Runtime::dump`]: crate::Runtime::dump
    pub fn dump(&self) -> &str {
        &self.dump
    }
}

impl std::fmt::Display for Deadlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "all goroutines are asleep - deadlock!\n\n{}", self.dump)
    }
}

impl std::error::Error for Deadlock {}

/// A runtime's detector state (in its `Sched`).
#[derive(Debug, Default)]
pub(crate) struct Detector {
    pub(crate) enabled: bool,
    /// `block_on` callers waiting on this runtime.
    waiters: Mutex<Vec<Arc<BlockOnWait>>>,
    /// The signature of the last state reported.
    reported: Mutex<Option<u64>>,
    /// Ms asleep until their locked G comes back (Go's `nmidlelocked`).
    locked_idle: AtomicUsize,
}

#[derive(Debug)]
struct BlockOnWait {
    caller: Unparker,
    dead: OnceLock<Arc<str>>,
}

impl Detector {
    pub(crate) fn new(enabled: bool) -> Detector {
        if enabled {
            threads::note_detecting();
        }
        Detector { enabled, ..Detector::default() }
    }
}

/// `block_on`'s join, with detection on: joins `h`, or panics in the caller with a
/// [`Deadlock`] if the runtime deadlocks first (the goroutine is then detached).
#[track_caller]
pub(crate) fn join_block_on<T>(sched: &Sched, h: JoinHandle<T>) -> std::thread::Result<T> {
    let me = Arc::new(BlockOnWait { caller: crate::park::unparker(), dead: OnceLock::new() });
    lock(&sched.deadlock.waiters).push(me.clone());
    let registered = Registered(sched, &me);
    let r = h.join_unless(|| me.dead.get().is_some());
    drop(registered);
    match r {
        Some(r) => r,
        None => {
            let dump = me.dead.get().expect("join_block_on: given up without a report").clone();
            std::panic::resume_unwind(Box::new(Deadlock { dump }))
        }
    }
}

/// Takes a `block_on` caller off the list, also when it unwinds.
struct Registered<'a>(&'a Sched, &'a Arc<BlockOnWait>);

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.0.deadlock.waiters).retain(|w| !Arc::ptr_eq(w, self.1));
    }
}

/// An M whose locked G parked is about to sleep (`lockosthread::wait_locked`): counted
/// idle until `locked_m_woke`, and a check.
pub(crate) fn locked_m_sleeps(sched: &Sched) {
    if sched.deadlock.enabled {
        // Release: pairs with the Acquire load in `dead`; the check below sees it anyway.
        sched.deadlock.locked_idle.fetch_add(1, Release);
        check(sched);
    }
}

pub(crate) fn locked_m_woke(sched: &Sched) {
    if sched.deadlock.enabled {
        sched.deadlock.locked_idle.fetch_sub(1, Release);
    }
}

/// Checks the runtime for a deadlock and reports it (module docs). A no-op unless
/// detection is on.
#[inline]
pub(crate) fn check(sched: &Sched) {
    if sched.deadlock.enabled {
        check_slow(sched);
    }
}

#[cold]
#[inline(never)]
fn check_slow(sched: &Sched) {
    if sched.is_shutdown() || crate::context::unwinding() {
        return;
    }
    if lock(&sched.deadlock.waiters).is_empty() && !threads::someone_asleep() {
        return;
    }
    if let Some(sig) = sched.with_idle_ms(|idle| dead(sched, idle)) {
        report(sched, sig);
    }
}

/// The rule (module docs), with `idle_ms` Ms on the idle list, under its lock: the state's
/// signature if the runtime is dead.
fn dead(sched: &Sched, idle_ms: usize) -> Option<u64> {
    let poller = sched.poller();
    let in_poller = poller.is_some_and(|p| p.someone_blocks());
    let idle = idle_ms + sched.deadlock.locked_idle.load(Acquire) + usize::from(in_poller);
    // Acquire: pairs with the Release decrement of an exiting M.
    if idle < sched.nthreads.load(Acquire) {
        return None;
    }
    if threads::someone_awake()
        || sched.counters.offloaded.load(Acquire) != 0
        || poller.is_some_and(|p| p.has_waiters())
        || crate::timers::earliest(sched).is_some()
        || !sched.global.is_empty()
        || sched.ps.iter().any(|p| p.runq_len() != 0)
    {
        return None;
    }
    let mut parked = 0;
    for g in lock(&sched.allgs).iter() {
        match g.status() {
            GStatus::Runnable | GStatus::Running | GStatus::Syscall => return None,
            GStatus::Waiting => parked += 1,
            GStatus::Idle | GStatus::Dead => {}
        }
    }
    (parked > 0).then(|| signature(sched))
}

/// Changes whenever a goroutine runs or is spawned: the same dead state is reported once.
fn signature(sched: &Sched) -> u64 {
    let resumes: u64 = sched.ps.iter().map(|p| p.resumes.load(Relaxed)).sum();
    resumes.wrapping_add(sched.spawned())
}

#[cold]
fn report(sched: &Sched, sig: u64) {
    {
        let mut last = lock(&sched.deadlock.reported);
        if *last == Some(sig) {
            return;
        }
        *last = Some(sig);
    }
    let dump: Arc<str> = crate::stats::dump(sched).into();
    eprintln!("gpm: all goroutines are asleep - deadlock!\n\n{dump}");
    for w in lock(&sched.deadlock.waiters).iter() {
        let _ = w.dead.set(dump.clone());
        w.caller.unpark();
    }
}
