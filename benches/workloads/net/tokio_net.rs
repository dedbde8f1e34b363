//! The servers on tokio: a multi-thread runtime with `procs` workers, `tokio::net`, one task
//! per connection. The per-connection logic mirrors `echo_conn`, `http_conn` and `idle_conn`
//! in `mod.rs` with tokio's async reads and writes.

use super::{ADDR, Kind, http};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Binds, spawns the accept loop, and returns the port. The runtime is kept alive (leaked)
/// until the process exits.
pub fn start(kind: Kind, procs: usize, started: Arc<AtomicU64>) -> Result<u16, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let listener = rt.block_on(TcpListener::bind(ADDR)).map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| format!("local_addr: {e}"))?.port();
    drop(rt.spawn(accept_loop(listener, kind, started)));
    std::mem::forget(rt);
    Ok(port)
}

async fn accept_loop(listener: TcpListener, kind: Kind, started: Arc<AtomicU64>) {
    loop {
        match listener.accept().await {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                drop(tokio::spawn(serve_conn(kind, conn, started.clone())));
            }
            Err(e) => {
                eprintln!("workloads: tokio accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn serve_conn(kind: Kind, mut s: TcpStream, started: Arc<AtomicU64>) {
    match kind {
        Kind::Echo => {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = s.read(&mut buf).await {
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
        Kind::Http => {
            let mut session = http::Session::new();
            while let Ok(n @ 1..) = s.read(session.spare()).await {
                match session.filled(n) {
                    None => return,
                    Some([]) => {}
                    Some(out) => {
                        if s.write_all(out).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }
        Kind::Idle => {
            started.fetch_add(1, Ordering::Relaxed);
            if s.write_all(super::GREETING).await.is_err() {
                return;
            }
            let mut buf = [0u8; 64];
            while let Ok(1..) = s.read(&mut buf).await {}
        }
    }
}
