//! What std does not wrap: epoll (level-triggered, one token per socket), non-blocking
//! `connect` (to open thousands of connections with many handshakes in flight), and raising
//! `RLIMIT_NOFILE` to the hard limit.

use std::io;
use std::net::{Ipv4Addr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// Connections opened and not yet known to be accepted, at most, while opening many: below
/// every server's listen backlog (std's is 128), so its accept queue never overflows. (A
/// full accept queue drops the SYN or the handshake's last ACK, which the kernel retries
/// only after 1, 2, 4… seconds: 10,000 connections would take tens of seconds.)
const CONNECT_WINDOW: usize = 64;

/// The byte an `idle` server writes on each connection it has accepted.
pub const GREETING: u8 = b'!';

/// An epoll instance.
pub struct Epoll(OwnedFd);

impl Epoll {
    /// A new epoll instance (close-on-exec).
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes a flag and returns a new fd or -1; no memory involved.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns it.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Watches `fd` for readability (level-triggered), reporting it as `token`.
    pub fn add(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, libc::EPOLLIN as u32, token)
    }

    fn ctl(&self, op: i32, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call; the kernel copies it.
        let rc = unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd, &mut ev) };
        if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
    }

    /// Waits up to `timeout_ms` for events and puts them in `events` (its capacity is the
    /// most one call returns). An interrupted wait leaves `events` empty.
    pub fn wait(&self, events: &mut Vec<libc::epoll_event>, timeout_ms: i32) -> io::Result<()> {
        events.clear();
        let max = events.capacity().clamp(1, i32::MAX as usize) as i32;
        // SAFETY: the kernel writes at most `max` events into the vector's spare capacity,
        // which holds at least `max` elements.
        let n =
            unsafe { libc::epoll_wait(self.0.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(e) };
        }
        // SAFETY: epoll_wait initialised the first `n` (<= max <= capacity) elements.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the new soft limit.
pub fn raise_nofile() -> io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(lim.rlim_cur)
}

/// Reads the greeting of connection `i`: `true` once it is in, `false` while nothing is.
fn read_greeting(mut sock: &TcpStream, i: usize) -> io::Result<bool> {
    use std::io::Read;
    let mut byte = [0u8; 1];
    match sock.read(&mut byte) {
        Ok(1) if byte[0] == GREETING => Ok(true),
        Ok(0) => Err(io::Error::other(format!("connection {i}: closed by the server"))),
        Ok(_) => Err(io::Error::other(format!("connection {i}: greeting {byte:?}"))),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(io::Error::new(e.kind(), format!("connection {i}: {e}"))),
    }
}

/// Starts a non-blocking connect to `127.0.0.1:port`: the socket, its handshake under way.
fn connect_start(port: u16) -> io::Result<TcpStream> {
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes plain integers and returns a new fd or -1.
    let fd = unsafe { libc::socket(libc::AF_INET, flags, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new socket nothing else owns; the stream closes it when dropped.
    let sock = unsafe { TcpStream::from_raw_fd(fd) };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be() },
        sin_zero: [0; 8],
    };
    let len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_in of `len` bytes for the duration of the call.
    let rc = unsafe { libc::connect(fd, (&raw const addr).cast(), len) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
    }
    Ok(sock)
}

/// Opens `n` connections to `127.0.0.1:port` within `limit`, at most [`CONNECT_WINDOW`] of
/// them not yet known to be accepted: a connection counts once it is writable, or with
/// `greeted` once the server's [`GREETING`] byte has arrived on it (proof that the server
/// accepted it; a handshake completes in the kernel before any accept). The sockets come
/// back non-blocking, in the order they were started.
pub fn connect_many(
    port: u16,
    n: usize,
    limit: Duration,
    greeted: bool,
) -> io::Result<Vec<TcpStream>> {
    let ready = if greeted { libc::EPOLLIN } else { libc::EPOLLOUT };
    let interest = (ready | libc::EPOLLONESHOT) as u32;
    let deadline = Instant::now() + limit;
    let epoll = Epoll::new()?;
    let mut socks: Vec<Option<TcpStream>> = Vec::with_capacity(n);
    let (mut started, mut open) = (0, 0);
    let mut events = Vec::with_capacity(CONNECT_WINDOW);
    while open < n {
        while started < n && started - open < CONNECT_WINDOW {
            let sock = connect_start(port)
                .map_err(|e| io::Error::new(e.kind(), format!("connect {started} of {n}: {e}")))?;
            epoll.ctl(libc::EPOLL_CTL_ADD, sock.as_raw_fd(), interest, started as u64)?;
            socks.push(Some(sock));
            started += 1;
        }
        if Instant::now() >= deadline {
            let msg = format!("only {open} of {n} connections to port {port} within {limit:?}");
            return Err(io::Error::new(io::ErrorKind::TimedOut, msg));
        }
        epoll.wait(&mut events, 100)?;
        for ev in &events {
            let i = ev.u64 as usize;
            let sock = socks[i].as_ref().expect("a connection reports once (EPOLLONESHOT)");
            if let Some(e) = sock.take_error()? {
                return Err(io::Error::new(e.kind(), format!("connect {i} of {n}: {e}")));
            }
            if greeted && !read_greeting(sock, i)? {
                // Not yet: re-arm the one-shot registration.
                epoll.ctl(libc::EPOLL_CTL_MOD, sock.as_raw_fd(), interest, i as u64)?;
                continue;
            }
            epoll.ctl(libc::EPOLL_CTL_DEL, sock.as_raw_fd(), 0, 0)?;
            open += 1;
        }
    }
    Ok(socks.into_iter().flatten().collect())
}
