//! Shared helpers of the channel, select and sync tests: a watchdog so a deadlock fails the
//! test instead of hanging it, and thread spawning shorthands.
#![allow(dead_code)]

use std::time::Duration;

/// Runs `f` on a fresh thread and fails the test if it has not finished within `secs`
/// seconds (a deadlock). A panic inside `f` is resumed here.
pub fn deadline<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("test-body".into())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(());
            out
        })
        .expect("spawn test body");
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            match handle.join().expect("test body thread") {
                Ok(v) => v,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("deadlock: the test did not finish within {secs} s")
        }
    }
}

/// A lock for tests that must not run at the same time as each other (a body that counts in a
/// `static`); a panicking holder does not poison it for the next.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Spawns a plain thread.
pub fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(f)
}

/// Sleeps for `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}
pub mod both;
pub mod scope;
