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

/// A TCP socket server, listening for connections (std's `TcpListener`, for goroutines).
///
/// ```
/// # // SAFETY: no goroutine here holds a thread-local across a park.
/// # let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
/// use std::io::{Read, Write};
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
    /// `ToSocketAddrs` type is).
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpListener> {
        socket::each_addr(addr, |a| {
            let sock = socket::listen(Domain::for_address(*a), &(*a).into())?;
            Ok(TcpListener { inner: NetFd::new(sock.into()) })
        })
    }

    /// Accepts a connection, parking until one arrives; returns it (non-blocking,
    /// close-on-exec) and the peer's address.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (sock, addr) = self.inner.io(Interest::Read, |l| socket::accept(l))?;
        let addr = addr.as_socket().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "accept: not an internet address")
        })?;
        Ok((TcpStream::from_nonblocking(sock.into()), addr))
    }

    /// An endless iterator over the connections, as `accept` in a loop (std's `incoming`).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
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
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// Go's `SetDeadline` for `accept`: an absolute time after which `accept` fails with
    /// `TimedOut` (`None`: no deadline); seen by an `accept` waiting now.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// The std listener, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included).
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

/// The iterator of [`TcpListener::incoming`]; never returns `None`.
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
