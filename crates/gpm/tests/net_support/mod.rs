//! Shared helpers of the `net_*` tests: runtimes made as the other tests make them, the
//! channel tests' deadline so a hang fails the test instead of hanging it, byte patterns
//! to check every byte, helpers to read and write whole buffers, and socket paths.
#![allow(dead_code)]

use std::io::{self, Read, Write};

/// A runtime with `procs` Ps.
pub fn runtime(procs: usize) -> gpm::Runtime {
    // SAFETY: the tests' goroutines hold no thread-local and no thread-bound value across
    // a park.
    unsafe { gpm::Runtime::builder().procs(procs).build() }.expect("runtime")
}

// The deadline helper is the channel tests' own.
#[path = "../chan_support/mod.rs"]
mod chan_support;
pub use chan_support::deadline;

/// Runs `f` as the body of a goroutine of a fresh `procs`-P runtime, under a deadline.
pub fn on_runtime<T: Send + 'static>(
    procs: usize,
    secs: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    deadline(secs, move || runtime(procs).block_on(f))
}

/// The byte at offset `i` of stream `seed`'s pattern.
pub fn pattern(seed: u64, i: usize) -> u8 {
    (seed.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8
}

/// `n` bytes of stream `seed`'s pattern.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    (0..n).map(|i| pattern(seed, i)).collect()
}

/// Reads until EOF into a vector.
pub fn read_to_end(mut r: impl Read) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

/// Writes all of `buf` in chunks of at most `chunk` bytes.
pub fn write_chunked(mut w: impl Write, buf: &[u8], chunk: usize) -> io::Result<()> {
    for c in buf.chunks(chunk) {
        w.write_all(c)?;
    }
    Ok(())
}

/// The number of open fds of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

/// The soft limit on open fds (`Max open files` in `/proc/self/limits`).
pub fn fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

/// A temporary socket path, removed on drop.
pub struct TempPath(pub std::path::PathBuf);

impl TempPath {
    /// A path unique to this process and `tag`, removed first if it exists.
    pub fn new(tag: &str) -> TempPath {
        let p = std::env::temp_dir().join(format!("gpm-net-{}-{tag}.sock", std::process::id()));
        let _ = std::fs::remove_file(&p);
        TempPath(p)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
