//! `TcpListener`: std's listener whose `accept` parks the goroutine (or blocks the plain
//! thread) until a connection arrives; its backlog is the system's `somaxconn`.

use std::fmt;
use std::io;
use std::net::{self, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Instant;

use gpm_sched::Interest;
use socket2::Domain;

use super::fd::NetFd;
use super::socket;
use super::tcp_stream::TcpStream;

/// A TCP socket server, listening for connections (std's `TcpListener`, for goroutines):
/// [`accept`](Self::accept) parks a goroutine until a connection arrives, and blocks a
/// plain thread. Dropping it stops listening.
///
/// ```
/// use std::io::{Read, Write};
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let client = gpm::go(move || {
///         let mut s = gpm::net::TcpStream::connect(addr).unwrap();
///         s.write_all(b"ping").unwrap();
///     });
///     let (mut conn, _) = listener.accept()?;
///     let mut buf = [0u8; 4];
///     conn.read_exact(&mut buf)?;
///     assert_eq!(&buf, b"ping");
///     client.join().unwrap();
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    inner: NetFd<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (each resolved address in turn, as std) and listens, with the
    /// system's `somaxconn` as the backlog. The name lookup runs in
    /// [`blocking`](crate::blocking) from a goroutine (hence `Send`, which every std
    /// `ToSocketAddrs` type is). Port 0 asks the system for a free port;
    /// [`local_addr`](Self::local_addr) says which.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpListener> {
        socket::each_addr(addr, |a| {
            let sock = socket::listen(Domain::for_address(*a), &(*a).into())?;
            Ok(TcpListener { inner: NetFd::new(sock.into()) })
        })
    }

    /// Accepts a connection, parking until one arrives; returns it and the peer's
    /// address. See also [`incoming`](Self::incoming) and
    /// [`set_deadline`](Self::set_deadline).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let client = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let (conn, peer) = listener.accept()?;
    /// assert_eq!(peer, client.local_addr()?);
    /// assert_eq!(conn.peer_addr()?, peer);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (sock, addr) = self.inner.io(Interest::Read, |l| socket::accept(l))?;
        let addr = addr.as_socket().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "accept: not an internet address")
        })?;
        Ok((TcpStream::from_nonblocking(sock.into()), addr))
    }

    /// An endless iterator over the connections, as `accept` in a loop (std's `incoming`;
    /// example at [`Incoming`]).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address this listener is bound to (example at [`bind`](Self::bind)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// Sets `IP_TTL`; [`ttl`](Self::ttl) and [`take_error`](Self::take_error) are std's
    /// too.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_ttl(100)?;
    /// assert_eq!(listener.ttl()?, 100);
    /// assert!(listener.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.sock().set_ttl(ttl)
    }

    /// `IP_TTL` (example at [`set_ttl`](Self::set_ttl)).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.sock().ttl()
    }

    /// The pending socket error (`SO_ERROR`), cleared (example at
    /// [`set_ttl`](Self::set_ttl)).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own deadline), so
    /// that several goroutines can accept on one port.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let other = listener.try_clone()?;
    /// let _client = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let (conn, _) = other.accept()?; // either handle accepts
    /// assert_eq!(conn.local_addr()?, listener.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// Go's `SetDeadline` for `accept`: an absolute time after which `accept` fails with
    /// [`TimedOut`](io::ErrorKind::TimedOut) (`None`: no deadline); seen by an `accept`
    /// waiting now, so setting it from another goroutine stops an accept loop.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// listener.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// let err = listener.accept().unwrap_err(); // nobody connects
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// The std listener, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included). `TcpListener::from` goes the other way.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let std_listener: std::net::TcpListener = listener.into_std()?;
    /// let back = gpm::net::TcpListener::from(std_listener); // non-blocking again
    /// assert_eq!(back.local_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        let l = self.inner.into_inner();
        l.set_nonblocking(false)?;
        Ok(l)
    }
}

impl From<net::TcpListener> for TcpListener {
    /// Takes a std listener, switching it to non-blocking mode (Go's `FileListener`).
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(l: net::TcpListener) -> TcpListener {
        l.set_nonblocking(true).expect("TcpListener::from: set_nonblocking");
        TcpListener { inner: NetFd::new(l) }
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// The iterator of [`TcpListener::incoming`]: each item is an
/// [`accept`](TcpListener::accept)ed connection or its error; it never returns `None`.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let clients: Vec<_> =
///         (0..3).map(|_| gpm::go(move || gpm::net::TcpStream::connect(addr))).collect();
///     let accepted = listener.incoming().take(3).filter(|conn| conn.is_ok()).count();
///     assert_eq!(accepted, 3);
///     for c in clients {
///         c.join().unwrap()?;
///     }
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
