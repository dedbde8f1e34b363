//! The servers on gpm: a Runtime with `procs` Ps, `gpm::net::TcpListener`, one goroutine per
//! connection parked in the netpoller while its socket is not ready.

use super::{ADDR, Kind, serve_conn};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Binds, starts the accept loop as a goroutine, and returns the port. The runtime is kept
/// alive (leaked) until the process exits.
pub fn start(kind: Kind, procs: usize, started: Arc<AtomicU64>) -> Result<u16, String> {
    // SAFETY: the server goroutines read, write and count: no thread-local and no
    // thread-bound value is held across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }
        .map_err(|e| format!("runtime: {e}"))?;
    let listener =
        rt.block_on(|| gpm::net::TcpListener::bind(ADDR)).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("local_addr: {e}"))?.port();
    drop(rt.go(move || accept_loop(listener, kind, started)));
    std::mem::forget(rt);
    Ok(port)
}

fn accept_loop(listener: gpm::net::TcpListener, kind: Kind, started: Arc<AtomicU64>) {
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                let started = started.clone();
                drop(gpm::go(move || serve_conn(kind, conn, &started)));
            }
            Err(e) => {
                eprintln!("workloads: gpm accept: {e}");
                gpm::sleep(Duration::from_millis(10));
            }
        }
    }
}
