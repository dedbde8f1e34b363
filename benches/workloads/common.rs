//! What every system shares: the workload names, the result line, and the checks.
//!
//! Each system module (`tokio_sys`, `may_sys`, `threads_sys`, `gpm_sys`) implements the same
//! eight workloads with the same semantics and returns an [`Outcome`]; `main` prints it as one
//! `RESULT ...` line that `cargo xtask bench` parses. The semantics are written down in
//! `benches/README.md`; the Go program in `benches/go/` mirrors them line by line.

use std::time::{Duration, Instant};

/// Tasks in the `ring` workload (the token makes `n` hops around them).
pub const RING_TASKS: usize = 1000;
/// How long each task of the `timers` workload sleeps.
pub const TIMER_SLEEP: Duration = Duration::from_millis(10);
/// Children per node in `skynet` (the tree has `n` leaves; `n` must be a power of 10).
pub const SKYNET_FANOUT: u64 = 10;

/// One of the eight macro workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Spawn `n` tasks (each returns its index), then join them all.
    SpawnJoin,
    /// `n` round trips between two tasks over two unbuffered channels.
    PingPong,
    /// Skynet: a tree of tasks, ten children per node, `n` leaves; the sum of the leaf numbers.
    Skynet,
    /// `4 × procs` tasks yield `n` times in all.
    Yield,
    /// [`RING_TASKS`] tasks on unbuffered channels pass a token `n` hops.
    Ring,
    /// `2 × procs` producers send `n` messages in all into one channel of capacity 1024.
    FanIn,
    /// Resident memory per blocked task, with `n` tasks blocked on a channel receive.
    IdleMem,
    /// `n` tasks each sleep [`TIMER_SLEEP`]; wall time until all are joined.
    Timers,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 8] = [
        Workload::SpawnJoin,
        Workload::PingPong,
        Workload::Skynet,
        Workload::Yield,
        Workload::Ring,
        Workload::FanIn,
        Workload::IdleMem,
        Workload::Timers,
    ];

    /// The name used on the command line and in the result line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnJoin => "spawn_join",
            Workload::PingPong => "pingpong",
            Workload::Skynet => "skynet",
            Workload::Yield => "yield",
            Workload::Ring => "ring",
            Workload::FanIn => "fanin",
            Workload::IdleMem => "idle_mem",
            Workload::Timers => "timers",
        }
    }

    /// Parses a workload name.
    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }

    /// The unit of the reported value (lower is better for all of them).
    pub fn unit(self) -> &'static str {
        match self {
            Workload::IdleMem => "B/task",
            Workload::Timers => "ms",
            _ => "ns/op",
        }
    }
}

/// What one run measured.
#[derive(Debug)]
pub struct Outcome {
    /// The figure, in [`Workload::unit`].
    pub value: f64,
    /// Whether the workload's own check passed (sum, count, every task joined).
    pub ok: bool,
    /// A short explanation when `ok` is false.
    pub detail: String,
    /// Further figures of the same run, each printed as its own `RESULT` line with
    /// `metric=<name>` (the `timers` lateness percentiles): (name, value, unit).
    pub extra: Vec<(&'static str, f64, &'static str)>,
}

impl Outcome {
    /// Elapsed time divided by `ops`, in nanoseconds per operation.
    pub fn per_op(elapsed: Duration, ops: u64, ok: bool, what: &str) -> Outcome {
        let value = elapsed.as_nanos() as f64 / ops.max(1) as f64;
        Outcome {
            value,
            ok,
            detail: if ok { String::new() } else { format!("check failed: {what}") },
            extra: Vec::new(),
        }
    }

    /// The `pingpong` workload: ns per round trip over all `n`, and the sampled round trips
    /// ([`RttSamples`]) as their p50 and p99 in ns. Fails unless the final value is `n`.
    pub fn pingpong(elapsed: Duration, n: u64, v: u64, rtt: RttSamples) -> Outcome {
        let mut o = Outcome::per_op(elapsed, n, v == n, "final counter");
        let mut ns = rtt.ns;
        ns.sort_unstable();
        o.extra =
            vec![("rtt_p50", percentile(&ns, 50), "ns"), ("rtt_p99", percentile(&ns, 99), "ns")];
        o
    }

    /// The `timers` workload: wall time in milliseconds, and the tasks' lateness
    /// (`late_ns`, one per task joined, from [`timed_sleep`]) as its p50 and p99 in ns.
    /// Fails if fewer than `n` tasks were joined, or one woke early.
    pub fn timers(elapsed: Duration, mut late_ns: Vec<u64>, n: u64) -> Outcome {
        let value = elapsed.as_secs_f64() * 1e3;
        late_ns.sort_unstable();
        let early = late_ns.last() == Some(&EARLY);
        let ok = late_ns.len() as u64 == n && elapsed >= TIMER_SLEEP && !early;
        let detail = match (ok, early) {
            (true, _) => String::new(),
            (false, true) => "check failed: a sleep returned early".into(),
            (false, false) => "check failed: joined count".into(),
        };
        Outcome {
            value,
            ok,
            detail,
            extra: vec![
                ("late_p50", percentile(&late_ns, 50), "ns"),
                ("late_p99", percentile(&late_ns, 99), "ns"),
            ],
        }
    }

    /// Resident bytes per task (the `idle_mem` workload).
    pub fn bytes_per_task(before: u64, after: u64, tasks: u64, ok: bool) -> Outcome {
        let value = after.saturating_sub(before) as f64 / tasks.max(1) as f64;
        let detail = if ok { String::new() } else { "check failed: not every task woke".into() };
        Outcome { value, ok, detail, extra: Vec::new() }
    }

    /// A run that could not be done at all (e.g. the system is not built in).
    pub fn failed(detail: impl Into<String>) -> Outcome {
        Outcome { value: f64::NAN, ok: false, detail: detail.into(), extra: Vec::new() }
    }
}

/// The `q`th percentile of `sorted` (ascending): the value at rank `(len - 1) × q / 100`,
/// the same rule as the Go program's `pct`; NaN when empty.
pub fn percentile(sorted: &[u64], q: usize) -> f64 {
    sorted.get(sorted.len().saturating_sub(1) * q / 100).map_or(f64::NAN, |&v| v as f64)
}

/// One round trip in every `RTT_EVERY` of `pingpong` is timed: two clock reads every 16th
/// round trip cost each system a few percent at most, the same stride on every system (Go's
/// `rttEvery`), and 1M round trips still give 62,500 samples for the p99.
pub const RTT_EVERY: u64 = 16;

/// The timed round trips of one `pingpong` run, in a buffer allocated before the loop so
/// that sampling never allocates.
pub struct RttSamples {
    ns: Vec<u64>,
}

impl RttSamples {
    /// Room for every sample of `n` round trips.
    pub fn new(n: u64) -> RttSamples {
        RttSamples { ns: Vec::with_capacity((n / RTT_EVERY + 1) as usize) }
    }

    /// The start of round trip `i` when it is one to time.
    #[inline]
    pub fn start(i: u64) -> Option<Instant> {
        i.is_multiple_of(RTT_EVERY).then(Instant::now)
    }

    /// Records the round trip that [`RttSamples::start`] timed, if it did.
    #[inline]
    pub fn end(&mut self, start: Option<Instant>) {
        if let Some(t0) = start {
            self.ns.push(t0.elapsed().as_nanos() as u64);
        }
    }
}

/// What [`timed_sleep`] returns for a sleep that ended before its due time.
pub const EARLY: u64 = u64::MAX;

/// The due time of a `timers` task that starts sleeping now.
pub fn due() -> Instant {
    Instant::now() + TIMER_SLEEP
}

/// How late, in ns, a task due at `due` woke ([`EARLY`] if it woke before).
pub fn late_ns(due: Instant) -> u64 {
    Instant::now().checked_duration_since(due).map_or(EARLY, |d| d.as_nanos() as u64)
}

/// One `timers` task: sleeps [`TIMER_SLEEP`] with `sleep`; returns how late it woke.
pub fn timed_sleep(sleep: impl FnOnce(Duration)) -> u64 {
    let due = due();
    sleep(TIMER_SLEEP);
    late_ns(due)
}

/// The sum `0 + 1 + … + (n - 1)`: what spawn_join, skynet and fanin must add up to.
pub fn triangle(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// This process's resident set size in bytes (`VmRSS` in `/proc/self/status`), 0 if unknown.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// How long `idle_mem` lets the tasks settle after the last one reported it is about to block.
pub const IDLE_SETTLE: Duration = Duration::from_millis(50);

/// Splits `n` operations over `tasks` workers: the share of worker `i` (the first ones get one
/// more when `n` does not divide evenly), so the totals are exactly `n`.
pub fn share(n: u64, tasks: u64, i: u64) -> u64 {
    n / tasks + u64::from(i < n % tasks)
}

/// The first item of worker `i` when `n` items are split by [`share`].
pub fn share_start(n: u64, tasks: u64, i: u64) -> u64 {
    i * (n / tasks) + i.min(n % tasks)
}
