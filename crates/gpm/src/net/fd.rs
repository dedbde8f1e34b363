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
//!    return for one more `EAGAIN`. The direction is held until the operation's timeout
//!    is withdrawn, so that withdrawal never clears the next operation's.
//!
//! # Short reads (tokio's rule for edge-triggered pollers)
//! A consuming read of a stream socket that returns fewer bytes than asked (`0 < n < len`)
//! emptied the socket's buffer. The next read ([`NetFd::read_stream`]) then waits for an
//! edge *before* its syscall, instead of spending one on the `EAGAIN` that a request-reply
//! exchange (an echo, an HTTP keep-alive connection) would get every round trip. No edge
//! is lost: a byte that arrives after the short read's syscall took the buffer raises an
//! edge after that read's `clear_ready`, which leaves a permit or wakes the waiter. A
//! permit from an edge whose data the short read took costs one `EAGAIN`, as before. The
//! exception is a closed read side: a short read can take the last bytes before a
//! pending end of file (or error), which is readable with no further edge; so once the
//! poller has reported the peer's shutdown or an error (`PollFd::is_read_closed`,
//! sticky), reads go to the syscall first again, as tokio's `READ_CLOSED` readiness. Any
//! other operation on the read direction (a peek, a vectored read) forgets the short read:
//! it drops the permit, so the rule must start again from its own syscall. Not for
//! datagrams (a short datagram says nothing of the next).
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
    /// The last operation on the read direction was a short stream read (module docs).
    /// Read and written only under `locks[0]` (Relaxed: the lock orders it).
    drained: AtomicBool,
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
            drained: AtomicBool::new(false),
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
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        if self.timing.has_deadline[idx(dir)].load(Relaxed) {
            self.check_deadline(dir)?;
        }
        let _turn = self.turn(dir);
        if idx(dir) == 0 {
            self.drained.store(false, Relaxed);
        }
        self.pfd.clear_ready(dir);
        self.io_first(dir, op)
    }

    /// A consuming read of a stream socket into a buffer of `len` bytes (`op`); after a
    /// short one, the next starts by waiting (module docs, "Short reads").
    #[inline]
    #[track_caller]
    pub(crate) fn read_stream(
        &self,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let dir = Interest::Read;
        if self.timing.has_deadline[0].load(Relaxed) {
            self.check_deadline(dir)?;
        }
        let _turn = self.turn(dir);
        let r = if self.drained.load(Relaxed) && !self.pfd.is_read_closed() {
            self.io_slow(dir, &mut op)
        } else {
            self.pfd.clear_ready(dir);
            self.io_first(dir, &mut op)
        };
        self.drained.store(matches!(r, Ok(n) if 0 < n && n < len), Relaxed);
        r
    }

    /// The direction's lock: one operation at a time (uncontended, one `try_lock`).
    #[inline]
    #[track_caller]
    fn turn(&self, dir: Interest) -> MutexGuard<'_, ()> {
        match self.locks[idx(dir)].try_lock() {
            Some(turn) => turn,
            None => self.locks[idx(dir)].lock(),
        }
    }

    /// The syscall first, holding the direction; on `WouldBlock`, [`NetFd::io_slow`].
    #[inline]
    #[track_caller]
    fn io_first<R>(&self, dir: Interest, mut op: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        loop {
            match op(&self.sock) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return self.io_slow(dir, op),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Holding the direction: waits, retries, until the operation gives anything but
    /// `WouldBlock`; the operation's timeout is withdrawn before the caller lets the
    /// direction go.
    #[cold]
    #[track_caller]
    fn io_slow<R>(&self, dir: Interest, mut op: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        let _op = self.begin(dir);
        loop {
            self.pfd.wait(dir)?;
            loop {
                match op(&self.sock) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    r => return r,
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
