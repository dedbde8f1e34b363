//! `UdpSocket`: std's UDP socket whose sends and receives park the goroutine (or block
//! the plain thread) until the socket is ready, with std's timeouts and Go's deadlines.

use std::fmt;
use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use gpm_sched::Interest;
use socket2::{Domain, Protocol, Socket, Type};

use super::fd::NetFd;
use super::socket;

/// A UDP socket (std's `UdpSocket`, for goroutines).
///
/// ```
/// let a = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
/// let b = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"hi", b.local_addr()?)?;
/// let mut buf = [0u8; 8];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: NetFd<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (each resolved address in turn, as std). The name lookup runs in
    /// [`blocking`](crate::blocking) from a goroutine.
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<UdpSocket> {
        socket::each_addr(addr, |a| {
            let ty = socket::nonblocking(Type::DGRAM);
            let sock = Socket::new(Domain::for_address(*a), ty, Some(Protocol::UDP))?;
            sock.bind(&(*a).into())?;
            Ok(UdpSocket { inner: NetFd::new(sock.into()) })
        })
    }

    /// Receives one datagram, parking until one arrives; its length and sender.
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.io(Interest::Read, |s| s.recv_from(buf))
    }

    /// As `recv_from`, leaving the datagram queued.
    #[track_caller]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.io(Interest::Read, |s| s.peek_from(buf))
    }

    /// Sends `buf` to `addr` (its first resolved address, as std), parking while the
    /// send buffer is full. Each call resolves `addr` (in [`blocking`](crate::blocking)
    /// from a goroutine): pass a `SocketAddr`, or `connect` and `send`, on hot paths.
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs + Send>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = socket::resolve(addr)?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        self.inner.io(Interest::Write, |s| s.send_to(buf, to))
    }

    /// Sets the default peer (each resolved address in turn, as std): `send` and `recv`
    /// then use it, and datagrams from others are dropped.
    pub fn connect<A: ToSocketAddrs + Send>(&self, addr: A) -> io::Result<()> {
        socket::each_addr(addr, |a| self.inner.sock().connect(a))
    }

    /// Sends `buf` to the connected peer.
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send(buf))
    }

    /// Receives one datagram from the connected peer.
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.recv(buf))
    }

    /// As `recv`, leaving the datagram queued.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.peek(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The connected peer's address (`NotConnected` if none).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.sock().set_broadcast(on)
    }

    /// `SO_BROADCAST`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.sock().broadcast()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.sock().set_ttl(ttl)
    }

    /// `IP_TTL`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.sock().ttl()
    }

    /// The pending socket error (`SO_ERROR`), cleared.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own poll handle,
    /// timeouts and deadlines).
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// std's read timeout: each receive fails with `TimedOut` if it waits longer than
    /// `dur` from its start. `Some(Duration::ZERO)` is `InvalidInput`, as std.
    pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(Interest::Read, dur)
    }

    /// std's write timeout, as [`set_read_timeout`](Self::set_read_timeout).
    pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(Interest::Write, dur)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Interest::Read))
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Interest::Write))
    }

    /// Go's `SetDeadline`: both directions' deadlines.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.set_read_deadline(deadline);
        self.set_write_deadline(deadline);
    }

    /// Go's `SetReadDeadline`: receives fail with `TimedOut` after this absolute time,
    /// also one waiting now.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// Go's `SetWriteDeadline`: sends fail with `TimedOut` after this absolute time.
    pub fn set_write_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Write, deadline);
    }

    /// The std socket, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included).
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        let s = self.inner.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

impl From<net::UdpSocket> for UdpSocket {
    /// Takes a std socket, switching it to non-blocking mode.
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(s: net::UdpSocket) -> UdpSocket {
        s.set_nonblocking(true).expect("UdpSocket::from: set_nonblocking");
        UdpSocket { inner: NetFd::new(s) }
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
