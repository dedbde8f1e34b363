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

/// A Unix-domain socket server (std's `UnixListener`, for goroutines).
pub struct UnixListener {
    inner: NetFd<net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens, with the system's
    /// `somaxconn` as the backlog.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let sock = socket::listen(Domain::UNIX, &SockAddr::unix(path)?)?;
        Ok(UnixListener { inner: NetFd::new(sock.into()) })
    }

    /// Accepts a connection, parking until one arrives; returns it (non-blocking,
    /// close-on-exec) and the peer's address.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (sock, _) = self.inner.io(Interest::Read, |l| socket::accept(l))?;
        let s: net::UnixStream = sock.into();
        let addr = s.peer_addr()?;
        Ok((UnixStream::from_nonblocking(s), addr))
    }

    /// An endless iterator over the connections, as `accept` in a loop (std's `incoming`).
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.sock().local_addr()
    }

    /// The pending socket error (`SO_ERROR`), cleared.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.sock().take_error()
    }

    /// A second handle to the same socket (a duplicated fd with its own poll handle and
    /// deadline).
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        Ok(UnixListener { inner: NetFd::new(self.inner.sock().try_clone()?) })
    }

    /// Go's `SetDeadline` for `accept`: an absolute time after which `accept` fails with
    /// `TimedOut` (`None`: no deadline); seen by an `accept` waiting now.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.inner.set_deadline(Interest::Read, deadline);
    }

    /// The std listener, back in blocking mode (which every handle to the same socket
    /// shares, `try_clone`s included).
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

/// The iterator of [`UnixListener::incoming`]; never returns `None`.
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
