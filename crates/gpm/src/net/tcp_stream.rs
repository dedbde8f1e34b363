//! `TcpStream`: std's TCP stream whose reads, writes and connect park the goroutine (or
//! block the plain thread) until the socket is ready, with std's timeouts and Go's
//! deadlines.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{self, Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use gpm_sched::Interest;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::fd::NetFd;
use super::socket;

/// A TCP connection (std's `TcpStream`, for goroutines). `Read` and `Write` are
/// implemented for `TcpStream` and `&TcpStream`, so one goroutine may read while another
/// writes (one waiter per direction at a time; more queue in order).
pub struct TcpStream {
    inner: NetFd<net::TcpStream>,
}

impl TcpStream {
    /// Wraps a std stream already in non-blocking mode.
    pub(crate) fn from_nonblocking(s: net::TcpStream) -> TcpStream {
        TcpStream { inner: NetFd::new(s) }
    }

    /// Connects to `addr`, each resolved address in turn as std; a goroutine parks while
    /// the connection is made. The name lookup runs in [`blocking`](crate::blocking) from
    /// a goroutine (hence `Send`, which every std `ToSocketAddrs` type is).
    pub fn connect<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpStream> {
        socket::each_addr(addr, |a| TcpStream::connect_addr(a, None))
    }

    /// Connects to `addr`, failing with `TimedOut` after `timeout` (a zero timeout is
    /// `InvalidInput`, as std).
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(socket::zero_timeout());
        }
        TcpStream::connect_addr(addr, Some(timeout))
    }

    fn connect_addr(addr: &SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let ty = socket::nonblocking(Type::STREAM);
        let sock = Socket::new(Domain::for_address(*addr), ty, Some(Protocol::TCP))?;
        let s = TcpStream::from_nonblocking(sock.into());
        let sock = SockRef::from(s.inner.sock());
        socket::connect(&sock, s.inner.pfd(), &(*addr).into(), timeout)?;
        Ok(s)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// Shuts down the read, write or both halves. A goroutine blocked in a read on this
    /// socket (through another reference) then returns: `Ok(0)` or an error.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.sock().shutdown(how)
    }

    /// Reads without removing the data from the queue, parking until some is there.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.sock().set_nodelay(nodelay)
    }

    /// `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.sock().nodelay()
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

    /// A second handle to the same connection (a duplicated fd with its own poll handle,
    /// timeouts and deadlines).
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream::from_nonblocking(self.inner.sock().try_clone()?))
    }

    /// std's read timeout: each read fails with `TimedOut` if it waits longer than `dur`
    /// from its start. `Some(Duration::ZERO)` is `InvalidInput`, as std.
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

    /// Go's `SetReadDeadline`: an absolute time after which reads fail with `TimedOut`
    /// (`None`: none), also a read waiting now; a deadline in the past fails the next
    /// read at once, even with data waiting.
    pub fn set_read_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// Go's `SetWriteDeadline`, as [`set_read_deadline`](Self::set_read_deadline).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Write, deadline);
    }

    /// The read deadline.
    pub fn read_deadline(&self) -> Option<Instant> {
        self.inner.deadline(Interest::Read)
    }

    /// The write deadline.
    pub fn write_deadline(&self) -> Option<Instant> {
        self.inner.deadline(Interest::Write)
    }

    /// The std stream, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included).
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        let s = self.inner.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

impl From<net::TcpStream> for TcpStream {
    /// Takes a std stream, switching it to non-blocking mode.
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(s: net::TcpStream) -> TcpStream {
        s.set_nonblocking(true).expect("TcpStream::from: set_nonblocking");
        TcpStream::from_nonblocking(s)
    }
}

impl Read for &TcpStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |mut s| s.read(buf))
    }

    #[track_caller]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &TcpStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |mut s| s.write(buf))
    }

    #[track_caller]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.io(Interest::Write, |mut s| s.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    #[track_caller]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    #[track_caller]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("addr", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
