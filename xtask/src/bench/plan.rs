//! What a run measures: the systems, the workloads, and each one's `n` in full and quick mode.
//!
//! The workload semantics live in `benches/README.md` and in the programs themselves
//! (`benches/workloads/`, `benches/go/`); this file only decides names and sizes. OS threads
//! run a scaled-down `n` where one thread per task would take minutes; the table says so.

/// One column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// gpm itself (the workloads binary built with `--features gpm-column`).
    Gpm,
    /// Go's runtime (the program in `benches/go/`).
    Go,
    /// tokio's multi-thread runtime.
    Tokio,
    /// may's stackful coroutines.
    May,
    /// One OS thread per task.
    Threads,
}

impl System {
    /// Every system, in column order.
    pub const ALL: [System; 5] =
        [System::Gpm, System::Go, System::Tokio, System::May, System::Threads];

    /// The name used on the command line, in the result lines and in the CSV.
    pub fn name(self) -> &'static str {
        match self {
            System::Gpm => "gpm",
            System::Go => "go",
            System::Tokio => "tokio",
            System::May => "may",
            System::Threads => "threads",
        }
    }

    /// Parses a system name.
    pub fn parse(s: &str) -> Option<System> {
        System::ALL.into_iter().find(|x| x.name() == s)
    }

    /// Whether the Rust workloads binary runs it (Go has its own program).
    pub fn is_rust(self) -> bool {
        self != System::Go
    }
}

/// Every workload, in row order (names as the programs take them; the network ones are run
/// by `net.rs`).
pub const WORKLOADS: [&str; 14] = [
    "spawn_join",
    "pingpong",
    "skynet",
    "yield",
    "ring",
    "fanin",
    "idle_mem",
    "timers",
    "echo_1",
    "echo_100",
    "echo_1k",
    "http",
    "http_nethttp",
    "idle_conn",
];

/// The network workloads (`--only net` selects them all).
pub const NET_WORKLOADS: [&str; 6] =
    ["echo_1", "echo_100", "echo_1k", "http", "http_nethttp", "idle_conn"];

/// Whether `workload` is a network workload (a server and a client, see `net.rs`).
pub fn is_net(workload: &str) -> bool {
    NET_WORKLOADS.contains(&workload)
}

/// The rows of the table one run of `workload` fills: its own, the p99 latency row of the
/// echo and http workloads, the round-trip percentiles of `pingpong` and the lateness rows
/// of `timers`.
pub fn rows_of(workload: &'static str) -> Vec<&'static str> {
    match workload {
        "echo_1" => vec!["echo_1", "echo_1_p99"],
        "echo_100" => vec!["echo_100", "echo_100_p99"],
        "echo_1k" => vec!["echo_1k", "echo_1k_p99"],
        "http" => vec!["http", "http_p99"],
        "http_nethttp" => vec!["http_nethttp", "http_nethttp_p99"],
        "pingpong" => vec!["pingpong", "pingpong_rtt_p50", "pingpong_rtt_p99"],
        "timers" => vec!["timers", "timers_late_p50", "timers_late_p99"],
        w => vec![w],
    }
}

/// Whether `system` runs `workload`: Go's `net/http` row is Go's alone.
pub fn runs_on(workload: &str, system: System) -> bool {
    workload != "http_nethttp" || system == System::Go
}

/// The row whose baseline figure a row's ratios are taken against: Go's `net/http` rows are
/// compared with the baseline's `http` rows (the baseline has no `net/http`).
pub fn baseline_row(row: &str) -> &str {
    match row {
        "http_nethttp" => "http",
        "http_nethttp_p99" => "http_p99",
        r => r,
    }
}

/// Seconds of load per network run (echo: after a warm-up of a tenth; http: wrk's `-d`).
pub fn net_secs(quick: bool) -> u64 {
    if quick { 1 } else { 5 }
}

/// What a row reports, for the table's first column.
pub fn describe(workload: &str) -> &'static str {
    match workload {
        "spawn_join" => "spawn + join, per task",
        "pingpong" => "round trip, 2 unbuffered channels",
        "pingpong_rtt_p50" => "median round trip (every 16th timed)",
        "pingpong_rtt_p99" => "p99 round trip (every 16th timed)",
        "skynet" => "skynet, per leaf",
        "yield" => "yield, 4×procs tasks",
        "ring" => "ring of 1,000 tasks, per hop",
        "fanin" => "2×procs producers → chan(1024), per msg",
        "idle_mem" => "RSS per blocked task",
        "timers" => "N tasks sleep 10 ms, wall time",
        "timers_late_p50" => "median lateness of a wake-up",
        "timers_late_p99" => "p99 lateness of a wake-up",
        "echo_1" | "echo_100" | "echo_1k" => "↑ echo, 64 B round trips/s over n conns",
        "echo_1_p99" | "echo_100_p99" | "echo_1k_p99" => "echo, p99 round-trip latency",
        "http" => "↑ HTTP/1.1 keep-alive req/s (wrk, n conns)",
        "http_p99" => "HTTP, wrk's p99 latency",
        "http_nethttp" => "↑ HTTP req/s, Go net/http (ratio: gpm's http row)",
        "http_nethttp_p99" => "HTTP p99, Go net/http (ratio: gpm's http_p99)",
        "idle_conn" => "server RSS per idle connection",
        _ => "",
    }
}

/// The `n` for `workload` on `system`: the full sizes of the issue, a tenth in quick mode
/// (`yield` and `timers` keep more), and smaller ones for OS threads.
pub fn n_for(workload: &str, system: System, quick: bool) -> u64 {
    let threads = system == System::Threads;
    match (workload, threads, quick) {
        // Network workloads: n is the number of connections, the same in every mode.
        ("echo_1", _, _) => 1,
        ("echo_100", _, _) => 100,
        ("echo_1k", _, _) => 1000,
        ("http" | "http_nethttp", _, _) => 64,
        ("idle_conn", _, _) => 10_000,
        ("spawn_join" | "pingpong" | "skynet" | "ring" | "fanin", false, false) => 1_000_000,
        ("spawn_join" | "pingpong" | "skynet" | "ring" | "fanin", false, true) => 100_000,
        ("yield", false, false) => 10_000_000,
        ("yield", false, true) => 1_000_000,
        ("idle_mem" | "timers", false, false) => 100_000,
        ("idle_mem" | "timers", false, true) => 10_000,
        // OS threads: one thread per task costs ~10–60 µs to create and ~10 µs per handoff.
        ("spawn_join" | "pingpong", true, false) => 20_000,
        ("spawn_join" | "pingpong", true, true) => 5_000,
        ("skynet", true, false) => 10_000,
        ("skynet", true, true) => 1_000,
        ("yield", true, false) => 1_000_000,
        ("yield", true, true) => 100_000,
        ("ring", true, false) => 100_000,
        ("ring", true, true) => 10_000,
        ("fanin", true, false) => 1_000_000,
        ("fanin", true, true) => 100_000,
        ("idle_mem" | "timers", true, _) => 10_000,
        _ => 1,
    }
}

/// `n` as the table prints it: `1M`, `100k`, `2.5k`.
pub fn short_n(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}
