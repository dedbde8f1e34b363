//! `UnixListener`: std's Unix-domain listener whose `accept` parks the goroutine (or
//! blocks the plain thread) until a connection arrives; its backlog is `somaxconn`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::time::Instant;

use gpm_sched::Interest;
use socket2::{Domain, SockAddr};

use super::fd::NetFd;
use super::socket;
use super::unix_stream::UnixStream;

/// A Unix-domain socket server (std's `UnixListener`, for goroutines):
/// [`accept`](Self::accept) parks a goroutine until a connection arrives, and blocks a
/// plain thread. Dropping it stops listening; it does not remove the socket file.
///
/// ```
/// use std::io::{Read, Write};
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| -> std::io::Result<()> {
///     let path = std::env::temp_dir().join(format!("gpm-{}-listener.sock", std::process::id()));
///     # let _ = std::fs::remove_file(&path);
///     let listener = gpm::net::UnixListener::bind(&path)?;
///     let client = {
///         let path = path.clone();
///         gpm::go(move || -> std::io::Result<()> {
///             gpm::net::UnixStream::connect(&path)?.write_all(b"ping")
///         })
///     };
///     let (mut conn, _) = listener.accept()?;
///     let mut buf = [0u8; 4];
///     conn.read_exact(&mut buf)?;
///     assert_eq!(&buf, b"ping");
///     client.join().unwrap()?;
///     std::fs::remove_file(&path)
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    inner: NetFd<net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens, with the system's
    /// `somaxconn` as the backlog.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-bind.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    /// assert!(gpm::net::UnixListener::bind(&path).is_err()); // the path exists now
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let sock = socket::listen(Domain::UNIX, &SockAddr::unix(path)?)?;
        Ok(UnixListener { inner: NetFd::new(sock.into()) })
    }

    /// Accepts a connection, parking until one arrives; returns it and the peer's
    /// address (unnamed, unless the client bound one). See also
    /// [`incoming`](Self::incoming) and [`set_deadline`](Self::set_deadline).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-accept.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// let _client = gpm::net::UnixStream::connect(&path)?;
    /// let (conn, peer) = listener.accept()?;
    /// assert!(peer.is_unnamed());
    /// assert_eq!(conn.local_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (sock, _) = self.inner.io(Interest::Read, |l| socket::accept(l))?;
        let s: net::UnixStream = sock.into();
        let addr = s.peer_addr()?;
        Ok((UnixStream::from_nonblocking(s), addr))
    }

    /// An endless iterator over the connections, as `accept` in a loop (std's `incoming`;
    /// example at [`UnixIncoming`]).
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address this listener is bound to (example at [`bind`](Self::bind)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The pending socket error (`SO_ERROR`), cleared.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-take-error.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// assert!(listener.take_error()?.is_none());
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own deadline), so
    /// that several goroutines can accept on one path.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-try-clone.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// let other = listener.try_clone()?;
    /// let _client = gpm::net::UnixStream::connect(&path)?;
    /// assert!(other.accept().is_ok()); // either handle accepts
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(UnixListener { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// Go's `SetDeadline` for `accept`: an absolute time after which `accept` fails with
    /// [`TimedOut`](io::ErrorKind::TimedOut) (`None`: no deadline); seen by an `accept`
    /// waiting now, so setting it from another goroutine stops an accept loop.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let path = std::env::temp_dir().join(format!("gpm-{}-deadline.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// listener.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    /// let err = listener.accept().unwrap_err(); // nobody connects
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// The std listener, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included). `UnixListener::from` goes the other way.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("gpm-{}-into-std.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = gpm::net::UnixListener::bind(&path)?;
    /// let std_listener: std::os::unix::net::UnixListener = listener.into_std()?;
    /// let back = gpm::net::UnixListener::from(std_listener); // non-blocking again
    /// assert_eq!(back.local_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<net::UnixListener> {
        let l = self.inner.into_inner();
        l.set_nonblocking(false)?;
        Ok(l)
    }
}

impl From<net::UnixListener> for UnixListener {
    /// Takes a std listener, switching it to non-blocking mode.
    ///
    /// # Panics
    /// If the mode cannot be set (the fd is not a socket).
    fn from(l: net::UnixListener) -> UnixListener {
        l.set_nonblocking(true).expect("UnixListener::from: set_nonblocking");
        UnixListener { inner: NetFd::new(l) }
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// The iterator of [`UnixListener::incoming`]: each item is an
/// [`accept`](UnixListener::accept)ed connection or its error; it never returns `None`.
///
/// ```
/// let path = std::env::temp_dir().join(format!("gpm-{}-incoming.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let listener = gpm::net::UnixListener::bind(&path)?;
/// let _clients = [gpm::net::UnixStream::connect(&path)?, gpm::net::UnixStream::connect(&path)?];
/// let accepted = listener.incoming().take(2).filter(|conn| conn.is_ok()).count();
/// assert_eq!(accepted, 2);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Iterator for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}
