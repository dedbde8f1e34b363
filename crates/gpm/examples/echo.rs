//! An echo server: one goroutine per connection, each parked on the netpoller while its
//! client is quiet, so thousands of idle connections cost stacks, not threads. An idle
//! connection is closed after a minute without a byte (a read timeout).
//!
//! Run: `cargo run --release -p gpm --example echo [ADDR]` (default `127.0.0.1:8080`),
//! then e.g. `nc 127.0.0.1 8080`.

use std::io::{self, Read, Write};
use std::time::Duration;

use gpm::net::{TcpListener, TcpStream};

/// Echoes until the client closes, goes quiet for a minute, or the connection fails.
fn serve(mut conn: TcpStream) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut buf = [0u8; 16 << 10];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n])?;
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    // SAFETY: the goroutines of this program hold no thread-local and no thread-bound
    // value across a park.
    unsafe { gpm::init() };
    let listener = TcpListener::bind(addr.as_str())?;
    eprintln!("echo: listening on {}", listener.local_addr()?);
    // The accept loop is itself a goroutine, so it parks rather than blocking the main
    // thread's M; main just waits for it.
    gpm::go(move || -> io::Result<()> {
        for conn in listener.incoming() {
            match conn {
                Ok(conn) => {
                    let peer = conn.peer_addr().ok();
                    gpm::go(move || {
                        if let Err(e) = serve(conn) {
                            eprintln!("echo: {peer:?}: {e}");
                        }
                    });
                }
                // Out of fds, for example: wait a little instead of spinning.
                Err(e) => {
                    eprintln!("echo: accept: {e}");
                    gpm::sleep(Duration::from_millis(100));
                }
            }
        }
        Ok(())
    })
    .join()
    .expect("the accept loop does not panic")
}
