//! The netpoller (Go's `netpoll.go`): goroutines waiting for a socket (or any fd) to be
//! readable or writable park, and the scheduler readies them when epoll reports the edge.
//! [`PollFd`] is the handle the façade's sockets hold.
//!
//! # Shape
//! One epoll instance per runtime, made at the first registration (a program without I/O
//! pays nothing), plus an eventfd to break a blocking wait (`sys.rs`). An fd is registered
//! once for its life, edge-triggered for in, out and peer hang-up; each registration has a
//! poll descriptor with one binary semaphore per direction (`desc.rs`, with the races it
//! prevents), so one goroutine can read while another writes the same socket.
//!
//! # Where the scheduler polls (Go's poll points)
//! 1. `schedule::find_runnable`, after the local and global queues and before stealing:
//!    a look (no wait) when a goroutine waits in the poller and no M blocks in it.
//! 2. The M that would sleep, when goroutines wait in the poller or a timer is armed and
//!    no other M blocks in it: it blocks in `epoll_wait` instead, until the next timer
//!    (the poller is then the timer sleeper, and a nudge for an earlier timer breaks it).
//! 3. sysmon, when nobody has polled for 10 ms.
//! 4. `Sched::handoffp` keeps an M for the last P when goroutines wait in the poller and
//!    nobody polls, so their wake-ups are not left to sysmon's 10 ms.
//!
//! Gs readied by a poll go to the global queue, with one M started per idle P (Go's
//! `injectglist`); the polling M runs the first one itself when it holds a P.
//!
//! # Deadlines
//! Absolute, per direction, kept in the `PollFd`. A waiter parks until its deadline (the
//! runtime's timers end the park); moving or clearing a deadline wakes the waiter, which
//! re-reads it; a deadline in the past fails at once. Expiry is `TimedOut`.
//!
//! # Threads and other runtimes
//! A plain thread (or a goroutine of a runtime other than the one the fd was registered
//! with) does not use the poller: it waits in `poll(2)` on the fd, in slices of at most
//! `THREAD_SLICE`, so a moved deadline is seen within one slice.

pub(crate) mod desc;
mod sys;

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::context::current_g;
use crate::g::{GRef, GStatus};
use crate::ownership::OwnedP;
use crate::park::WaitReason;
use crate::sched::Sched;

use desc::{Desc, Table};

/// How long a plain thread waits in `poll(2)` before re-reading its deadline.
const THREAD_SLICE: Duration = Duration::from_millis(50);

/// sysmon polls when nobody has for this long (Go's 10 ms).
pub(crate) const SYSMON_POLL_NS: u64 = 10_000_000;

/// A direction of I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Waiting to read (or accept).
    Read,
    /// Waiting to write (or for a connect to finish).
    Write,
}

/// Whether `e`, from a `connect` on a non-blocking socket, means the connection is being
/// made in the background (`EINPROGRESS`): wait for [`Interest::Write`], then read the
/// socket's `SO_ERROR` (Go's `netFD.connect`).
pub fn connect_in_progress(e: &io::Error) -> bool {
    sys::is_in_progress(e)
}

/// A runtime's poller.
#[derive(Debug)]
pub(crate) struct Poller {
    ep: sys::Epoll,
    table: Table,
    /// Goroutines parked in a descriptor (Go's `netpollWaiters`).
    waiters: AtomicUsize,
    /// When the last poll ended (the runtime's ns, at least 1); 0 while an M blocks in the
    /// poller (Go's `sched.lastpoll`).
    last_poll: AtomicU64,
}

impl Poller {
    fn new() -> io::Result<Poller> {
        Ok(Poller {
            ep: sys::Epoll::new()?,
            table: Table::default(),
            waiters: AtomicUsize::new(0),
            last_poll: AtomicU64::new(1),
        })
    }

    /// Whether a goroutine waits in the poller.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Relaxed) > 0
    }

    /// Whether an M blocks in the poller now.
    pub(crate) fn someone_blocks(&self) -> bool {
        self.last_poll.load(Relaxed) == 0
    }

    /// Breaks a blocking poll (a timer earlier than its wait, shutdown, a P for the M).
    pub(crate) fn wake(&self) {
        self.ep.wake();
    }

    /// A look at the poller (no wait), if no M blocks in it: the Gs it readies.
    pub(crate) fn poll_now(&self) -> Vec<GRef> {
        self.poll(Some(Duration::ZERO))
    }

    /// Polls for up to `timeout` (`None`: until an event or a break) and readies the Gs of
    /// the edges seen (status `Runnable`, not yet queued: the caller runs or injects them).
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> Vec<GRef> {
        let mut events = Vec::new();
        self.ep.wait(&mut events, timeout);
        let mut gs = Vec::new();
        for ev in events {
            // SAFETY: every token was made for a descriptor of `self.table`, alive with
            // `self`.
            let Some(d) = (unsafe { desc::from_token(ev.token) }) else { continue };
            if ev.read_closed {
                // Release: before the permit or wake-up below (`Desc::read_closed`).
                d.read_closed.store(true, Release);
            }
            for (sema, ready) in [(&d.read, ev.read), (&d.write, ev.write)] {
                if ready && let Some(g) = sema.wake(true) {
                    crate::prefetch::parked(&g);
                    g.set_status(GStatus::Runnable);
                    gs.push(g);
                }
            }
        }
        gs
    }

    /// Blocks in the poller until `deadline` (the M's next timer) or an event, for an M
    /// without a P. `None` if another M blocks in it already.
    pub(crate) fn poll_blocking(
        &self,
        sched: &Sched,
        deadline: Option<Instant>,
    ) -> Option<Vec<GRef>> {
        if self.last_poll.swap(0, AcqRel) == 0 {
            return None;
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let gs = self.poll(timeout);
        self.last_poll.store(sched.nanotime().max(1), Release);
        Some(gs)
    }

    /// sysmon: a look if nobody has polled for `SYSMON_POLL_NS` and nobody blocks in it.
    pub(crate) fn poll_if_stale(&self, now: u64) -> Vec<GRef> {
        let last = self.last_poll.load(Relaxed);
        if last == 0 || last + SYSMON_POLL_NS > now {
            return Vec::new();
        }
        if self.last_poll.compare_exchange(last, now.max(1), AcqRel, Relaxed).is_err() {
            return Vec::new();
        }
        self.poll_now()
    }
}

/// Poll point 1 (an M holding `p`, its queues empty): a look, when a goroutine waits in
/// the poller and no M blocks in it. The first G readied is returned to run; the rest
/// are injected ([`inject_local`]).
#[inline]
pub(crate) fn look(sched: &Sched, p: &mut OwnedP<'_>) -> Option<GRef> {
    let poller = sched.poller()?;
    if !poller.has_waiters() || poller.someone_blocks() {
        return None;
    }
    look_slow(sched, poller, p)
}

#[cold]
fn look_slow(sched: &Sched, poller: &Poller, p: &mut OwnedP<'_>) -> Option<GRef> {
    let mut gs = poller.poll_now();
    let g = gs.pop()?;
    inject_local(sched, p, gs);
    Some(g)
}

/// Gs readied by the poll of an M holding `p` (Go's `injectglist` with a P): one per idle
/// P to the global queue, with an M started for each, and the rest onto `p`'s run queue,
/// where this M runs them without a trip through the global queue's lock (its overflow
/// goes there).
pub(crate) fn inject_local(sched: &Sched, p: &mut OwnedP<'_>, mut gs: Vec<GRef>) {
    let idle = (sched.spin.idle_ps() as usize).min(gs.len());
    if idle > 0 {
        sched.global.push_batch(gs.drain(..idle));
        for _ in 0..idle {
            sched.startm(None, false);
        }
    }
    let runq = p.runq();
    for g in gs {
        runq.push(g, &sched.global);
    }
}

/// Poll point 2 (an M about to sleep, its P given back): blocks in the poller until
/// `deadline` (the next timer, if this M watches them) or an event, when goroutines wait
/// in the poller or a timer is armed, and no other M blocks in it. `None`: not polled
/// (the caller parks as usual).
pub(crate) fn block(sched: &Sched, deadline: Option<Instant>) -> Option<Vec<GRef>> {
    let poller = sched.poller()?;
    if !poller.has_waiters() && deadline.is_none() {
        return None;
    }
    poller.poll_blocking(sched, deadline)
}

/// Gs readied by a poll go to the global queue, and Ms are started for idle Ps, one per G
/// up to the idle count (Go's `injectglist` without a P).
pub(crate) fn inject(sched: &Sched, gs: Vec<GRef>) {
    let n = gs.len();
    if n == 0 {
        return;
    }
    sched.global.push_batch(gs);
    let idle = sched.spin.idle_ps() as usize;
    for _ in 0..n.min(idle) {
        sched.startm(None, false);
    }
    if idle == 0 {
        sched.wake_if_needed();
    }
}

impl Sched {
    /// This runtime's poller, made at the first registration.
    pub(crate) fn poller(&self) -> Option<&Arc<Poller>> {
        self.poller.get()
    }

    fn poller_or_init(&self) -> io::Result<&Arc<Poller>> {
        if let Some(p) = self.poller.get() {
            return Ok(p);
        }
        let _guard = crate::sched::lock(&self.poller_init);
        if let Some(p) = self.poller.get() {
            return Ok(p);
        }
        let p = Arc::new(Poller::new()?);
        Ok(self.poller.get_or_init(|| p))
    }
}

/// A registration of an fd with a runtime's poller.
#[derive(Debug)]
struct Reg {
    poller: Arc<Poller>,
    /// The runtime registered with (to compare, and to ready a waiter woken by a deadline).
    sched: Weak<Sched>,
    desc: *const Desc,
}

/// An fd's place in the netpoller: what a socket type holds to wait for readiness from a
/// goroutine (parking it) or a plain thread (blocking it in `poll(2)`), with Go's
/// per-direction deadlines. It does not own the fd: the owner drops the `PollFd` before
/// closing the fd. The fd must be in non-blocking mode; its operations are retried by the
/// caller after each `wait` that returns `Ok`.
#[derive(Debug)]
pub struct PollFd {
    fd: RawFd,
    /// Registered at the first wait from a goroutine (`Err`: the fd cannot be polled, as
    /// a regular file; waits then use `poll(2)`).
    reg: OnceLock<Result<Reg, ()>>,
    /// Deadlines, ns after `epoch()`; `NONE` for none.
    deadlines: [AtomicU64; 2],
    /// Serialises registration with deadlines' wake-ups (cold paths only).
    cold: Mutex<()>,
}

// SAFETY: `desc` points into the poller's table, which `poller` keeps alive; a descriptor
// is atomics only.
unsafe impl Send for Reg {}
// SAFETY: as above.
unsafe impl Sync for Reg {}

const NONE: u64 = u64::MAX;

/// The process-wide origin of `PollFd` deadlines.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn idx(i: Interest) -> usize {
    match i {
        Interest::Read => 0,
        Interest::Write => 1,
    }
}

impl PollFd {
    /// A handle for `fd` (non-blocking, kept open by the caller while the handle lives).
    pub fn new(fd: RawFd) -> PollFd {
        PollFd {
            fd,
            reg: OnceLock::new(),
            deadlines: [AtomicU64::new(NONE), AtomicU64::new(NONE)],
            cold: Mutex::new(()),
        }
    }

    /// The fd.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// The deadline of `dir` (`None`: none).
    pub fn deadline(&self, dir: Interest) -> Option<Instant> {
        match self.deadlines[idx(dir)].load(Acquire) {
            NONE => None,
            ns => Some(epoch() + Duration::from_nanos(ns)),
        }
    }

    /// Whether the poller has seen the read side closed — the peer shut its write side
    /// down (`EPOLLRDHUP`), or an error — since this fd was registered (sticky; tokio's
    /// `Ready::is_read_closed`). Such an fd reads end of file or the error at once and
    /// raises no further edge, so a reader that would wait for one before its syscall
    /// (after a short read, `gpm::net`) must not. `false` before the first wait
    /// registered the fd, and on a plain thread (which polls level-triggered).
    #[inline]
    pub fn is_read_closed(&self) -> bool {
        match self.reg.get() {
            // SAFETY: `reg.desc` is alive while `reg.poller` is. Acquire: pairs with the
            // poller's Release store.
            Some(Ok(reg)) => unsafe { &*reg.desc }.read_closed.load(Acquire),
            _ => false,
        }
    }

    /// Drops a readiness permit an earlier edge left on `dir` (Go's `pollReset`; tokio's
    /// `clear_ready`). Call it right before the operation's syscall, holding the direction
    /// (no other goroutine may be between its `WouldBlock` and its [`wait`](Self::wait) on
    /// `dir`): the syscall sees what that edge announced, and the `wait` after a
    /// `WouldBlock` then parks at once instead of returning for one more try. An edge that
    /// comes after the call is kept. Optional: without it, a stale permit costs one
    /// `WouldBlock` retry.
    #[inline]
    pub fn clear_ready(&self, dir: Interest) {
        if let Some(Ok(reg)) = self.reg.get() {
            // SAFETY: `reg.desc` is alive while `reg.poller` is.
            sema(unsafe { &*reg.desc }, dir).clear_ready();
        }
    }

    /// Sets (or clears) the deadline of `dir`, and wakes a goroutine waiting in that
    /// direction to re-read it (Go's `SetReadDeadline` / `SetWriteDeadline`).
    pub fn set_deadline(&self, dir: Interest, deadline: Option<Instant>) {
        let ns = deadline.map_or(NONE, |d| {
            d.saturating_duration_since(epoch()).as_nanos().min(NONE as u128 - 1) as u64
        });
        self.deadlines[idx(dir)].store(ns, Release);
        let _g = crate::sched::lock(&self.cold);
        if let Some(Ok(reg)) = self.reg.get() {
            // SAFETY: `reg.desc` is alive while `reg.poller` is.
            let d = unsafe { &*reg.desc };
            if let Some(g) = sema(d, dir).wake(false)
                && let Some(sched) = reg.sched.upgrade()
            {
                sched.ready(g);
            }
        }
    }

    /// Waits until `dir` may be ready (then the caller retries its operation), the
    /// deadline passes (`TimedOut`), or a deadline is moved (returns `Ok` early: the caller
    /// retries and comes back). `#[track_caller]`: a goroutine's dump names the caller.
    #[track_caller]
    pub fn wait(&self, dir: Interest) -> io::Result<()> {
        let deadline = self.deadline(dir);
        if deadline.is_some_and(|d| d <= Instant::now()) {
            return Err(timed_out(dir));
        }
        if let Some(g) = current_g()
            && let Some(reg) = self.registration(g)
        {
            return self.wait_goroutine(reg, g, dir, deadline);
        }
        self.wait_thread(dir, deadline)
    }

    /// The registration with `g`'s runtime, made now if none exists; `None` if the fd
    /// cannot be polled or belongs to another runtime's poller.
    fn registration(&self, g: GRef) -> Option<&Reg> {
        let sched = crate::park::sched_of(g);
        let reg = self.reg.get_or_init(|| {
            // SAFETY: `g` is the caller, running: its M keeps its runtime alive.
            let sched = unsafe { &*sched };
            let poller = sched.poller_or_init().map_err(|_| ())?.clone();
            let (d, seq) = poller.table.alloc();
            if poller.ep.register(self.fd, desc::token(d, seq)).is_err() {
                poller.table.free(d);
                return Err(());
            }
            Ok(Reg { desc: d as *const Desc, poller, sched: Arc::downgrade(&sched.arc()) })
        });
        reg.as_ref().ok().filter(|r| std::ptr::eq(r.sched.as_ptr(), sched))
    }

    #[track_caller]
    fn wait_goroutine(
        &self,
        reg: &Reg,
        g: GRef,
        dir: Interest,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        // SAFETY: `reg.desc` is alive while `reg.poller` is.
        let s = sema(unsafe { &*reg.desc }, dir);
        // `changed`: a deadline moved between the caller's read and the registration found
        // no G to wake.
        let woken = s.wait(
            g,
            || self.deadline(dir) != deadline,
            || {
                let _waiting = Waiting::new(&reg.poller);
                crate::park::park_deadline(WaitReason::IoWait, deadline)
            },
        );
        let Some(woken) = woken else { return Ok(()) };
        if !woken && deadline.is_some_and(|d| d <= Instant::now()) {
            return Err(timed_out(dir));
        }
        Ok(())
    }

    fn wait_thread(&self, dir: Interest, deadline: Option<Instant>) -> io::Result<()> {
        let now = Instant::now();
        let slice =
            deadline.map_or(THREAD_SLICE, |d| d.saturating_duration_since(now).min(THREAD_SLICE));
        if sys::poll_fd(self.fd, dir == Interest::Read, Some(slice))? {
            return Ok(());
        }
        match self.deadline(dir) {
            Some(d) if d <= Instant::now() => Err(timed_out(dir)),
            _ => Ok(()),
        }
    }
}

/// A goroutine counted as a waiter while it parks in a semaphore; also when a runtime drop
/// unwinds it out of its park (the semaphore takes its G back itself: `Sema::wait`).
struct Waiting<'a> {
    poller: &'a Poller,
}

impl<'a> Waiting<'a> {
    fn new(poller: &'a Poller) -> Waiting<'a> {
        poller.waiters.fetch_add(1, Relaxed);
        Waiting { poller }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.poller.waiters.fetch_sub(1, Relaxed);
    }
}

fn sema(d: &Desc, dir: Interest) -> &desc::Sema {
    match dir {
        Interest::Read => &d.read,
        Interest::Write => &d.write,
    }
}

fn timed_out(dir: Interest) -> io::Error {
    let what = match dir {
        Interest::Read => "read",
        Interest::Write => "write",
    };
    io::Error::new(io::ErrorKind::TimedOut, format!("i/o timeout: the {what} deadline passed"))
}

impl Drop for PollFd {
    fn drop(&mut self) {
        if let Some(Ok(reg)) = self.reg.take() {
            let _ = reg.poller.ep.deregister(self.fd);
            // SAFETY: `reg.desc` is one of `reg.poller`'s descriptors; no goroutine waits
            // on it (this handle is being dropped, so none holds it).
            reg.poller.table.free(unsafe { &*reg.desc });
        }
    }
}
