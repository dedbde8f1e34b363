//! The servers of the network workloads: `workloads <system> serve_<kind> <procs> [n]`.
//!
//! Each system serves with its own runtime and its own sockets (`gpm_net`, `tokio_net`,
//! `may_net`, `threads_net`; Go's twin is `benches/go/`); the load comes from the neutral
//! client `benches/netclient/`, which `cargo xtask bench` starts once the server
//! has printed `LISTEN port=<port>` on stdout. Kinds:
//!
//! - `echo`: every connection echoes what it reads (a 4 KiB buffer); runs until killed.
//!
//! Every server listens on `127.0.0.1:0`, sets `TCP_NODELAY` on each accepted connection (Go
//! does so by default), and raises its soft `RLIMIT_NOFILE` to the hard limit first (Go and
//! gpm do that themselves; tokio, may and std do not).

#[cfg(feature = "gpm-column")]
mod gpm_net;
mod may_net;
mod threads_net;
mod tokio_net;

use std::io::{Read, Write};
use std::time::Duration;

/// What a server does with each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Echo every byte.
    Echo,
}

/// The address every server binds.
pub const ADDR: &str = "127.0.0.1:0";

#[cfg(not(feature = "gpm-column"))]
mod gpm_net {
    use super::Kind;

    /// Reports that this binary was built without the gpm column.
    pub fn start(_: Kind, _: usize) -> Result<u16, String> {
        Err("not built yet (built without the gpm-column feature)".into())
    }
}

/// Runs `serve_<kind>` for `system` until killed; returns the exit code of a failure.
pub fn main(system: &str, kind: &str, procs: usize, n: u64) -> i32 {
    let kind = match kind {
        "serve_echo" => Kind::Echo,
        other => return fail(system, other, procs, n, "unknown server kind"),
    };
    if let Err(e) = raise_nofile() {
        eprintln!("workloads: raising RLIMIT_NOFILE: {e}");
    }
    let port = match system {
        "gpm" => gpm_net::start(kind, procs),
        "tokio" => tokio_net::start(kind, procs),
        "may" => may_net::start(kind, procs),
        "threads" => threads_net::start(kind),
        other => Err(format!("unknown system {other}")),
    };
    let port = match port {
        Ok(port) => port,
        Err(e) => return fail(system, &format!("{kind:?}"), procs, n, &e),
    };
    println!("LISTEN port={port}");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600)); // until killed
    }
}

fn fail(system: &str, workload: &str, procs: usize, n: u64, why: &str) -> i32 {
    println!(
        "RESULT system={system} workload={workload} procs={procs} n={n} value=NaN unit=? \
         ok=false error={why}"
    );
    1
}

/// Echoes what `s` reads until the peer closes or an error.
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

/// Runs `kind`'s per-connection function on a blocking-style stream (gpm, may, threads).
pub fn serve_conn<S: Read + Write>(kind: Kind, s: S) {
    match kind {
        Kind::Echo => echo_conn(s),
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (many connections need more than the
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
