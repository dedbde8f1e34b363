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

/// A UDP socket (std's `UdpSocket`, for goroutines): a receive parks a goroutine until a
/// datagram arrives (a send, while the send buffer is full), and blocks a plain thread.
/// Unconnected, it sends with [`send_to`](Self::send_to) and receives with
/// [`recv_from`](Self::recv_from); after [`connect`](Self::connect), with
/// [`send`](Self::send) and [`recv`](Self::recv). All methods take `&self`: share it with
/// an `Arc` between goroutines.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let server = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
///     let addr = server.local_addr()?;
///     let echo = gpm::go(move || -> std::io::Result<()> {
///         let mut buf = [0u8; 64];
///         let (n, from) = server.recv_from(&mut buf)?; // parks until a datagram comes
///         server.send_to(&buf[..n], from)?;
///         Ok(())
///     });
///     let client = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
///     client.send_to(b"ping", addr)?;
///     let mut buf = [0u8; 64];
///     let (n, from) = client.recv_from(&mut buf)?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], addr));
///     echo.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    inner: NetFd<net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (each resolved address in turn, as std). The name lookup runs in
    /// [`blocking`](crate::blocking) from a goroutine. Port 0 asks the system for a free
    /// port.
    ///
    /// ```
    /// let sock = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_ne!(sock.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<UdpSocket> {
        socket::each_addr(addr, |a| {
            let ty = socket::nonblocking(Type::DGRAM);
            let sock = Socket::new(Domain::for_address(*a), ty, Some(Protocol::UDP))?;
            sock.bind(&(*a).into())?;
            Ok(UdpSocket { inner: NetFd::new(sock.into()) })
        })
    }

    /// Receives one datagram, parking until one arrives; its length and sender. A datagram
    /// longer than `buf` is cut to fit. See also [`peek_from`](Self::peek_from) and
    /// [`set_read_timeout`](Self::set_read_timeout).
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
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.io(Interest::Read, |s| s.recv_from(buf))
    }

    /// As [`recv_from`](Self::recv_from), leaving the datagram queued.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// a.send_to(b"hi", b.local_addr()?)?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.peek_from(&mut buf)?.0, 2);
    /// assert_eq!(b.recv_from(&mut buf)?.0, 2); // still there
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.io(Interest::Read, |s| s.peek_from(buf))
    }

    /// Sends `buf` to `addr` (its first resolved address, as std), parking while the
    /// send buffer is full. Each call resolves `addr` (in [`blocking`](crate::blocking)
    /// from a goroutine): pass a `SocketAddr`, or `connect` and `send`, on hot paths.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert_eq!(a.send_to(b"hello", b.local_addr()?)?, 5);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv_from(&mut buf)?.0, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs + Send>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = socket::resolve(addr)?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        self.inner.io(Interest::Write, |s| s.send_to(buf, to))
    }

    /// Sets the default peer (each resolved address in turn, as std): `send` and `recv`
    /// then use it, and datagrams from others are dropped. Never waits.
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// a.connect(b.local_addr()?)?;
    /// b.connect(a.local_addr()?)?;
    /// a.send(b"hi")?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.peek(&mut buf)?, 2);
    /// assert_eq!(b.recv(&mut buf)?, 2);
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect<A: ToSocketAddrs + Send>(&self, addr: A) -> io::Result<()> {
        socket::each_addr(addr, |a| self.inner.sock().connect(a))
    }

    /// Sends `buf` to the connected peer, parking while the send buffer is full (example
    /// at [`connect`](Self::connect)).
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send(buf))
    }

    /// Receives one datagram from the connected peer, parking until one arrives (example
    /// at [`connect`](Self::connect)).
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.recv(buf))
    }

    /// As [`recv`](Self::recv), leaving the datagram queued (example at
    /// [`connect`](Self::connect)).
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.peek(buf))
    }

    /// The local address (example at [`bind`](Self::bind)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The connected peer's address (`NotConnected` if none; example at
    /// [`connect`](Self::connect)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// Sets `SO_BROADCAST`. The other socket options and queries
    /// ([`broadcast`](Self::broadcast), [`set_ttl`](Self::set_ttl), [`ttl`](Self::ttl),
    /// [`take_error`](Self::take_error)) are std's, as here.
    ///
    /// ```
    /// let sock = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_broadcast(true)?;
    /// assert!(sock.broadcast()?);
    /// sock.set_ttl(42)?;
    /// assert_eq!(sock.ttl()?, 42);
    /// assert!(sock.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.sock().set_broadcast(on)
    }

    /// `SO_BROADCAST` (example at [`set_broadcast`](Self::set_broadcast)).
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.sock().broadcast()
    }

    /// Sets `IP_TTL` (example at [`set_broadcast`](Self::set_broadcast)).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.sock().set_ttl(ttl)
    }

    /// `IP_TTL` (example at [`set_broadcast`](Self::set_broadcast)).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.sock().ttl()
    }

    /// The pending socket error (`SO_ERROR`), cleared (example at
    /// [`set_broadcast`](Self::set_broadcast)).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own timeouts and
    /// deadlines).
    ///
    /// ```
    /// let a = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let a2 = a.try_clone()?;
    /// a2.send_to(b"x", b.local_addr()?)?;
    /// let (_, from) = b.recv_from(&mut [0u8; 1])?;
    /// assert_eq!(from, a.local_addr()?); // the same socket
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// std's read timeout: each receive fails with [`TimedOut`](io::ErrorKind::TimedOut)
    /// if it waits longer than `dur` from its start (`None`: no timeout).
    /// `Some(Duration::ZERO)` is `InvalidInput`, as std. The write side
    /// ([`set_write_timeout`](Self::set_write_timeout)) and the getters
    /// ([`read_timeout`](Self::read_timeout), [`write_timeout`](Self::write_timeout)) work
    /// the same way. For an absolute time, see [`set_deadline`](Self::set_deadline).
    ///
    /// ```
    /// use std::time::Duration;
    /// let sock = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_read_timeout(Some(Duration::from_millis(5)))?;
    /// assert_eq!(sock.read_timeout()?, Some(Duration::from_millis(5)));
    /// let err = sock.recv_from(&mut [0u8; 8]).unwrap_err(); // nothing is sent
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// assert!(sock.set_write_timeout(Some(Duration::ZERO)).is_err());
    /// assert_eq!(sock.write_timeout()?, None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(Interest::Read, dur)
    }

    /// std's write timeout, as [`set_read_timeout`](Self::set_read_timeout) (example
    /// there).
    pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_timeout(Interest::Write, dur)
    }

    /// The read timeout (example at [`set_read_timeout`](Self::set_read_timeout)).
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Interest::Read))
    }

    /// The write timeout (example at [`set_read_timeout`](Self::set_read_timeout)).
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.inner.timeout(Interest::Write))
    }

    /// Go's `SetDeadline`: sets both directions' deadlines, as
    /// [`set_read_deadline`](Self::set_read_deadline) and
    /// [`set_write_deadline`](Self::set_write_deadline) do; `None` removes them.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let sock = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// sock.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// let err = sock.recv_from(&mut [0u8; 8]).unwrap_err(); // nothing is sent
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// sock.set_deadline(None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.set_read_deadline(deadline);
        self.set_write_deadline(deadline);
    }

    /// Go's `SetReadDeadline`: receives fail with [`TimedOut`](io::ErrorKind::TimedOut)
    /// after this absolute time (`None`: none), also one waiting now (example at
    /// [`set_deadline`](Self::set_deadline)).
    pub fn set_read_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// Go's `SetWriteDeadline`: sends fail with [`TimedOut`](io::ErrorKind::TimedOut)
    /// after this absolute time (`None`: none; example at
    /// [`set_deadline`](Self::set_deadline)).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Write, deadline);
    }

    /// The std socket, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included). `UdpSocket::from` goes the other way.
    ///
    /// ```
    /// let sock = gpm::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = sock.local_addr()?;
    /// let std_sock: std::net::UdpSocket = sock.into_std()?;
    /// let back = gpm::net::UdpSocket::from(std_sock); // non-blocking again
    /// assert_eq!(back.local_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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
