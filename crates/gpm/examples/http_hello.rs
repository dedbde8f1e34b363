//! An HTTP/1.1 server that answers `Hello, World!` (`text/plain`, `Content-Length: 13`) to
//! every request: one goroutine per connection, keep-alive, pipelined requests answered in
//! order. Runs until killed, on the default runtime (`GPM_MAXPROCS` Ps, else one per CPU).
//! No idle timeout: a quiet client keeps its goroutine parked (and costs no thread).
//!
//! Run: `cargo run --release -p gpm --example http_hello [ADDR]` (default
//! `127.0.0.1:8080`; it prints the address it listens on), then `curl 127.0.0.1:8080` or
//! `wrk -c64 -d3s http://127.0.0.1:8080/`.
//!
//! # The parser
//! A minimal one, the same shape as the raw-TCP servers the benchmarks compare. A request
//! is its head, which ends at the first `\r\n\r\n`, then `Content-Length` bytes of body,
//! which are read and dropped. Bytes after a request are the next one (pipelining); a
//! request cut anywhere waits for the rest. The connection stays open unless the request
//! says `Connection: close`, or is HTTP/1.0 without `Connection: keep-alive` (with it,
//! the reply says `Connection: keep-alive`, as 1.0 clients need). A `HEAD` gets the
//! headers without the body; `Expect: 100-continue` gets `100 Continue` first.
//!
//! What it does not support is answered with an error status and `Connection: close`,
//! then the connection is closed: a malformed request line or header line, a bad or
//! conflicting `Content-Length`, any `Transfer-Encoding` (no chunked bodies) and folded
//! header lines are `400`; a head longer than [`MAX_HEAD`] is `431`; a version other than
//! HTTP/1.0 and 1.1 is `505`.
//!
//! # Closing after an error
//! Closing a socket with unread bytes makes Linux send a reset, and the client may then
//! lose the error reply before it reads it. So the server shuts its write half, then
//! reads and drops what the client still sends, for half a second at most (Go's
//! `closeWriteAndWait`), before closing.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use gpm::net::{TcpListener, TcpStream};

/// The reply to every request that keeps the connection open.
const HELLO: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
/// The reply to a request after which the connection closes.
const HELLO_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\
Connection: close\r\n\r\nHello, World!";
/// The reply to an HTTP/1.0 request that asked to keep the connection (a 1.0 client
/// assumes a close unless the reply says otherwise).
const HELLO_KEEP_ALIVE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!";
/// The body, the tail of every reply (cut off for `HEAD`).
const BODY: &[u8] = b"Hello, World!";
/// The interim reply to `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// The longest request head (request line and headers) accepted.
pub const MAX_HEAD: usize = 8 << 10;

/// What the bytes at the start of the unread input hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Not a whole head yet: read more.
    Partial,
    /// A whole request head.
    Request {
        /// Its length in bytes, empty lines before it included.
        head: usize,
        /// The body's length (`Content-Length`), to read and drop.
        body: u64,
        /// The connection closes after the reply.
        close: bool,
        /// An HTTP/1.0 request (its reply says `keep-alive` when it is kept).
        http10: bool,
        /// A `HEAD` request: the reply has no body.
        head_only: bool,
        /// `Expect: 100-continue` with a body: `100 Continue` goes first.
        expect_continue: bool,
    },
    /// A request this server does not support: reply with `status` and close.
    Unsupported {
        /// The reply's status code.
        status: u16,
        /// The reply's body: what is not supported.
        why: &'static str,
    },
}

/// Parses the request at the start of `buf` (see the module docs).
pub fn parse(buf: &[u8]) -> Parsed {
    // RFC 9112 §2.2: empty lines before a request line are skipped.
    let skip = buf.chunks(2).take_while(|c| *c == b"\r\n").count() * 2;
    let Some(end) = buf[skip..].windows(4).position(|w| w == b"\r\n\r\n") else {
        return Parsed::Partial;
    };
    let Ok(head) = std::str::from_utf8(&buf[skip..skip + end]) else {
        return bad("the request head is not UTF-8");
    };
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad("the request line is not `METHOD TARGET VERSION`");
    };
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(tchar) || target.is_empty() {
        return bad("the request line is not `METHOD TARGET VERSION`");
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Parsed::Unsupported { status: 505, why: "only HTTP/1.0 and 1.1" },
    };
    let (mut body, mut close, mut keep_alive, mut expect_continue) = (None, false, false, false);
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return bad("folded header lines are not supported");
        }
        let Some((name, value)) = line.split_once(':') else {
            return bad("a header line has no `:`");
        };
        if name.is_empty() || name.ends_with([' ', '\t']) {
            return bad("a header name is empty or ends in white space");
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("content-length") {
            match value.parse::<u64>() {
                Ok(n) if body.is_none_or(|b| b == n) => body = Some(n),
                Ok(_) => return bad("conflicting Content-Length headers"),
                Err(_) => return bad("Content-Length is not a number"),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return bad("Transfer-Encoding (chunked bodies) is not supported");
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            expect_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    let body = body.unwrap_or(0);
    Parsed::Request {
        head: skip + end + 4,
        body,
        close: close || (http10 && !keep_alive),
        http10,
        head_only: method == "HEAD",
        expect_continue: expect_continue && !http10 && body > 0,
    }
}

fn bad(why: &'static str) -> Parsed {
    Parsed::Unsupported { status: 400, why }
}

/// Appends the error reply for `status` to `out`.
fn error_reply(out: &mut Vec<u8>, status: u16, why: &str) {
    let reason = match status {
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Bad Request",
    };
    let body = format!("{why}\n");
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body.as_bytes());
}

/// Answers the requests of one connection until the client closes it or a request asks
/// for the close; see the module docs.
pub fn serve(mut conn: TcpStream) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut buf = vec![0u8; MAX_HEAD];
    // Unread input is `buf[start..end]`; `skip` body bytes are still to be dropped.
    let (mut start, mut end, mut skip) = (0usize, 0usize, 0u64);
    let mut out = Vec::with_capacity(1024);
    loop {
        let mut close = false;
        while !close {
            let n = (end - start).min(usize::try_from(skip).unwrap_or(usize::MAX));
            start += n;
            skip -= n as u64;
            if skip > 0 {
                break;
            }
            match parse(&buf[start..end]) {
                Parsed::Partial if start == 0 && end == buf.len() => {
                    error_reply(&mut out, 431, "the request head is longer than 8 KiB");
                    close = true;
                }
                Parsed::Partial => break,
                Parsed::Request { head, body, close: c, http10, head_only, expect_continue } => {
                    if expect_continue {
                        out.extend_from_slice(CONTINUE);
                    }
                    let reply = match (c, http10) {
                        (true, _) => HELLO_CLOSE,
                        (false, true) => HELLO_KEEP_ALIVE,
                        (false, false) => HELLO,
                    };
                    out.extend_from_slice(if head_only {
                        &reply[..reply.len() - BODY.len()]
                    } else {
                        reply
                    });
                    (start, skip, close) = (start + head, body, c);
                }
                Parsed::Unsupported { status, why } => {
                    error_reply(&mut out, status, why);
                    close = true;
                }
            }
        }
        if !out.is_empty() {
            conn.write_all(&out)?;
            out.clear();
        }
        if close {
            return close_gracefully(conn);
        }
        // Keep the unread bytes (a partial request) at the front.
        buf.copy_within(start..end, 0);
        (start, end) = (0, end - start);
        match conn.read(&mut buf[end..])? {
            0 => return Ok(()),
            n => end += n,
        }
    }
}

/// Go's `closeWriteAndWait`: shut the write half, drop what the client still sends for
/// up to half a second, then close (see the module docs). A client already gone is no
/// error here.
fn close_gracefully(mut conn: TcpStream) -> io::Result<()> {
    if conn.shutdown(Shutdown::Write).is_err() {
        return Ok(());
    }
    conn.set_read_deadline(Some(Instant::now() + Duration::from_millis(500)));
    let mut sink = [0u8; 4096];
    while let Ok(1..) = conn.read(&mut sink) {}
    Ok(())
}

/// Listens on `addr`, prints the address, and serves every connection in its own
/// goroutine, forever.
pub fn run(addr: &str) -> io::Result<()> {
    // SAFETY: the goroutines of this program hold no thread-local and no thread-bound
    // value across a park (they touch only their own connection and buffers).
    unsafe { gpm::init() };
    let listener = TcpListener::bind(addr).map_err(|e| {
        io::Error::new(e.kind(), format!("http_hello: cannot listen on {addr}: {e}"))
    })?;
    println!("http_hello: listening on http://{}", listener.local_addr()?);
    // The accept loop is a goroutine, so it parks on the netpoller; main waits for it.
    gpm::go(move || -> io::Result<()> {
        for conn in listener.incoming() {
            match conn {
                Ok(conn) => {
                    gpm::go(move || match serve(conn) {
                        Err(e) if is_disconnect(&e) => {}
                        Err(e) => eprintln!("http_hello: connection: {e}"),
                        Ok(()) => {}
                    });
                }
                // Out of fds, for example: wait a little instead of spinning.
                Err(e) => {
                    eprintln!("http_hello: accept: {e}");
                    gpm::sleep(Duration::from_millis(100));
                }
            }
        }
        Ok(())
    })
    .join()
    .expect("the accept loop does not panic")
}

/// A client that went away: not worth a line on stderr.
fn is_disconnect(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe)
}

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    run(&addr)
}
