//! Cancelling a dropped runtime's unfinished goroutines without hanging on their
//! destructors.
//!
//! Unwinding a suspended coroutine runs its destructors, and a destructor may block: join a
//! child goroutine, send to a goroutine that is itself being cancelled, lock a mutex held by
//! one. No M runs any more, so such a park is a plain thread park that only another
//! cancellation (dropping the other end) can end — and if every coroutine were unwound on
//! one thread, in turn, a destructor waiting for a later one would wait forever.
//!
//! So coroutines are unwound by helper threads taking them from a shared queue, one at a
//! time. The dropping thread watches the progress: when none is made for `STALL` while
//! coroutines wait, it starts another helper (up to `MAX_HELPERS`), so a blocked destructor
//! holds up only its own helper and the others go on (their progress often unblocks it:
//! a dropped `Receiver` disconnects the channel a destructor sends on). When nothing moves
//! for `GIVE_UP`, drop returns: the goroutines still unwinding are named on stderr and
//! finish (or stay blocked) on their detached helpers, which keep the runtime's memory
//! alive — a leak, never a hang, never a use-after-free.
//!
//! A goroutine locked to its M (`lock_os_thread`) is unwound on that M's thread, which
//! outlives the others for this (`runtime::cancel_on_locked_m`): it may hold what it
//! borrowed from the thread. It counts as a helper here: a blocked destructor there stalls
//! only it, and the dropping thread's watch covers it.
//!
//! A single-thread runtime is the exception: its goroutines never change threads, not even
//! to be cancelled (their creator made no promise). Its home M unwinds them itself, in
//! turn, once its schedule loop is over (`unwind_here`), and the dropping thread watches
//! its progress with the same `GIVE_UP` (`wait_for_home`); a destructor there that waits
//! for a goroutine unwound later waits until the drop gives up on it.
//!
//! Rejected: unwinding on the dropping thread (hangs, above); making parks on the
//! cancelling thread return at once (every wait loop re-checks its condition and would spin
//! forever when the condition depends on another cancelled goroutine).
//!
//! ## Panics during cancellation
//! Unwinding a suspended coroutine (corosensei's forced unwind: a private payload thrown
//! from the suspension point) runs its destructors as cleanup of an unwind in progress. A
//! destructor that panics there aborts the process, as it would on any thread: rustc
//! makes every cleanup block's own unwind edge call `panic_in_cleanup` (a non-unwinding
//! panic), so the process ends with `panic in a destructor during cleanup` after the panic
//! hook printed the destructor's own message, on a `gpm-cancel` thread. Nothing outside
//! that frame can catch it: the abort is taken inside the coroutine, before control could
//! return to `discard(co)` here. The only ways to avoid it would be not to unwind (leak every
//! destructor of every cancelled goroutine) or to make parks return and let the code run
//! on (rejected above). So destructors of cancelled goroutines must neither block nor
//! panic (`Runtime`'s docs).
//!
//! A panic that escapes a cancelled goroutine *outside* such cleanup does reach the
//! helper: code that caught the forced unwind with `catch_unwind` and then panicked (a
//! destructor run after the catch, an `unwrap` of the caught result). The helper catches
//! it, names the goroutine on stderr, counts it (`Stats::cancel_panics`, read through
//! `Runtime::shutdown`), and goes on with the other goroutines.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cobox::CoBox;

use crate::g::GRef;
use crate::sched::{Sched, lock};

/// The unfinished goroutines of a dropped runtime, with their coroutines.
pub(super) type Todo = Vec<(GRef, CoBox)>;

/// The unfinished goroutines locked to an M (`lock_os_thread`), with that M: each is
/// unwound on its own M's thread, which waits for it (`runtime::cancel_on_locked_m`).
pub(super) type Locked = Vec<(Arc<crate::m::M>, GRef, CoBox)>;

/// One locked goroutine to unwind on its M, handed over by `unwind_all`.
pub(crate) struct OnItsM {
    shared: Arc<Shared>,
    g: GRef,
    co: CoBox,
}

impl OnItsM {
    /// Unwinds the goroutine here (its M's thread) and counts it.
    pub(crate) fn run(self) {
        unwind_one(&self.shared, self.g, self.co);
    }
}

/// No progress for this long while coroutines wait: start another helper.
const STALL: Duration = Duration::from_millis(20);
/// No progress for this long: stop waiting, report, leave the rest to the helpers.
const GIVE_UP: Duration = Duration::from_secs(2);
/// Most helpers per runtime drop (each blocked destructor holds one).
const MAX_HELPERS: usize = 64;

struct Shared {
    state: Mutex<State>,
    progress: Condvar,
    /// Keeps the `G`s (and the stack pool) allocated while a helper may still touch them.
    sched: Arc<Sched>,
}

struct State {
    /// Unwound on helper threads: `SendCoroutine`s, whose migration promise covers that
    /// (`gfree::new_coroutine`).
    todo: VecDeque<(GRef, CoBox)>,
    /// Goroutines being unwound now (by id), for the report.
    running: Vec<GRef>,
    /// Coroutines fully unwound so far.
    done: usize,
}

/// Unwinds every coroutine in `todo` on helpers, and each of `locked` on its own M (see
/// the module docs). Returns `true` when all are unwound, `false` when no progress was made
/// for `GIVE_UP` (after reporting the stuck goroutines).
pub(super) fn unwind_all(sched: &Sched, todo: Todo, locked: Locked) -> bool {
    if todo.is_empty() && locked.is_empty() {
        return true;
    }
    let total = todo.len() + locked.len();
    let running = locked.iter().map(|(_, g, _)| *g).collect();
    let shared = Arc::new(Shared {
        state: Mutex::new(State { todo: todo.into(), running, done: 0 }),
        progress: Condvar::new(),
        sched: sched.arc(),
    });
    for (m, g, co) in locked {
        *lock(&m.cancel_job) = Some(OnItsM { shared: shared.clone(), g, co });
        m.parker.unpark();
    }
    let mut helpers: Vec<JoinHandle<()>> = Vec::new();
    let mut st = lock(&shared.state);
    let mut seen = 0;
    let mut last_progress = Instant::now();
    while st.done < total {
        if st.done != seen {
            seen = st.done;
            last_progress = Instant::now();
        }
        let stalled = last_progress.elapsed();
        if stalled >= GIVE_UP {
            report(sched, &st, total);
            return false; // the helpers are left to finish (or stay blocked), detached
        }
        let want_helper = !st.todo.is_empty()
            && helpers.len() < MAX_HELPERS
            && (helpers.is_empty() || stalled >= STALL);
        if want_helper {
            let s = shared.clone();
            match std::thread::Builder::new().name("gpm-cancel".into()).spawn(move || helper(&s)) {
                Ok(h) => helpers.push(h),
                Err(e) if helpers.is_empty() => {
                    eprintln!(
                        "gpm: cannot start a thread to cancel goroutines ({e}); leaking them"
                    );
                    // Forgetting leaks the stacks but runs no destructor that could block.
                    st.todo.drain(..).for_each(|(_, co)| std::mem::forget(co));
                    // Their queued waiters name the runtime without owning it
                    // (`park::WaitHandle`): its memory stays with the leaked stacks.
                    std::mem::forget(sched.arc());
                    return false;
                }
                Err(_) => {}
            }
            last_progress = Instant::now();
        }
        st = shared
            .progress
            .wait_timeout(st, STALL)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    drop(st);
    for h in helpers {
        let _ = h.join();
    }
    true
}

/// A single-thread runtime's cancellation, on its home M after its schedule loop (see
/// `runtime::cancel_on_home`): one goroutine after another, on the thread they ran on. A
/// destructor that waits for a goroutine unwound later waits for good here (no second
/// thread may unwind that one): the dropping thread gives up on it (`wait_for_home`).
pub(super) fn unwind_here(sched: &Sched, todo: Todo, locked: Locked) -> bool {
    debug_assert!(locked.is_empty(), "unwind_here: a single-thread runtime locks no G to its M");
    for (g, co) in todo {
        if let Err(payload) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || discard(co)))
        {
            report_panic(sched, g, &*payload);
        }
        sched.counters.unwound_on_home.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    true
}

/// The dropping thread of a single-thread runtime: waits for its home M to cancel the
/// goroutines and exit, as long as it makes progress. `false`: no progress for `GIVE_UP`
/// (a destructor blocked); the home thread is left to finish on its own, detached, and the
/// runtime's memory stays with it.
pub(super) fn wait_for_home(sched: &Sched) -> bool {
    use std::sync::atomic::Ordering::{Acquire, Relaxed};
    let mut seen = u64::MAX;
    let mut last_progress = Instant::now();
    loop {
        sched.wake_all();
        // Acquire; pairs with the Release decrement at the end of `m_main`.
        if sched.nthreads.load(Acquire) == 0 {
            sched.join_threads();
            return true;
        }
        // 0 until the home M starts cancelling: until then it runs goroutines (one without
        // a scheduling point, or inside `blocking`), and drop waits for them, as a
        // migrating runtime's does.
        let now = sched.counters.unwound_on_home.load(Relaxed);
        if now != seen || now == 0 {
            seen = now;
            last_progress = Instant::now();
        } else if last_progress.elapsed() >= GIVE_UP {
            eprintln!(
                "gpm: single-thread runtime `{}` dropped: its thread made no progress \
                 cancelling goroutines for {GIVE_UP:?} ({} unwound; a destructor of a \
                 cancelled goroutine blocked); the thread is left to finish on its own and \
                 its memory is leaked",
                sched.name,
                seen - 1
            );
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A helper's loop: take a coroutine, unwind it (destructors run here), count it.
fn helper(shared: &Shared) {
    loop {
        let (g, co) = {
            let mut st = lock(&shared.state);
            let Some(item) = st.todo.pop_front() else { return };
            st.running.push(item.0);
            item
        };
        unwind_one(shared, g, co);
    }
}

/// A coroutine of the runtime being dropped goes for good, its stack with it
/// (`Stack::discard`; a suspended job is unwound first, on the calling thread). Back in the
/// pool, the stack would be queued for an `MADV_DONTNEED` of memory that the pool's `trim`
/// unmaps a moment later.
pub(super) fn discard(co: CoBox) {
    co.into_stack().discard();
}

/// Unwinds `g` (destructors run on the calling thread) and counts it.
fn unwind_one(shared: &Shared, g: GRef, co: CoBox) {
    // A destructor that panics during the unwind aborts inside the coroutine; what arrives
    // here escaped outside cleanup (module docs): report it, go on.
    if let Err(payload) =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || discard(co)))
    {
        report_panic(&shared.sched, g, &*payload);
    }
    let mut st = lock(&shared.state);
    st.running.retain(|x| *x != g);
    st.done += 1;
    shared.progress.notify_all();
}

/// A panic escaped goroutine `g` while it was being cancelled: count it and name it.
fn report_panic(sched: &Sched, g: GRef, payload: &(dyn std::any::Any + Send)) {
    use std::sync::atomic::Ordering::Relaxed;
    sched.counters.cancel_panics.fetch_add(1, Relaxed);
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string payload");
    eprintln!(
        "gpm: runtime `{}` dropped: {} panicked while being cancelled ({msg}); the other \
         goroutines are still unwound (code in a cancelled goroutine caught the cancellation \
         and panicked after it)",
        sched.name,
        describe(g)
    );
}

fn report(sched: &Sched, st: &State, total: usize) {
    let stuck: Vec<String> = st.running.iter().map(|g| describe(*g)).collect();
    eprintln!(
        "gpm: runtime `{}` dropped: {} of {total} cancelled goroutines did not finish \
         unwinding for {GIVE_UP:?} (a destructor of a cancelled goroutine blocked: \
         destructors must not wait for other goroutines); they continue on detached \
         threads and their memory is leaked: {}",
        sched.name,
        total - st.done,
        stuck.join(", ")
    );
}

/// "goroutine 7 \"name\" (spawned at file:line)", for diagnostics.
pub(super) fn describe(g: GRef) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let id = g.id.load(Relaxed);
    let name = lock(&g.name).as_deref().map(|n| format!(" {n:?}")).unwrap_or_default();
    let loc = g.location.load(Relaxed);
    // SAFETY: `location` is null or a `&'static Location` stored at spawn.
    let at = unsafe { loc.as_ref() }.map(|l| format!(" (spawned at {l})")).unwrap_or_default();
    format!("goroutine {id}{name}{at}")
}
