//! The netpoller's OS layer (Linux): one epoll instance, edge-triggered registrations, and
//! an eventfd that breaks a blocking `epoll_wait` (Go's `netpoll_epoll.go`). With gpm-stack,
//! the one place gpm talks to the OS through `libc`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::time::Duration;

/// The epoll data of the eventfd (no poll descriptor has it: see `desc::Token`).
const BREAK_TOKEN: u64 = u64::MAX;

/// One readiness event: the registration's token and what is ready.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) token: u64,
    /// Readable, or the peer hung up, or an error: a reader should try.
    pub(crate) read: bool,
    /// Writable, or an error: a writer should try.
    pub(crate) write: bool,
    /// The peer shut its write side down, or an error: the read side stays readable
    /// (end of file, or the error) with no further edge.
    pub(crate) read_closed: bool,
}

/// An epoll instance with its break eventfd.
#[derive(Debug)]
pub(crate) struct Epoll {
    epfd: OwnedFd,
    breaker: OwnedFd,
    /// A break is written and not yet read (Go's `netpollWakeSig`): breaks are deduplicated.
    break_pending: AtomicBool,
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r) }
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: a plain syscall; the result is checked and owned at once.
        let epfd = unsafe { OwnedFd::from_raw_fd(cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC))?) };
        // SAFETY: as above.
        let breaker = unsafe {
            OwnedFd::from_raw_fd(cvt(libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC))?)
        };
        let ep = Epoll { epfd, breaker, break_pending: AtomicBool::new(false) };
        ep.ctl(libc::EPOLL_CTL_ADD, ep.breaker.as_raw_fd(), libc::EPOLLIN as u32, BREAK_TOKEN)?;
        raise_nofile_limit();
        Ok(ep)
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` is a valid event for the call's duration; the kernel checks `fd`.
        cvt(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev) })?;
        Ok(())
    }

    /// Registers `fd` for its whole life: edge-triggered, in, out and peer hang-up.
    pub(crate) fn register(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let events = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// Removes `fd` (before it is closed).
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeout` (`None`: forever; zero: a look) and appends the events to
    /// `out`. A break ends the wait and is consumed here; an interrupted wait returns with
    /// no events.
    pub(crate) fn wait(&self, out: &mut Vec<Event>, timeout: Option<Duration>) {
        const MAX: usize = 128;
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; MAX];
        let ms = match timeout {
            None => -1,
            // Rounded up, so a wait for 0.5 ms does not become a busy look.
            Some(d) => d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
        };
        // SAFETY: `evs` has room for `MAX` events.
        let n = unsafe {
            libc::epoll_wait(self.epfd.as_raw_fd(), evs.as_mut_ptr(), MAX as libc::c_int, ms)
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "Epoll::wait: epoll_wait: {e}");
            return;
        }
        for ev in &evs[..n as usize] {
            let (token, bits) = (ev.u64, ev.events);
            if token == BREAK_TOKEN {
                self.drain_break();
                continue;
            }
            let err = bits & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0;
            out.push(Event {
                token,
                read: err || bits & (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 != 0,
                write: err || bits & libc::EPOLLOUT as u32 != 0,
                read_closed: err || bits & libc::EPOLLRDHUP as u32 != 0,
            });
        }
    }

    /// Breaks a blocking `wait` (now, or the next one if none blocks). Deduplicated.
    pub(crate) fn wake(&self) {
        // AcqRel: a waker that sees `true` knows a write is on its way or unread.
        if self.break_pending.swap(true, AcqRel) {
            return;
        }
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to the eventfd. EAGAIN (the counter is
        // full) still leaves it readable, which is all a break needs.
        unsafe { libc::write(self.breaker.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    fn drain_break(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; the eventfd is non-blocking.
        unsafe { libc::read(self.breaker.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
        // Release: pairs with the AcqRel swap in `wake`.
        self.break_pending.store(false, Release);
    }
}

/// As Go at its first socket: the soft `RLIMIT_NOFILE` up to the hard one, so a server is
/// not held to the historical 1,024 descriptors. Failure is ignored (the limit stays).
fn raise_nofile_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid out-parameter.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0
        || lim.rlim_cur >= lim.rlim_max
    {
        return;
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid in-parameter.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
}

/// Whether `e` is a non-blocking `connect`'s `EINPROGRESS` (std's `ErrorKind::InProgress`
/// is not stable yet).
pub(crate) fn is_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS)
}

/// Waits on a plain thread for `fd` to be readable (`read`) or writable, up to `timeout`
/// (`None`: forever). `Ok(true)`: ready (or an error to read); `Ok(false)`: timed out.
pub(crate) fn poll_fd(fd: RawFd, read: bool, timeout: Option<Duration>) -> io::Result<bool> {
    let events = if read { libc::POLLIN | libc::POLLRDHUP } else { libc::POLLOUT };
    let mut p = libc::pollfd { fd, events, revents: 0 };
    let ms = timeout.map_or(-1, |d| d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32);
    // SAFETY: one valid pollfd.
    match unsafe { libc::poll(&mut p, 1, ms) } {
        n if n < 0 => {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(e) }
        }
        0 => Ok(false),
        _ => Ok(true),
    }
}
