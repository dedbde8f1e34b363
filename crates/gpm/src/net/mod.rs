//! Networking for goroutines: std's TCP, UDP and Unix-domain (stream and datagram) types
//! with std's names and signatures, whose blocking calls park the goroutine on the
//! runtime's netpoller (Go's `net` package over `internal/poll`).
//!
//! # Quick example: an echo server
//! ```
//! use std::io::{Read, Write};
//! let rt = gpm::Runtime::single_thread()?;
//! rt.block_on(|| -> std::io::Result<()> {
//!     let listener = gpm::net::TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     gpm::go(move || {
//!         for conn in listener.incoming() {
//!             let mut conn = conn.unwrap();
//!             gpm::go(move || {
//!                 let mut buf = [0u8; 1024];
//!                 loop {
//!                     match conn.read(&mut buf) {
//!                         Ok(0) | Err(_) => return,
//!                         Ok(n) => conn.write_all(&buf[..n]).unwrap(),
//!                     }
//!                 }
//!             });
//!         }
//!     });
//!     let mut c = gpm::net::TcpStream::connect(addr)?;
//!     c.write_all(b"hello")?;
//!     let mut buf = [0u8; 5];
//!     c.read_exact(&mut buf)?;
//!     assert_eq!(&buf, b"hello");
//!     Ok(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//! (The accept loop is cancelled, and its listener closed, when the runtime is dropped.)
//!
//! # What blocks, and how
//! Every socket is in non-blocking mode. A call tries its syscall; when the kernel says
//! `WouldBlock`, the caller waits for the socket to be ready:
//! - a goroutine parks, and the runtime wakes it when the socket is ready (its thread
//!   goes on running other goroutines meanwhile);
//! - a plain thread (or a goroutine of another runtime than the one the socket first
//!   waited on) blocks in `poll(2)`. So every call works everywhere.
//!
//! `connect` is Go's: a non-blocking `connect`, a wait for writability, then `SO_ERROR`.
//! Name resolution ([`ToSocketAddrs`](std::net::ToSocketAddrs), which may ask DNS) runs
//! inside [`blocking`](crate::blocking) when called from a goroutine, hence the `Send`
//! bound on the address parameters (every std implementor is `Send`). Listeners use the
//! system's `somaxconn` as their backlog (as Go), not std's 128.
//!
//! std's timeouts (`set_read_timeout`, `set_write_timeout`) count from each call's start;
//! Go's deadlines (`set_deadline`, `set_read_deadline`, `set_write_deadline`) are
//! absolute, and moving one is seen by a call waiting now. Either expiring fails the call
//! with [`io::ErrorKind::TimedOut`](std::io::ErrorKind::TimedOut) (std on Unix gives
//! `WouldBlock` there).
//!
//! Closing is dropping, which the borrow checker keeps from happening under a waiting
//! call; to end a read blocked in another goroutine, [`TcpStream::shutdown`] it (the read
//! returns `Ok(0)` or an error) or set a deadline in the past.
//!
//! Files are not sockets: epoll cannot wait for them, so file I/O stays `std::fs`, called
//! inside [`blocking`](crate::blocking) from a goroutine, so that the runtime's other
//! goroutines keep running while it waits.
//!
//! # Readiness of any fd
//! [`PollFd`] and [`Interest`] are the runtime's own readiness handle, for an fd of any
//! kind epoll accepts (a pipe, an eventfd, a socket from another library): put the fd in
//! non-blocking mode, retry the syscall, and on `WouldBlock` wait (see [`PollFd`]'s
//! example).

// Layout: `fd.rs` (`NetFd`: the try / lock / wait loop, timeouts and deadlines), `socket.rs`
// (setup on socket2: resolution, backlog, accept4, connect, peek), then one file per type:
// `tcp_listener.rs`, `tcp_stream.rs`, `udp.rs`, `unix_listener.rs`, `unix_stream.rs`,
// `unix_datagram.rs`.

mod fd;
mod socket;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use tcp_listener::{Incoming, TcpListener};
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::{UnixIncoming, UnixListener};
pub use unix_stream::UnixStream;

/// Waits for any fd to be ready, as the socket types do: put the fd in non-blocking mode,
/// retry the syscall, and on `WouldBlock` call [`wait`](PollFd::wait). Drop the `PollFd`
/// before closing the fd (declare it first in a struct).
///
/// ```
/// use gpm::net::{Interest, PollFd};
/// use std::io::{Read, Write};
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
///
/// struct Conn {
///     pfd: PollFd, // dropped first
///     sock: UnixStream,
/// }
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let conn = Conn { pfd: PollFd::new(a.as_raw_fd()), sock: a };
/// let rt = gpm::Runtime::single_thread()?;
/// let n = rt.block_on(move || {
///     let writer = gpm::go(move || b.write_all(b"ready").unwrap());
///     let mut buf = [0u8; 8];
///     let n = loop {
///         match (&conn.sock).read(&mut buf) {
///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
///                 conn.pfd.wait(Interest::Read).unwrap() // parks until readable
///             }
///             r => break r.unwrap(),
///         }
///     };
///     writer.join().unwrap();
///     n
/// });
/// assert!(n > 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub use gpm_sched::PollFd;

/// The direction a [`PollFd`] waits for: readable or writable.
///
/// ```
/// use gpm::net::{Interest, PollFd};
/// use std::os::fd::AsRawFd;
/// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let pfd = PollFd::new(a.as_raw_fd());
/// pfd.wait(Interest::Write)?; // an empty socket buffer: writable at once
/// drop(pfd); // before `a` closes the fd
/// # Ok::<(), std::io::Error>(())
/// ```
pub use gpm_sched::Interest;
