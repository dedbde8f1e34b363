//! `blocking(f)`: Go's `entersyscall` / `exitsyscall`. While `f` runs, the M keeps its P in
//! status `Syscall`; if `f` takes long and the P has work, sysmon retakes the P and hands it
//! to another M (`sysmon.rs`), so a blocking call never starves the other goroutines.
//!
//! On return the fast path is one CAS `Syscall → Running` (`ownership.rs`). If sysmon took the P, the G
//! takes an idle P if there is one, else switches to its M asking to be queued globally
//! (`Action::NoP`); the M, now without a P, parks (Go's `exitsyscall0`).

use std::sync::atomic::Ordering::*;

use crate::context::current_g;
use crate::g::{Action, GRef, GStatus};

/// Runs `f`, a call that may block the thread (file I/O, a lock, `thread::sleep`, FFI),
/// without stalling the other goroutines of the runtime. On a plain thread it just runs `f`.
/// Nested inside another `blocking`, it just runs `f`.
///
/// `f` may park the goroutine (receive from a channel, join, lock a `gpm::sync` type,
/// `yield_now`): the park leaves the syscall state first, so the P goes on running other
/// goroutines, and re-enters it when the goroutine resumes.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::time::Duration;
/// // SAFETY: the goroutines below hold no thread-local and no thread-bound value across
/// // a park.
/// let rt = unsafe { gpm::Runtime::builder().procs(1).build() }?;
/// let (quick, slow) = rt.block_on(|| {
///     // A call that blocks its thread (file I/O, FFI, a std lock): the runtime's one P
///     // goes on running the other goroutines on another thread meanwhile.
///     let slow = gpm::go(|| {
///         gpm::blocking(|| {
///             std::thread::sleep(Duration::from_millis(5));
///             "read"
///         })
///     });
///     let quick = gpm::go(|| 1 + 1).join().unwrap();
///     (quick, slow.join().unwrap())
/// });
/// assert_eq!((quick, slow), (2, "read"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// On a [single-thread runtime](crate::RuntimeBuilder::build_single_thread), which has no
/// other thread to hand its work to, `f` runs on a helper thread instead while the
/// goroutine parks (hence `Send`), so the runtime's thread goes on with the others; a panic
/// in `f` is resumed in the goroutine. `f` is then plain-thread code: a `gpm::go` in it
/// spawns on the default runtime, not on the caller's (use [`Runtime::go`](crate::Runtime::go)
/// on a handle to it), and its blocking calls block the helper.
///
/// # Stack
/// On a migrating runtime `f` runs on the calling goroutine's own stack: the runtime's stack
/// size (256 KiB by default) or the goroutine's
/// [`Builder::stack_size`](crate::Builder::stack_size), not a thread's megabytes. A C
/// library or a deep recursion that needs more overflows it, and a stack overflow aborts
/// the process (`goroutine N has overflowed its stack`). Give such goroutines a larger stack
/// ([`Builder::stack_size`](crate::Builder::stack_size), or
/// [`RuntimeBuilder::stack_size`](crate::RuntimeBuilder::stack_size) for all), or run the
/// call on a thread of your own and wait for its answer from the goroutine (a channel).
#[track_caller]
pub fn blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    let Some(g) = current_g() else { return f() };
    // SAFETY: `g.m` is the M running `g` (the caller), alive with its runtime.
    let sched = unsafe { (*g.m.get()).sched() };
    if sched.single {
        return crate::offload::run(sched, f);
    }
    if g.status() == GStatus::Syscall {
        // Nested: entering again would find the P already in `Syscall`, drop it, and leave
        // it stranded there until sysmon retakes it.
        return f();
    }
    enter(g);
    let exit = Exit(g);
    let r = f();
    drop(exit);
    r
}

/// Calls `exit` even if `f` panics.
struct Exit(GRef);

impl Drop for Exit {
    fn drop(&mut self) {
        exit(self.0);
    }
}

/// A goroutine inside `blocking` is about to switch away (park, yield): do the exit first —
/// the P back to `Running`, or another P, or queue up with none, as `blocking`'s own
/// return does — so the P does not sit in `Syscall`, stranded until sysmon retakes it
/// while its M waits on the scheduler; run `f` (the switch); then enter the syscall state
/// again on whichever M resumed the G.
pub(crate) fn around_switch<R>(g: GRef, f: impl FnOnce() -> R) -> R {
    exit(g);
    let r = f();
    enter(g);
    r
}

fn enter(g: GRef) {
    // SAFETY: `g.m` is the M running this G, on this thread.
    let m = unsafe { &*g.m.get() };
    m.in_syscall.set(true);
    g.set_status(GStatus::Syscall);
    if let Some((p, seq)) = m.p() {
        // An RMW, not the owner's load and store: the P may have been retaken already (the
        // CAS below finds out), and its next owner may be counting too.
        p.syscalltick.fetch_add(1, Relaxed);
        // The P is lent (goroutine code runs): this CAS from `Running` or `Retaking` takes
        // it from the M's mark to `Syscall` in one step, with no claim in between.
        if !p.word.enter_syscall(seq) {
            // Retaken while this G hogged the CPU: run `f` without a P.
            m.clear_p();
        }
    }
}

fn exit(g: GRef) {
    // SAFETY: `g.m` is the M running this G, on this thread (a G in `blocking` does not
    // switch, so it did not move).
    let m = unsafe { &*g.m.get() };
    m.in_syscall.set(false);
    g.set_status(GStatus::Running);
    if let Some((p, seq)) = m.p() {
        // Back to `Running`, lent to goroutine code as before `enter`.
        if p.word.exit_syscall(seq) {
            honour_preempt(g);
            return;
        }
        m.clear_p();
    }
    let sched = m.sched();
    if let Some(p) = sched.reacquire_p(m) {
        m.lend(p);
        return;
    }
    // No P: queue this G globally and let the M stop. Resumes on whichever M takes it.
    g.suspend(Action::NoP);
}

fn honour_preempt(g: GRef) {
    if g.preempt.load(Relaxed) {
        g.preempt.store(false, Relaxed);
        g.suspend(Action::Preempted);
    }
}
