//! `NetFd<S>`: a non-blocking std socket with its place in the netpoller, the core of every
//! socket type of `gpm::net` (Go's `netFD` over `poll.FD`).
//!
//! # An operation
//! 1. A Go deadline already passed fails the operation at once (as Go's `prepareRead`),
//!    even when data is waiting.
//! 2. The direction's lock is taken (Go's `fdMutex` read or write lock: the poller lets one
//!    goroutine wait per direction of an fd; uncontended, one `try_lock`), and a readiness
//!    permit an earlier edge left is dropped (`PollFd::clear_ready`, Go's `pollReset`):
//!    the syscall sees what that edge announced. Dropping it is safe only under the lock:
//!    another reader between its `EAGAIN` and its park would lose the edge it waits for.
//! 3. The syscall; most reads and writes of a busy socket succeed here.
//! 4. On `WouldBlock`, the std timeout turns into a deadline for this operation, and the
//!    syscall is retried after each `PollFd::wait` until it gives anything but
//!    `WouldBlock`. The first wait parks at once: no stale permit is left to make it
//!    return for one more `EAGAIN`.
//!
//! # Timeouts and deadlines
//! Go's deadlines are absolute and set from anywhere, also while an operation waits
//! (`PollFd::set_deadline` wakes the waiter to re-read it). std's timeouts are relative to
//! each operation's start. Both live here: the `PollFd` deadline of a direction is the
//! Go deadline, or, while an operation with a timeout waits, the earlier of that and the
//! operation's own deadline. Every change of the pair is made under `Timing::state`, so
//! a deadline moved while an operation starts is never lost. A socket without timeouts
//! never takes that lock.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Mutex as StdMutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

use gpm_sched::{Interest, PollFd};

use crate::sync::{Mutex, MutexGuard};

/// A non-blocking socket `S` registered (lazily) with the netpoller.
#[derive(Debug)]
pub(crate) struct NetFd<S: AsRawFd> {
    /// Dropped before `sock` (field order): its fd is deregistered before it is closed.
    pfd: PollFd,
    /// One waiter per direction (read, write).
    locks: [Mutex<()>; 2],
    timing: Timing,
    sock: S,
}

/// std timeouts and Go deadlines of both directions; see the module docs.
#[derive(Debug, Default)]
struct Timing {
    /// std timeouts in ns; 0 for none (a zero timeout is refused when set).
    timeout: [AtomicU64; 2],
    /// A Go deadline is set (a hint that spares the lock on the fast path).
    has_deadline: [AtomicBool; 2],
    state: StdMutex<Deadlines>,
}

#[derive(Debug, Default)]
struct Deadlines {
    /// Go's absolute deadlines.
    go: [Option<Instant>; 2],
    /// The deadline of the operation with a timeout waiting now, per direction.
    op: [Option<Instant>; 2],
}

fn idx(dir: Interest) -> usize {
    match dir {
        Interest::Read => 0,
        Interest::Write => 1,
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The error of an expired deadline, worded as `PollFd`'s.
pub(crate) fn timed_out(dir: Interest) -> io::Error {
    let what = match dir {
        Interest::Read => "read",
        Interest::Write => "write",
    };
    io::Error::new(io::ErrorKind::TimedOut, format!("i/o timeout: the {what} deadline passed"))
}

impl<S: AsRawFd> NetFd<S> {
    /// Wraps `sock`, which the caller has put in non-blocking mode.
    pub(crate) fn new(sock: S) -> NetFd<S> {
        NetFd {
            pfd: PollFd::new(sock.as_raw_fd()),
            locks: [Mutex::new(()), Mutex::new(())],
            timing: Timing::default(),
            sock,
        }
    }

    /// The socket (for calls that never wait: addresses, options, shutdown).
    pub(crate) fn sock(&self) -> &S {
        &self.sock
    }

    /// The poll handle (connect waits on it directly).
    pub(crate) fn pfd(&self) -> &PollFd {
        &self.pfd
    }

    /// Gives the socket back, out of the poller.
    pub(crate) fn into_inner(self) -> S {
        let NetFd { pfd, sock, .. } = self;
        drop(pfd);
        sock
    }

    /// Runs `op` on the socket until it does not return `WouldBlock`, waiting for `dir` in
    /// between; see the module docs.
    #[inline]
    #[track_caller]
    pub(crate) fn io<R>(
        &self,
        dir: Interest,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        if self.timing.has_deadline[idx(dir)].load(Relaxed) {
            self.check_deadline(dir)?;
        }
        let turn = match self.locks[idx(dir)].try_lock() {
            Some(turn) => turn,
            None => self.locks[idx(dir)].lock(),
        };
        self.pfd.clear_ready(dir);
        loop {
            match op(&self.sock) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return self.io_slow(turn, dir, op);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// After a `WouldBlock`, holding the direction: waits, retries, until the operation
    /// gives anything else.
    #[cold]
    #[track_caller]
    fn io_slow<R>(
        &self,
        turn: MutexGuard<'_, ()>,
        dir: Interest,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        let _op = self.begin(dir);
        loop {
            self.pfd.wait(dir)?;
            loop {
                match op(&self.sock) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => {
                        drop(turn);
                        return r;
                    }
                }
            }
        }
    }

    #[cold]
    fn check_deadline(&self, dir: Interest) -> io::Result<()> {
        let go = self.timing.lock().go[idx(dir)];
        match go {
            Some(d) if d <= Instant::now() => Err(timed_out(dir)),
            _ => Ok(()),
        }
    }

    /// Starts an operation's timeout, if `dir` has one; the guard ends it.
    fn begin(&self, dir: Interest) -> Option<OpTimeout<'_, S>> {
        let ns = self.timing.timeout[idx(dir)].load(Relaxed);
        if ns == 0 {
            return None;
        }
        let mut st = self.timing.lock();
        st.op[idx(dir)] = Some(Instant::now() + Duration::from_nanos(ns));
        self.pfd.set_deadline(dir, earliest(st.go[idx(dir)], st.op[idx(dir)]));
        Some(OpTimeout { fd: self, dir })
    }

    /// std's `set_read_timeout` / `set_write_timeout`: a zero duration is `InvalidInput`.
    pub(crate) fn set_timeout(&self, dir: Interest, t: Option<Duration>) -> io::Result<()> {
        let ns = match t {
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "cannot set a 0 duration timeout",
                ));
            }
            Some(d) => d.as_nanos().clamp(1, u64::MAX as u128) as u64,
            None => 0,
        };
        self.timing.timeout[idx(dir)].store(ns, Relaxed);
        Ok(())
    }

    /// std's `read_timeout` / `write_timeout`.
    pub(crate) fn timeout(&self, dir: Interest) -> Option<Duration> {
        match self.timing.timeout[idx(dir)].load(Relaxed) {
            0 => None,
            ns => Some(Duration::from_nanos(ns)),
        }
    }

    /// Go's `SetReadDeadline` / `SetWriteDeadline`: absolute, and seen by an operation
    /// waiting now.
    pub(crate) fn set_deadline(&self, dir: Interest, d: Option<Instant>) {
        let mut st = self.timing.lock();
        st.go[idx(dir)] = d;
        self.timing.has_deadline[idx(dir)].store(d.is_some(), Relaxed);
        self.pfd.set_deadline(dir, earliest(d, st.op[idx(dir)]));
    }

    /// The Go deadline of `dir`.
    pub(crate) fn deadline(&self, dir: Interest) -> Option<Instant> {
        self.timing.lock().go[idx(dir)]
    }
}

impl Timing {
    fn lock(&self) -> std::sync::MutexGuard<'_, Deadlines> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An operation's timeout in force; on drop the `PollFd` deadline is the Go one again.
struct OpTimeout<'a, S: AsRawFd> {
    fd: &'a NetFd<S>,
    dir: Interest,
}

impl<S: AsRawFd> Drop for OpTimeout<'_, S> {
    fn drop(&mut self) {
        let mut st = self.fd.timing.lock();
        st.op[idx(self.dir)] = None;
        self.fd.pfd.set_deadline(self.dir, st.go[idx(self.dir)]);
    }
}

impl<S: AsRawFd> AsRawFd for NetFd<S> {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl<S: AsRawFd + AsFd> AsFd for NetFd<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}
