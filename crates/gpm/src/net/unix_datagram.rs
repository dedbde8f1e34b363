//! `UnixDatagram`: std's Unix-domain datagram socket whose sends and receives park the
//! goroutine (or block the plain thread) until the socket is ready, with std's timeouts
//! and Go's deadlines.
//!
//! When a waiting send is woken (and so why an unconnected sender may wait until its
//! deadline) is written on the type, for users.
//!
//! # A receive ended by `shutdown`
//! Linux ends a blocking receive on a datagram socket shut down for reading with `Ok(0)`,
//! but a non-blocking one keeps saying `WouldBlock` (only streams and seqpackets read
//! EOF), so a parked receiver would be woken by the shutdown and park again for good.
//! So `shutdown` of the read half sets `read_shut`, shared by every `try_clone`, and a
//! receive that gets `WouldBlock` with it set returns `Ok(0)` as the blocking call does.
//! The flag is set *before* the syscall: a receiver that saw it unset got its
//! `WouldBlock` before the syscall, so the syscall's wake-up comes after, leaves a
//! readiness permit if the receiver has not parked yet, and its retry reads the flag
//! set (the permit's hand-off orders the store before the load). Set after the
//! syscall, the wake-up could be consumed before the store, and the receiver would
//! park again with nothing left to wake it. A shutdown through an fd made elsewhere
//! (not by `try_clone`) is not seen: such a receive ends at its deadline.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use gpm_sched::Interest;
use socket2::{Domain, SockAddr, Socket, Type};

use super::fd::NetFd;
use super::socket;

/// A Unix-domain datagram socket (std's `UnixDatagram`, for goroutines): a receive parks a
/// goroutine until a datagram arrives, and blocks a plain thread.
///
/// A send waits while the receiver's queue is full. Linux wakes a waiting sender when the
/// receiver takes datagrams: for a connected socket whenever its peer's queue drains, for
/// an unconnected one only when datagrams it sent itself are taken. So an unconnected
/// sender held up by others' datagrams may wait until its deadline:
/// [`connect`](Self::connect) a socket that sends to one receiver.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let (a, b) = gpm::net::UnixDatagram::pair()?;
///     let echo = gpm::go(move || -> std::io::Result<()> {
///         let mut buf = [0u8; 64];
///         let n = b.recv(&mut buf)?; // parks until a datagram comes
///         b.send(&buf[..n])?;
///         Ok(())
///     });
///     a.send(b"hi")?;
///     let mut buf = [0u8; 64];
///     let n = a.recv(&mut buf)?;
///     assert_eq!(&buf[..n], b"hi");
///     echo.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: NetFd<net::UnixDatagram>,
    /// The read half was shut down through this handle or a `try_clone` of it; see this
    /// file's header.
    read_shut: Arc<AtomicBool>,
}

impl UnixDatagram {
    fn from_nonblocking(s: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram { inner: NetFd::new(s), read_shut: Arc::default() }
    }

    /// Runs the receive `op` until it does not return `WouldBlock`; after a shutdown of
    /// the read half, `WouldBlock` is the end, `eof()` (see this file's header).
    fn recv_op<R>(
        &self,
        mut op: impl FnMut(&net::UnixDatagram) -> io::Result<R>,
        eof: impl Fn() -> io::Result<R>,
    ) -> io::Result<R> {
        self.inner.io(Interest::Read, |s| match op(s) {
            // Acquire: pairs with the Release in `shutdown`.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.read_shut.load(Acquire) => {
                eof()
            }
            r => r,
        })
    }

    fn new_socket() -> io::Result<Socket> {
        Socket::new(Domain::UNIX, socket::nonblocking(Type::DGRAM), None)
    }

    /// A socket bound to `path` (which must not exist).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-dbind.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::UnixDatagram::bind(&path)?;
    /// let client = gpm::net::UnixDatagram::unbound()?;
    /// client.send_to(b"hi", &path)?;
    /// let mut buf = [0u8; 8];
    /// let (n, from) = server.recv_from(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hi");
    /// assert!(from.is_unnamed()); // an unbound sender
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let sock = UnixDatagram::new_socket()?;
        sock.bind(&SockAddr::unix(path)?)?;
        Ok(UnixDatagram::from_nonblocking(sock.into()))
    }

    /// A socket bound to `addr` (a path, or on Linux an abstract name, which needs no file).
    /// [`connect_addr`](Self::connect_addr) and [`send_to_addr`](Self::send_to_addr) take
    /// such an address too.
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// let name = format!("gpm-{}-bind-addr", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let server = gpm::net::UnixDatagram::bind_addr(&addr)?;
    /// let client = gpm::net::UnixDatagram::unbound()?;
    /// client.send_to_addr(b"hi", &addr)?;
    /// client.connect_addr(&addr)?;
    /// client.send(b"again")?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(server.recv(&mut buf)?, 2);
    /// assert_eq!(server.recv(&mut buf)?, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no address (its datagrams come from an unnamed sender; example at
    /// [`bind`](Self::bind)).
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram::from_nonblocking(UnixDatagram::new_socket()?.into()))
    }

    /// An unnamed pair of sockets connected to each other.
    ///
    /// ```
    /// let (a, b) = gpm::net::UnixDatagram::pair()?;
    /// a.send(b"hi")?;
    /// let mut buf = [0u8; 8];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    fn from_std(s: net::UnixDatagram) -> io::Result<UnixDatagram> {
        s.set_nonblocking(true)?;
        Ok(UnixDatagram::from_nonblocking(s))
    }

    /// Sets the default peer to the socket at `path`: `send` and `recv` then use it, and
    /// datagrams from others are dropped. Never waits.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-dconn.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = gpm::net::UnixDatagram::bind(&path)?;
    /// let client = gpm::net::UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// client.send(b"hi")?;
    /// assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// assert_eq!(server.recv(&mut [0u8; 8])?, 2);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.sock().connect(path)
    }

    /// As [`connect`](Self::connect), to an address (example at
    /// [`bind_addr`](Self::bind_addr)).
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        self.inner.sock().connect_addr(addr)
    }

    /// Receives one datagram, parking until one arrives; its length and sender (example
    /// at [`bind`](Self::bind)). After a shutdown of the read half, `Ok((0, unnamed))` once
    /// the queue is empty, as std's blocking call.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_op(|s| s.recv_from(buf), || Ok((0, unnamed()?)))
    }

    /// Receives one datagram (from the connected peer, if connected), parking until one
    /// arrives; its length (example at [`pair`](Self::pair)). After a shutdown of the read
    /// half, `Ok(0)` once the queue is empty, as std's blocking call.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_op(|s| s.recv(buf), || Ok(0))
    }

    /// As [`recv`](Self::recv), leaving the datagram queued. (std's `peek` is unstable,
    /// and so is its `peek_from`, which this type does not have.)
    ///
    /// ```
    /// let (a, b) = gpm::net::UnixDatagram::pair()?;
    /// a.send(b"hi")?;
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.peek(&mut buf)?, 2);
    /// assert_eq!(b.recv(&mut buf)?, 2); // still there
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_op(|s| socket::peek(s, buf), || Ok(0))
    }

    /// Sends `buf` to the socket at `path`, parking while the receiver's queue is full
    /// (see [`UnixDatagram`] for how long; example at [`bind`](Self::bind)).
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner.io(Interest::Write, |s| s.send_to(buf, path))
    }

    /// As [`send_to`](Self::send_to), to an address (example at
    /// [`bind_addr`](Self::bind_addr)).
    pub fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send_to_addr(buf, addr))
    }

    /// Sends `buf` to the connected peer, parking while its queue is full (example at
    /// [`pair`](Self::pair)).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send(buf))
    }

    /// The local address.
    ///
    /// ```
    /// let sock = gpm::net::UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// assert!(sock.peer_addr().is_err()); // not connected
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The connected peer's address (`NotConnected` if none; examples at
    /// [`local_addr`](Self::local_addr) and [`connect`](Self::connect)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// Shuts down the read, write or both halves. A goroutine blocked in a receive on
    /// this socket (through another reference or a `try_clone`) then returns `Ok(0)`.
    /// (Through an fd made elsewhere than this handle or its `try_clone`s, the shutdown is
    /// not seen by a waiting receive, which then ends at its deadline.)
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| -> std::io::Result<()> {
    ///     let (a, _b) = gpm::net::UnixDatagram::pair()?;
    ///     let a = Arc::new(a);
    ///     let a2 = a.clone();
    ///     let receiver = gpm::go(move || a2.recv(&mut [0u8; 8]));
    ///     a.shutdown(Shutdown::Read)?;
    ///     assert_eq!(receiver.join().unwrap()?, 0); // the receive ends
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let read = matches!(how, Shutdown::Read | Shutdown::Both);
        if read {
            // Release: pairs with the Acquire in `recv_op`; stored before the syscall,
            // whose wake-up must follow it.
            self.read_shut.store(true, Release);
        }
        let done = self.inner.sock().shutdown(how);
        if done.is_err() && read {
            self.read_shut.store(false, Release);
        }
        done
    }

    /// The pending socket error (`SO_ERROR`), cleared.
    ///
    /// ```
    /// let (a, _b) = gpm::net::UnixDatagram::pair()?;
    /// assert!(a.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own timeouts and
    /// deadlines).
    ///
    /// ```
    /// let (a, b) = gpm::net::UnixDatagram::pair()?;
    /// a.try_clone()?.send(b"x")?;
    /// assert_eq!(b.recv(&mut [0u8; 1])?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        let inner = NetFd::new(self.inner.sock().try_clone()?);
        Ok(UnixDatagram { inner, read_shut: self.read_shut.clone() })
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
    /// let (a, _b) = gpm::net::UnixDatagram::pair()?;
    /// a.set_read_timeout(Some(Duration::from_millis(5)))?;
    /// assert_eq!(a.read_timeout()?, Some(Duration::from_millis(5)));
    /// let err = a.recv(&mut [0u8; 8]).unwrap_err(); // nothing is sent
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// assert!(a.set_write_timeout(Some(Duration::ZERO)).is_err());
    /// assert_eq!(a.write_timeout()?, None);
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
    /// let (a, _b) = gpm::net::UnixDatagram::pair()?;
    /// a.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// let err = a.recv(&mut [0u8; 8]).unwrap_err(); // nothing is sent
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// a.set_deadline(None);
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
    /// shares, `try_clone`s included). `UnixDatagram::from` goes the other way.
    ///
    /// ```
    /// let (a, b) = gpm::net::UnixDatagram::pair()?;
    /// let std_sock: std::os::unix::net::UnixDatagram = a.into_std()?;
    /// let back = gpm::net::UnixDatagram::from(std_sock); // non-blocking again
    /// back.send(b"x")?;
    /// assert_eq!(b.recv(&mut [0u8; 1])?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixDatagram> {
        let s = self.inner.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

/// An unnamed address (std has no constructor for one: it is an unbound socket's).
fn unnamed() -> io::Result<SocketAddr> {
    static UNNAMED: OnceLock<SocketAddr> = OnceLock::new();
    if let Some(a) = UNNAMED.get() {
        return Ok(a.clone());
    }
    let a = net::UnixDatagram::unbound()?.local_addr()?;
    Ok(UNNAMED.get_or_init(|| a).clone())
}

impl From<net::UnixDatagram> for UnixDatagram {
    /// Takes a std socket, switching it to non-blocking mode.
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(s: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram::from_std(s).expect("UnixDatagram::from: set_nonblocking")
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("addr", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
