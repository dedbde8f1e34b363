//! `GPM_DEBUG`: `schedtrace=MS` prints Go's `SCHED` line every MS milliseconds from sysmon;
//! `scheddetail=1` adds a line per P, M and G, as Go's `GODEBUG=scheddetail=1`.
//!
//! ```text
//! SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 idlethreads=1 runqueue=0 [3 1]
//! ```

use std::fmt::Write;
use std::sync::atomic::Ordering::*;

use crate::sched::{Sched, lock};

/// Parsed `GPM_DEBUG` settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct DebugConfig {
    pub(crate) schedtrace_ms: Option<u64>,
    pub(crate) scheddetail: bool,
}

impl DebugConfig {
    pub(crate) fn from_env() -> DebugConfig {
        std::env::var("GPM_DEBUG").map(|v| DebugConfig::parse(&v)).unwrap_or_default()
    }

    fn parse(v: &str) -> DebugConfig {
        let mut c = DebugConfig::default();
        for kv in v.split(',') {
            match kv.trim().split_once('=') {
                Some(("schedtrace", ms)) => c.schedtrace_ms = ms.parse().ok().filter(|&m| m > 0),
                Some(("scheddetail", d)) => c.scheddetail = d == "1",
                _ => {}
            }
        }
        c
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_settings() {
        let c = DebugConfig::parse("schedtrace=1000,scheddetail=1");
        assert_eq!(c.schedtrace_ms, Some(1000));
        assert!(c.scheddetail);
        assert_eq!(DebugConfig::parse("x=1").schedtrace_ms, None);
    }
}
