//! The servers on plain OS threads: `std::net`, one thread per connection (blocking reads).
//! `procs` has no knob here: the xtask pins the process to `procs` CPUs.

use super::{ADDR, Kind, serve_conn};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::thread;
use std::time::Duration;

/// Binds, starts the accept thread, and returns the port.
pub fn start(kind: Kind, started: Arc<AtomicU64>) -> Result<u16, String> {
    let listener = TcpListener::bind(ADDR).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("local_addr: {e}"))?.port();
    thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_loop(listener, kind, started))
        .map_err(|e| format!("spawn: {e}"))?;
    Ok(port)
}

fn accept_loop(listener: TcpListener, kind: Kind, started: Arc<AtomicU64>) {
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                let started = started.clone();
                if let Err(e) =
                    thread::Builder::new().spawn(move || serve_conn(kind, conn, &started))
                {
                    eprintln!("workloads: thread spawn: {e}");
                }
            }
            Err(e) => {
                eprintln!("workloads: accept: {e}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
