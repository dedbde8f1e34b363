//! The servers of the network workloads: `workloads <system> serve_<kind> <procs> [n]`.
//!
//! Each system serves with its own runtime and its own sockets (`gpm_net`, `tokio_net`,
//! `may_net`, `threads_net`; Go's twin is `benches/go/`); the load comes from the neutral
//! client `benches/netclient/` (or `wrk`), which `cargo xtask bench` starts once the server
//! has printed `LISTEN port=<port>` on stdout. Kinds:
//!
//! - `echo`: every connection echoes what it reads (a 4 KiB buffer); runs until killed.
//! - `http`: every connection runs [`http::Session`]: one fixed reply per request head;
//!   runs until killed.
//! - `idle`: every connection counts itself, writes one greeting byte `!` (the client opens
//!   the next connections only once earlier ones are greeted, so no accept queue overflows)
//!   and blocks reading 64 bytes. When `n` have started, the server waits
//!   [`IDLE_CONN_SETTLE`], reads its RSS and prints
//!   `RESULT ... value=<(RSS now − RSS before the first accept) / n> unit=B/conn`, then exits
//!   (closing the client's connections).
//!
//! Every server dies with the process that started it (`PR_SET_PDEATHSIG`), listens on
//! `127.0.0.1:0`, sets `TCP_NODELAY` on each accepted connection (Go does so by default),
//! and raises its soft `RLIMIT_NOFILE` to the hard limit first (Go and gpm do that
//! themselves; tokio, may and std do not).

#[cfg(feature = "gpm-column")]
mod gpm_net;
pub mod http;
mod may_net;
mod threads_net;
mod tokio_net;

use crate::common::rss_bytes;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long `idle` lets the connections settle after the last one reported it is about to
/// block (longer than `idle_mem`'s: 10,000 accepts and their first reads must all finish).
pub const IDLE_CONN_SETTLE: Duration = Duration::from_millis(200);
/// How long `idle` waits for its `n` connections before it gives up.
const IDLE_WAIT: Duration = Duration::from_secs(60);

/// What a server does with each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Echo every byte.
    Echo,
    /// Answer HTTP requests.
    Http,
    /// Block in a read, counted.
    Idle,
}

/// The address every server binds.
pub const ADDR: &str = "127.0.0.1:0";

#[cfg(not(feature = "gpm-column"))]
mod gpm_net {
    use super::Kind;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    /// Reports that this binary was built without the gpm column.
    pub fn start(_: Kind, _: usize, _: Arc<AtomicU64>) -> Result<u16, String> {
        Err("not built yet (built without the gpm-column feature)".into())
    }
}

/// Runs `serve_<kind>` for `system`; returns the process's exit code.
pub fn main(system: &str, kind: &str, procs: usize, n: u64) -> i32 {
    let kind = match kind {
        "serve_echo" => Kind::Echo,
        "serve_http" => Kind::Http,
        "serve_idle" => Kind::Idle,
        other => return fail(system, other, procs, n, "unknown server kind"),
    };
    die_with_parent();
    if let Err(e) = raise_nofile() {
        eprintln!("workloads: raising RLIMIT_NOFILE: {e}");
    }
    let started = Arc::new(AtomicU64::new(0));
    let port = match system {
        "gpm" => gpm_net::start(kind, procs, started.clone()),
        "tokio" => tokio_net::start(kind, procs, started.clone()),
        "may" => may_net::start(kind, procs, started.clone()),
        "threads" => threads_net::start(kind, started.clone()),
        other => Err(format!("unknown system {other}")),
    };
    let port = match port {
        Ok(port) => port,
        Err(e) => return fail(system, &format!("{kind:?}"), procs, n, &e),
    };
    let before = rss_bytes();
    println!("LISTEN port={port}");
    let _ = std::io::stdout().flush();
    if kind != Kind::Idle {
        loop {
            std::thread::sleep(Duration::from_secs(3600)); // until killed
        }
    }
    let deadline = Instant::now() + IDLE_WAIT;
    while started.load(Ordering::Relaxed) < n {
        if Instant::now() >= deadline {
            let got = started.load(Ordering::Relaxed);
            return fail(system, "idle_conn", procs, n, &format!("only {got} of {n} connections"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(IDLE_CONN_SETTLE);
    let per_conn = rss_bytes().saturating_sub(before) as f64 / n.max(1) as f64;
    println!(
        "RESULT system={system} workload=idle_conn procs={procs} n={n} value={per_conn:.3} \
         unit=B/conn ok=true"
    );
    0
}

fn fail(system: &str, workload: &str, procs: usize, n: u64, why: &str) -> i32 {
    println!(
        "RESULT system={system} workload={workload} procs={procs} n={n} value=NaN unit=? \
         ok=false error={why}"
    );
    1
}

/// Echoes what `s` reads until the peer closes or an error.
#[inline(never)]
pub fn echo_conn<S: Read + Write>(mut s: S) {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Serves HTTP requests on `s` until the peer closes or an error.
#[inline(never)]
pub fn http_conn<S: Read + Write>(mut s: S) {
    let mut session = http::Session::new();
    loop {
        let n = match s.read(session.spare()) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match session.filled(n) {
            None => return,
            Some([]) => {}
            Some(out) => {
                if s.write_all(out).is_err() {
                    return;
                }
            }
        }
    }
}

/// Counts the connection in `started`, greets the client, then blocks reading until the
/// peer closes.
#[inline(never)]
pub fn idle_conn<S: Read + Write>(mut s: S, started: &AtomicU64) {
    started.fetch_add(1, Ordering::Relaxed);
    if s.write_all(GREETING).is_err() {
        return;
    }
    let mut buf = [0u8; 64];
    while let Ok(1..) = s.read(&mut buf) {}
}

/// What an `idle` server writes on each connection before it blocks.
pub const GREETING: &[u8] = b"!";

/// Runs `kind`'s per-connection function on a blocking-style stream (gpm, may, threads).
/// Each of those is `#[inline(never)]`: inlined into this `match`, their locals would share
/// one frame, and an idle connection's goroutine would carry echo's 4 KiB buffer and the
/// HTTP session on its stack (Go's and tokio's servers have one function per kind too).
pub fn serve_conn<S: Read + Write>(kind: Kind, s: S, started: &AtomicU64) {
    match kind {
        Kind::Echo => echo_conn(s),
        Kind::Http => http_conn(s),
        Kind::Idle => idle_conn(s, started),
    }
}

/// Asks the kernel to kill this server when the process that started it dies (a killed
/// `cargo xtask bench` must not leave a server serving forever); the xtask also kills it by
/// handle after every run.
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG, SIGKILL) takes plain integers and touches no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
    if rc != 0 {
        eprintln!("workloads: prctl(PR_SET_PDEATHSIG): {}", std::io::Error::last_os_error());
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (10,000 connections need more than the
/// usual 1,024).
fn raise_nofile() -> std::io::Result<()> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
