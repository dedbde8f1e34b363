//! `UnixStream`: std's Unix-domain stream whose reads and writes park the goroutine (or
//! block the plain thread) until the socket is ready, with std's timeouts and Go's
//! deadlines.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use gpm_sched::Interest;
use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::fd::NetFd;
use super::socket;

/// A Unix-domain stream socket (std's `UnixStream`, for goroutines): made by
/// [`connect`](Self::connect), [`pair`](Self::pair) or
/// [`UnixListener::accept`](super::UnixListener::accept). Reads and writes park a goroutine
/// until the socket is ready, and block a plain thread. `Read` and `Write` are implemented
/// for `UnixStream` and `&UnixStream`, so one goroutine may read while another writes.
///
/// ```
/// use std::io::{Read, Write};
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let (mut a, mut b) = gpm::net::UnixStream::pair()?;
///     let echo = gpm::go(move || -> std::io::Result<()> {
///         let mut buf = [0u8; 5];
///         b.read_exact(&mut buf)?; // parks until the bytes come
///         b.write_all(&buf)
///     });
///     a.write_all(b"hello")?;
///     let mut buf = [0u8; 5];
///     a.read_exact(&mut buf)?;
///     assert_eq!(&buf, b"hello");
///     echo.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    inner: NetFd<net::UnixStream>,
}

impl UnixStream {
    /// Wraps a std stream already in non-blocking mode.
    pub(crate) fn from_nonblocking(s: net::UnixStream) -> UnixStream {
        UnixStream { inner: NetFd::new(s) }
    }

    /// Connects to the socket at `path`. A listener whose backlog is full makes Linux
    /// refuse a non-blocking connect (`EAGAIN`) rather than queue it; then the connect is
    /// made again in blocking mode, inside [`blocking`](crate::blocking).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-connect.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// let stream = gpm::net::UnixStream::connect(&path)?;
    /// let (conn, _) = listener.accept()?;
    /// assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// assert!(conn.peer_addr()?.is_unnamed());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let addr = SockAddr::unix(path)?;
        let sock = Socket::new(Domain::UNIX, socket::nonblocking(Type::STREAM), None)?;
        let s = UnixStream::from_nonblocking(sock.into());
        match socket::connect(&SockRef::from(s.inner.sock()), s.inner.pfd(), &addr, None) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                drop(s);
                let s = crate::blocking(|| net::UnixStream::connect(path))?;
                s.set_nonblocking(true)?;
                Ok(UnixStream::from_nonblocking(s))
            }
            r => r.map(|()| s),
        }
    }

    /// An unnamed pair of connected sockets.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let (mut a, mut b) = gpm::net::UnixStream::pair()?;
    /// a.write_all(b"hi")?;
    /// let mut buf = [0u8; 2];
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        a.set_nonblocking(true)?;
        b.set_nonblocking(true)?;
        Ok((UnixStream::from_nonblocking(a), UnixStream::from_nonblocking(b)))
    }

    /// The local address (unnamed for a client or a [`pair`](Self::pair); example at
    /// [`connect`](Self::connect)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The remote address (example at [`connect`](Self::connect)).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().peer_addr()
    }

    /// Shuts down the read, write or both halves. A goroutine blocked in a read on this
    /// socket (through another reference) then returns: `Ok(0)` or an error.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::net::Shutdown;
    /// let (a, mut b) = gpm::net::UnixStream::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// assert_eq!(b.read(&mut [0u8; 8])?, 0); // end of stream
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.sock().shutdown(how)
    }

    /// The pending socket error (`SO_ERROR`), cleared.
    ///
    /// ```
    /// let (a, _b) = gpm::net::UnixStream::pair()?;
    /// assert!(a.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same connection (a duplicated fd with its own timeouts and
    /// deadlines), to move into another goroutine.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let (a, mut b) = gpm::net::UnixStream::pair()?;
    /// let mut a2 = a.try_clone()?;
    /// a2.write_all(b"x")?;
    /// let mut buf = [0u8; 1];
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"x");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        Ok(UnixStream::from_nonblocking(self.inner.sock().try_clone()?))
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
    /// let (mut a, _b) = gpm::net::UnixStream::pair()?;
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
    /// use std::io::{ErrorKind, Read};
    /// use std::time::{Duration, Instant};
    /// let (mut a, _b) = gpm::net::UnixStream::pair()?;
    /// a.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// assert_eq!(a.read(&mut [0u8; 1]).unwrap_err().kind(), ErrorKind::TimedOut);
    /// a.set_deadline(None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.set_read_deadline(deadline);
        self.set_write_deadline(deadline);
    }

    /// Go's `SetReadDeadline`: reads fail with [`TimedOut`](io::ErrorKind::TimedOut) after
    /// this absolute time (`None`: none), also one waiting now (example at
    /// [`set_deadline`](Self::set_deadline); see also
    /// [`TcpStream::set_read_deadline`](super::TcpStream::set_read_deadline)).
    pub fn set_read_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// Go's `SetWriteDeadline`: writes fail with [`TimedOut`](io::ErrorKind::TimedOut)
    /// after this absolute time (`None`: none; example at
    /// [`set_deadline`](Self::set_deadline)).
    pub fn set_write_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Write, deadline);
    }

    /// The std stream, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included). `UnixStream::from` goes the other way.
    ///
    /// ```
    /// let (a, _b) = gpm::net::UnixStream::pair()?;
    /// let std_stream: std::os::unix::net::UnixStream = a.into_std()?;
    /// let back = gpm::net::UnixStream::from(std_stream); // non-blocking again
    /// assert!(back.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixStream> {
        let s = self.inner.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }
}

impl From<net::UnixStream> for UnixStream {
    /// Takes a std stream, switching it to non-blocking mode.
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(s: net::UnixStream) -> UnixStream {
        s.set_nonblocking(true).expect("UnixStream::from: set_nonblocking");
        UnixStream::from_nonblocking(s)
    }
}

impl Read for &UnixStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_stream(buf.len(), |mut s| s.read(buf))
    }

    #[track_caller]
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.io(Interest::Read, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &UnixStream {
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

impl Read for UnixStream {
    #[track_caller]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for UnixStream {
    #[track_caller]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("addr", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
