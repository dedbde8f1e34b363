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

/// A TCP connection (std's `TcpStream`, for goroutines): [`connect`](Self::connect) or
/// [`TcpListener::accept`](super::TcpListener::accept) make one. Reads, writes and connect
/// park a goroutine until the socket is ready, and block a plain thread. `Read` and `Write`
/// are implemented for `TcpStream` and `&TcpStream`, so one goroutine may read while
/// another writes (several readers, or writers, take turns in order). Dropping it closes
/// the connection.
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = gpm::go(move || -> std::io::Result<()> {
///         let (conn, _) = listener.accept()?;
///         let mut line = String::new();
///         BufReader::new(&conn).read_line(&mut line)?;
///         (&conn).write_all(format!("{} back\n", line.trim_end()).as_bytes())
///     });
///     let mut client = gpm::net::TcpStream::connect(addr)?;
///     client.write_all(b"hello\n")?;
///     let mut reply = String::new();
///     BufReader::new(&client).read_line(&mut reply)?;
///     assert_eq!(reply, "hello back\n");
///     server.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
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
    /// a goroutine (hence `Send`, which every std `ToSocketAddrs` type is). See also
    /// [`connect_timeout`](Self::connect_timeout).
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let stream = gpm::net::TcpStream::connect(addr)?;
    /// assert_eq!(stream.peer_addr()?, addr);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpStream> {
        socket::each_addr(addr, |a| TcpStream::connect_addr(a, None))
    }

    /// Connects to `addr`, failing with [`TimedOut`](io::ErrorKind::TimedOut) after
    /// `timeout` (a zero timeout is `InvalidInput`, as std).
    ///
    /// ```
    /// use std::time::Duration;
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// let stream = gpm::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    /// assert_eq!(stream.peer_addr()?, addr);
    /// let zero = gpm::net::TcpStream::connect_timeout(&addr, Duration::ZERO);
    /// assert_eq!(zero.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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

    /// The remote address (example at [`local_addr`](Self::local_addr)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// The local address.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let (b, _) = listener.accept()?;
    /// assert_eq!(a.local_addr()?, b.peer_addr()?);
    /// assert_eq!(a.peer_addr()?, b.local_addr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// Shuts down the read, write or both halves. A goroutine blocked in a read on this
    /// socket (through another reference) then returns: `Ok(0)` or an error. This is how
    /// to end a read that another goroutine waits in; dropping the stream is not possible
    /// while it is borrowed.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::net::Shutdown;
    /// use std::sync::Arc;
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| -> std::io::Result<()> {
    ///     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let conn = Arc::new(gpm::net::TcpStream::connect(listener.local_addr()?)?);
    ///     let _peer = listener.accept()?; // connected, but the peer sends nothing
    ///     let c = conn.clone();
    ///     let reader = gpm::go(move || (&*c).read(&mut [0u8; 16]));
    ///     conn.shutdown(Shutdown::Read)?;
    ///     assert_eq!(reader.join().unwrap()?, 0); // the read ends: end of stream
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.sock().shutdown(how)
    }

    /// Reads without removing the data from the queue, parking until some is there.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let mut a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let (mut b, _) = listener.accept()?;
    /// a.write_all(b"hi")?;
    /// let mut buf = [0u8; 2];
    /// assert_eq!(b.peek(&mut buf)?, 2);
    /// b.read_exact(&mut buf)?; // still there
    /// assert_eq!(&buf, b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY` (no Nagle delay on small writes). The other socket options and
    /// queries ([`nodelay`](Self::nodelay), [`set_ttl`](Self::set_ttl),
    /// [`ttl`](Self::ttl), [`take_error`](Self::take_error)) are std's, as here.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let _b = listener.accept()?;
    /// a.set_nodelay(true)?;
    /// assert!(a.nodelay()?);
    /// a.set_ttl(64)?;
    /// assert_eq!(a.ttl()?, 64);
    /// assert!(a.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.sock().set_nodelay(nodelay)
    }

    /// `TCP_NODELAY` (example at [`set_nodelay`](Self::set_nodelay)).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.sock().nodelay()
    }

    /// Sets `IP_TTL` (example at [`set_nodelay`](Self::set_nodelay)).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.sock().set_ttl(ttl)
    }

    /// `IP_TTL` (example at [`set_nodelay`](Self::set_nodelay)).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.sock().ttl()
    }

    /// The pending socket error (`SO_ERROR`), cleared (example at
    /// [`set_nodelay`](Self::set_nodelay)).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same connection (a duplicated fd with its own timeouts and
    /// deadlines), to move into another goroutine.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let (mut b, _) = listener.accept()?;
    /// let mut a2 = a.try_clone()?;
    /// a2.write_all(b"x")?;
    /// let mut buf = [0u8; 1];
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"x");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream::from_nonblocking(self.inner.sock().try_clone()?))
    }

    /// std's read timeout: each read fails with [`TimedOut`](io::ErrorKind::TimedOut) if
    /// it waits longer than `dur` from its start (`None`: no timeout).
    /// `Some(Duration::ZERO)` is `InvalidInput`, as std. The write side
    /// ([`set_write_timeout`](Self::set_write_timeout)) and the getters
    /// ([`read_timeout`](Self::read_timeout), [`write_timeout`](Self::write_timeout)) work
    /// the same way. For an absolute time, see [`set_deadline`](Self::set_deadline).
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::time::Duration;
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let mut a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// let _b = listener.accept()?; // sends nothing
    /// a.set_read_timeout(Some(Duration::from_millis(5)))?;
    /// assert_eq!(a.read_timeout()?, Some(Duration::from_millis(5)));
    /// assert_eq!(a.read(&mut [0u8; 1]).unwrap_err().kind(), ErrorKind::TimedOut);
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
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let _b = listener.accept()?;
    /// let soon = Instant::now() + Duration::from_secs(1);
    /// a.set_deadline(Some(soon));
    /// assert_eq!((a.read_deadline(), a.write_deadline()), (Some(soon), Some(soon)));
    /// a.set_deadline(None);
    /// assert_eq!(a.read_deadline(), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.set_read_deadline(deadline);
        self.set_write_deadline(deadline);
    }

    /// Go's `SetReadDeadline`: an absolute time after which reads fail with
    /// [`TimedOut`](io::ErrorKind::TimedOut) (`None`: none), also a read waiting now; a
    /// deadline in the past fails the next read at once, even with data waiting. Setting
    /// one from another goroutine is the way to cancel a read in progress.
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use std::sync::Arc;
    /// use std::time::{Duration, Instant};
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| -> std::io::Result<()> {
    ///     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let conn = Arc::new(gpm::net::TcpStream::connect(listener.local_addr()?)?);
    ///     let _peer = listener.accept()?; // sends nothing
    ///     let c = conn.clone();
    ///     let reader = gpm::go(move || (&*c).read(&mut [0u8; 16]));
    ///     gpm::sleep(Duration::from_millis(1)); // the reader is waiting now
    ///     conn.set_read_deadline(Some(Instant::now())); // seen by the waiting read
    ///     assert_eq!(reader.join().unwrap().unwrap_err().kind(), ErrorKind::TimedOut);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_read_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// Go's `SetWriteDeadline`, as [`set_read_deadline`](Self::set_read_deadline) for
    /// writes (example at [`set_deadline`](Self::set_deadline)).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Write, deadline);
    }

    /// The read deadline (example at [`set_deadline`](Self::set_deadline)).
    pub fn read_deadline(&self) -> Option<Instant> {
        self.inner.deadline(Interest::Read)
    }

    /// The write deadline (example at [`set_deadline`](Self::set_deadline)).
    pub fn write_deadline(&self) -> Option<Instant> {
        self.inner.deadline(Interest::Write)
    }

    /// The std stream, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included). `TcpStream::from` goes the other way.
    ///
    /// ```
    /// let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
    /// let a = gpm::net::TcpStream::connect(listener.local_addr()?)?;
    /// # let _b = listener.accept()?;
    /// let peer = a.peer_addr()?;
    /// let std_stream: std::net::TcpStream = a.into_std()?;
    /// assert_eq!(std_stream.peer_addr()?, peer);
    /// let back = gpm::net::TcpStream::from(std_stream); // non-blocking again
    /// assert_eq!(back.peer_addr()?, peer);
    /// # Ok::<(), std::io::Error>(())
    /// ```
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
        self.inner.read_stream(buf.len(), |mut s| s.read(buf))
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
