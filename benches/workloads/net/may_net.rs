//! The servers on may: `procs` worker threads, `may::net::TcpListener`, one coroutine per
//! connection.

use super::{ADDR, Kind, serve_conn};
use may::coroutine::Builder;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Binds, starts the accept loop as a coroutine, and returns the port.
pub fn start(kind: Kind, procs: usize, started: Arc<AtomicU64>) -> Result<u16, String> {
    may::config().set_workers(procs);
    let listener = may::net::TcpListener::bind(ADDR).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("local_addr: {e}"))?.port();
    // SAFETY: may's contract: the coroutine reads no thread-local storage and stays within
    // the default stack (its largest frame is echo_conn's 4 KiB buffer).
    let accept = unsafe { Builder::new().spawn(move || accept_loop(listener, kind, started)) };
    accept.map_err(|e| format!("spawn: {e}"))?;
    Ok(port)
}

fn accept_loop(listener: may::net::TcpListener, kind: Kind, started: Arc<AtomicU64>) {
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                let started = started.clone();
                // SAFETY: as for the accept loop: no thread-local storage, small frames.
                let spawned =
                    unsafe { Builder::new().spawn(move || serve_conn(kind, conn, &started)) };
                if let Err(e) = spawned {
                    eprintln!("workloads: may spawn: {e}");
                }
            }
            Err(e) => {
                eprintln!("workloads: may accept: {e}");
                may::coroutine::sleep(Duration::from_millis(10));
            }
        }
    }
}
