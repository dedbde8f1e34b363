//! Socket setup shared by the types of `gpm::net`, on socket2 (the façade does not call
//! libc): name resolution off the scheduler, the listen backlog, non-blocking sockets made
//! with `SOCK_NONBLOCK | SOCK_CLOEXEC`, accept4 with the same flags, connect as Go
//! does it (non-blocking `connect`, a wait for writability, then `SO_ERROR`), and a
//! `MSG_PEEK` receive for sockets whose std type has no stable `peek`.

use std::io;
use std::mem::MaybeUninit;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gpm_sched::{Interest, PollFd};
use socket2::{Domain, SockAddr, SockRef, Socket, Type};

/// Resolves `addr`. The lookup may block the thread (DNS), so from a goroutine it runs
/// inside [`blocking`](crate::blocking); on a plain thread it just runs.
pub(crate) fn resolve<A: ToSocketAddrs + Send>(addr: A) -> io::Result<Vec<SocketAddr>> {
    crate::blocking(move || addr.to_socket_addrs().map(Iterator::collect))
}

/// Runs `f` on each address of `addr` until one succeeds, as std's `each_addr`: the last
/// error otherwise.
pub(crate) fn each_addr<A: ToSocketAddrs + Send, T>(
    addr: A,
    mut f: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in resolve(addr)? {
        match f(&a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")
    }))
}

/// The listen backlog: the system's `somaxconn` (as Go), not std's 128, so a burst of
/// connections is not refused while the acceptor is parked. Read once; 4096 (Linux's
/// default since 5.4) if it cannot be read.
pub(crate) fn backlog() -> i32 {
    static BACKLOG: OnceLock<i32> = OnceLock::new();
    *BACKLOG.get_or_init(|| {
        crate::blocking(|| std::fs::read_to_string("/proc/sys/net/core/somaxconn"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(4096)
    })
}

/// The socket type for `ty`, non-blocking and close-on-exec from birth.
pub(crate) fn nonblocking(ty: Type) -> Type {
    ty.nonblocking().cloexec()
}

/// A listening socket of `domain` bound to `addr` (std's `SO_REUSEADDR` for TCP).
pub(crate) fn listen(domain: Domain, addr: &SockAddr) -> io::Result<Socket> {
    let sock = Socket::new(domain, nonblocking(Type::STREAM), None)?;
    if domain != Domain::UNIX {
        sock.set_reuse_address(true)?;
    }
    sock.bind(addr)?;
    sock.listen(backlog())?;
    Ok(sock)
}

/// One `accept4` on the listening socket `fd`, the new socket non-blocking and
/// close-on-exec.
pub(crate) fn accept(fd: impl AsFd) -> io::Result<(Socket, SockAddr)> {
    let flags: std::ffi::c_int = nonblocking(Type::from(0)).into();
    SockRef::from(&fd).accept4(flags)
}

/// A non-blocking socket of `ty` connected to `addr`, waiting on `pfd` (the caller's
/// handle for `sock`) until `timeout` (`None`: the OS's own connect timeout).
pub(crate) fn connect(
    sock: &Socket,
    pfd: &PollFd,
    addr: &SockAddr,
    timeout: Option<Duration>,
) -> io::Result<()> {
    match sock.connect(addr) {
        Ok(()) => return Ok(()),
        Err(e) if gpm_sched::connect_in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    if let Some(t) = timeout {
        pfd.set_deadline(Interest::Write, Instant::now().checked_add(t));
    }
    let done = wait_connected(sock, pfd);
    pfd.set_deadline(Interest::Write, None);
    done
}

#[track_caller]
fn wait_connected(sock: &Socket, pfd: &PollFd) -> io::Result<()> {
    loop {
        pfd.wait(Interest::Write)?;
        if let Some(e) = sock.take_error()? {
            return Err(e);
        }
        // Writable with no error: connected, unless the wait ended early (a plain thread's
        // poll slice), which `peer_addr` tells apart as Go's connect does.
        match sock.peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
            Err(e) => return Err(e),
        }
    }
}

/// std's error for a zero connect timeout.
pub(crate) fn zero_timeout() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout")
}

/// One `recv` with `MSG_PEEK` on `fd` into `buf` (std has no stable `peek` for Unix
/// datagram sockets; socket2 has one over uninitialised buffers).
pub(crate) fn peek(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let ptr = buf as *mut [u8] as *mut [MaybeUninit<u8>];
    // SAFETY: 1. `MaybeUninit<u8>` has `u8`'s layout: `ptr` covers exactly `buf`, borrowed
    // for the reborrow's life. 2. socket2's receive calls write only initialised bytes (the
    // kernel copies data in; see `Socket::recv`), so `buf` stays initialised.
    let uninit = unsafe { &mut *ptr };
    SockRef::from(&fd).peek(uninit)
}
