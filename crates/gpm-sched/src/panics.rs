//! Goroutine panics: the message names the goroutine, and a panic no `join` will receive
//! goes to the runtime's handler (`RuntimeBuilder::on_panic`) and is counted.
//!
//! # The message
//! std's hook names the thread, and a goroutine runs on an M thread (`gpm-m3`), so gpm
//! installs a hook of its own, once per process, when the first runtime is built. For a
//! panic on a goroutine it prints what std's default hook prints, naming the goroutine:
//! `goroutine 17 'worker-3' panicked at src/main.rs:9:5:` then the message and the
//! backtrace line (`RUST_BACKTRACE` as std reads it). Any other panic goes to the hook
//! that was installed before. The hook reads the running goroutine when the panic
//! happens, so nothing needs restoring when goroutines switch. A hook set after the
//! runtime is built replaces gpm's (and sees the M thread's name).
//!
//! Rejected: renaming the M thread on every switch (std's thread name is fixed at spawn,
//! and a switch must stay cheap); printing a second line beside std's own message (two
//! messages per panic, one naming the wrong thing).
//!
//! # Panics nobody joins
//! A goroutine whose `JoinHandle` was dropped before it finished has nobody to receive
//! its panic: its last step (`spawn/mod.rs`, `Packet::finish`) hands the payload to the
//! runtime's `on_panic` handler, on the goroutine's own stack (the handler may use gpm).
//! Without a handler nothing more is done: the hook printed the message when the panic
//! happened, which is what std does for a detached thread. A handle dropped *after* its
//! goroutine finished drops the payload with it (the message was printed, and the panic
//! counted, all the same).

use std::any::Any;
use std::backtrace::Backtrace;
use std::io::Write;
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::*};

use crate::g::GRef;
use crate::sched::Sched;

/// A goroutine's panic that no [`join`](crate::JoinHandle::join) will receive (its handle
/// was dropped before it finished), as given to the handler of
/// [`RuntimeBuilder::on_panic`](crate::RuntimeBuilder::on_panic).
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use std::sync::mpsc;
/// let (tx, rx) = mpsc::channel::<gpm::GoroutinePanic>();
/// let rt = gpm::Runtime::builder()
///     .on_panic(move |p| tx.send(p).unwrap())
///     .build_single_thread()?;
/// let id = rt.block_on(|| {
///     let h = gpm::Builder::new().name("parser").go(|| panic!("bad input"))?;
///     Ok::<_, std::io::Error>(h.id()) // the handle is dropped here: detached
/// })?;
/// let p = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
/// assert_eq!(p.id(), id);
/// assert_eq!(p.name(), Some("parser"));
/// assert_eq!(p.message(), Some("bad input"));
/// assert_eq!(p.payload().downcast_ref::<&str>(), Some(&"bad input"));
/// let payload = p.into_payload(); // to resume elsewhere, say
/// assert!(payload.is::<&str>());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct GoroutinePanic {
    id: u64,
    name: Option<String>,
    payload: Box<dyn Any + Send>,
}

impl GoroutinePanic {
    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The goroutine's name ([`Builder::name`](crate::Builder::name)), if it had one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The panic message, when the payload is a string (`panic!` with a message).
    pub fn message(&self) -> Option<&str> {
        message(&*self.payload)
    }

    /// The panic payload.
    pub fn payload(&self) -> &(dyn Any + Send) {
        &*self.payload
    }

    /// The panic payload, owned (to resume it elsewhere, say).
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

/// A runtime's `on_panic` handler.
#[derive(Clone)]
pub(crate) struct Handler(pub(crate) Arc<dyn Fn(GoroutinePanic) + Send + Sync>);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler(..)")
    }
}

fn message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Installs gpm's panic hook over the current one, once per process (module docs).
pub(crate) fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| match crate::context::current_g() {
            Some(g) => print_named(g, info),
            None => previous(info),
        }));
    });
}

/// std's default message, naming goroutine `g`: one write, so lines of concurrent panics
/// do not interleave.
fn print_named(g: GRef, info: &PanicHookInfo<'_>) {
    /// std prints the `RUST_BACKTRACE` hint with the first panic only.
    static HINTED: AtomicBool = AtomicBool::new(false);
    let mut out = format!("goroutine {}", g.id.load(Relaxed));
    // `try_lock`: the panic may have happened while this thread held the name's lock.
    if g.has_name.load(Relaxed)
        && let Ok(name) = g.name.try_lock()
        && let Some(name) = name.as_deref()
    {
        out.push_str(&format!(" '{name}'"));
    }
    out.push_str(" panicked");
    if let Some(loc) = info.location() {
        out.push_str(&format!(" at {loc}:"));
    }
    out.push('\n');
    out.push_str(message(info.payload()).unwrap_or("Box<dyn Any>"));
    out.push('\n');
    match std::env::var("RUST_BACKTRACE").as_deref() {
        Ok("full") => {
            out.push_str(&format!("stack backtrace:\n{:#}\n", Backtrace::force_capture()))
        }
        Ok(v) if v != "0" => {
            out.push_str(&format!("stack backtrace:\n{}\n", Backtrace::force_capture()))
        }
        _ => {
            if !HINTED.swap(true, Relaxed) {
                out.push_str(
                    "note: run with `RUST_BACKTRACE=1` environment variable to display a \
                     backtrace\n",
                );
            }
        }
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// A goroutine of `sched` ended in a panic (counted; the cancellation of a runtime drop
/// is not a panic of the goroutine's own).
#[cold]
pub(crate) fn count(sched: &Sched) {
    sched.counters.panics.fetch_add(1, Relaxed);
}

/// The last step of goroutine `id` of `sched` (the caller): its panic `payload` has no
/// joiner. Counted and given to the handler, if any; a panic in the handler is reported
/// and dropped.
#[cold]
#[inline(never)]
pub(crate) fn unjoined(sched: *const Sched, id: u64, payload: Box<dyn Any + Send>) {
    // SAFETY: the caller is a goroutine of `sched`, running: its M keeps it alive.
    let sched = unsafe { &*sched };
    sched.counters.detached_panics.fetch_add(1, Relaxed);
    let Some(handler) = &sched.on_panic else { return };
    let name = crate::context::current_g()
        .filter(|g| g.has_name.load(Relaxed))
        .and_then(|g| crate::sched::lock(&g.name).as_deref().map(str::to_owned));
    let p = GoroutinePanic { id, name, payload };
    let handler = handler.0.clone();
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(p))).is_err() {
        eprintln!("gpm: runtime `{}`: the on_panic handler panicked (ignored)", sched.name);
    }
}
