//! `GPM_DEBUG`: `schedtrace=MS` prints Go's `SCHED` line every MS milliseconds from sysmon;
//! `scheddetail=1` adds a line per P, M and G, as Go's `GODEBUG=scheddetail=1`.
//!
//! ```text
//! SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 idlethreads=1 runqueue=0 [3 1]
//! ```

use std::fmt::Write;
use std::sync::atomic::Ordering::*;

use crate::sched::{Sched, lock};

/// The keys `GPM_DEBUG` knows, for the warning (the table is in the façade's crate docs).
const KNOWN: &str = "schedtrace=MS, scheddetail=0|1, checkdead=0|1, dump_on_signal=0|1";

/// Parsed `GPM_DEBUG` settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct DebugConfig {
    pub(crate) schedtrace_ms: Option<u64>,
    pub(crate) scheddetail: bool,
    /// `checkdead=1`: deadlock detection (`deadlock.rs`) unless the builder says otherwise.
    pub(crate) checkdead: bool,
    /// `dump_on_signal=1`: SIGQUIT prints every goroutine (sysmon, `signal.rs`).
    pub(crate) dump_on_signal: bool,
}

impl DebugConfig {
    /// Reads `GPM_DEBUG`; settings it cannot use are ignored with one warning line on
    /// stderr per process.
    pub(crate) fn from_env() -> DebugConfig {
        static WARNED: std::sync::Once = std::sync::Once::new();
        let Some(v) = std::env::var_os("GPM_DEBUG") else { return DebugConfig::default() };
        let (c, warning) = DebugConfig::parse(&v.to_string_lossy());
        if let Some(w) = warning {
            WARNED.call_once(|| eprintln!("{w}"));
        }
        c
    }

    /// The settings in `v` (Go's `GODEBUG` syntax: `key=value` separated by commas), and a
    /// warning naming the ones that are unknown or have a bad value.
    fn parse(v: &str) -> (DebugConfig, Option<String>) {
        let mut c = DebugConfig::default();
        let mut bad = Vec::new();
        for kv in v.split(',').map(str::trim).filter(|kv| !kv.is_empty()) {
            match kv.split_once('=') {
                // 0 turns the trace off, as in Go.
                Some(("schedtrace", ms)) => match ms.parse::<u64>() {
                    Ok(ms) => c.schedtrace_ms = Some(ms).filter(|&m| m > 0),
                    Err(_) => bad.push(kv),
                },
                Some(("scheddetail", "0" | "1")) => c.scheddetail = kv.ends_with('1'),
                Some(("checkdead", "0" | "1")) => c.checkdead = kv.ends_with('1'),
                Some(("dump_on_signal", "0" | "1")) => c.dump_on_signal = kv.ends_with('1'),
                _ => bad.push(kv),
            }
        }
        let warning = (!bad.is_empty()).then(|| {
            let bad: Vec<String> = bad.iter().map(|kv| format!("{kv:?}")).collect();
            format!("gpm: GPM_DEBUG: ignoring {} (known settings: {KNOWN})", bad.join(", "))
        });
        (c, warning)
    }
}

/// The `SCHED` line (and details) for `now` (ns since the runtime started).
pub(crate) fn sched_line(sched: &Sched, now: u64) -> String {
    let s = crate::stats::snapshot(sched);
    let mut out = format!(
        "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} idlethreads={} runqueue={} [",
        now / 1_000_000,
        s.procs,
        s.idle_procs,
        s.threads,
        s.spinning_threads,
        s.idle_threads,
        s.global_queue
    );
    let lens: Vec<String> = s.local_queues.iter().map(usize::to_string).collect();
    out.push_str(&lens.join(" "));
    out.push(']');
    if sched.debug.scheddetail {
        for p in sched.ps.iter() {
            let _ = write!(
                out,
                "\n  P{}: status={:?} schedtick={} syscalltick={} runqsize={} timers={}",
                p.id,
                p.status(),
                p.schedtick.load(Relaxed),
                p.syscalltick.load(Relaxed),
                p.runq_len(),
                p.timers.len()
            );
        }
        for m in lock(&sched.allm).iter() {
            let _ = write!(out, "\n  M{}", m.id);
        }
        out.push('\n');
        out.push_str(&crate::stats::dump(sched));
    }
    out
}

pub(crate) fn schedtrace(sched: &Sched, now: u64) {
    eprintln!("{}", sched_line(sched, now));
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_settings() {
        let (c, warning) =
            DebugConfig::parse("schedtrace=1000,scheddetail=1,checkdead=1,dump_on_signal=1");
        assert_eq!(c.schedtrace_ms, Some(1000));
        assert!(c.scheddetail && c.checkdead && c.dump_on_signal);
        assert_eq!(warning, None);
        let (c, _) = DebugConfig::parse("checkdead=0,dump_on_signal=0");
        assert!(!c.checkdead && !c.dump_on_signal);
        let (c, warning) = DebugConfig::parse(" schedtrace=0 , scheddetail=0,");
        assert_eq!((c.schedtrace_ms, c.scheddetail, warning), (None, false, None));
    }

    #[test]
    fn unknown_keys_and_bad_numbers_give_one_warning() {
        let (c, warning) = DebugConfig::parse(
            "x=1,schedtrace=abc,scheddetail=2,gctrace,checkdead=yes,schedtrace=5",
        );
        assert_eq!(c.schedtrace_ms, Some(5), "the good setting still applies");
        assert!(!c.scheddetail);
        assert_eq!(
            warning.as_deref(),
            Some(
                "gpm: GPM_DEBUG: ignoring \"x=1\", \"schedtrace=abc\", \"scheddetail=2\", \
                 \"gctrace\", \"checkdead=yes\" (known settings: schedtrace=MS, \
                 scheddetail=0|1, checkdead=0|1, dump_on_signal=0|1)"
            )
        );
    }
}
