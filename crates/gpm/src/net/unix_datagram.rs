//! `UnixDatagram`: std's Unix-domain datagram socket whose sends and receives park the
//! goroutine (or block the plain thread) until the socket is ready, with std's timeouts
//! and Go's deadlines.
//!
//! A send waits while the receiver's queue is full. Linux says so by waking the sender
//! when the receiver takes datagrams: for a connected socket whenever its peer's queue
//! drains, for an unconnected one when datagrams it sent itself are taken. An
//! unconnected sender blocked by others' datagrams may therefore wait until its
//! deadline: `connect` a socket that sends to one receiver.
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

/// A Unix-domain datagram socket (std's `UnixDatagram`, for goroutines).
///
/// ```
/// let (a, b) = gpm::net::UnixDatagram::pair()?;
/// a.send(b"hi")?;
/// let mut buf = [0u8; 8];
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: NetFd<net::UnixDatagram>,
    /// The read half was shut down through this handle or a `try_clone` of it; see the
    /// module docs.
    read_shut: Arc<AtomicBool>,
}

impl UnixDatagram {
    fn from_nonblocking(s: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram { inner: NetFd::new(s), read_shut: Arc::default() }
    }

    /// Runs the receive `op` until it does not return `WouldBlock`; after a shutdown of
    /// the read half, `WouldBlock` is the end, `eof()` (see the module docs).
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
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let sock = UnixDatagram::new_socket()?;
        sock.bind(&SockAddr::unix(path)?)?;
        Ok(UnixDatagram::from_nonblocking(sock.into()))
    }

    /// A socket bound to `addr` (a path, or on Linux an abstract name).
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no address (its datagrams come from an unnamed sender).
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram::from_nonblocking(UnixDatagram::new_socket()?.into()))
    }

    /// An unnamed pair of sockets connected to each other.
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
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.sock().connect(path)
    }

    /// As [`connect`](Self::connect), to an address.
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        self.inner.sock().connect_addr(addr)
    }

    /// Receives one datagram, parking until one arrives; its length and sender.
    /// After a shutdown of the read half, `Ok((0, unnamed))` once the queue is empty, as
    /// std's blocking call.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_op(|s| s.recv_from(buf), || Ok((0, unnamed()?)))
    }

    /// Receives one datagram (from the connected peer, if connected). After a shutdown
    /// of the read half, `Ok(0)` once the queue is empty, as std's blocking call.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_op(|s| s.recv(buf), || Ok(0))
    }

    /// As `recv`, leaving the datagram queued. (std's `peek` is unstable, and so is its
    /// `peek_from`, which this type does not have.)
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_op(|s| socket::peek(s, buf), || Ok(0))
    }

    /// Sends `buf` to the socket at `path`, parking while the receiver's queue is full
    /// (see the module docs).
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.inner.io(Interest::Write, |s| s.send_to(buf, path))
    }

    /// As [`send_to`](Self::send_to), to an address.
    pub fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send_to_addr(buf, addr))
    }

    /// Sends `buf` to the connected peer, parking while its queue is full.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |s| s.send(buf))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The connected peer's address (`NotConnected` if none).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// Shuts down the read, write or both halves. A goroutine blocked in a receive on
    /// this socket (through another reference or a `try_clone`) then returns `Ok(0)`
    /// (see the module docs).
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
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own poll handle,
    /// timeouts and deadlines).
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        let inner = NetFd::new(self.inner.sock().try_clone()?);
        Ok(UnixDatagram { inner, read_shut: self.read_shut.clone() })
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
