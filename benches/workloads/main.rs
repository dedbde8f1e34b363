//! The macro-benchmark workload program: `workloads <system> <workload> <procs> [n]`.
//!
//! Runs one workload once on one system and prints one line that `cargo xtask bench` parses:
//!
//! ```text
//! RESULT system=tokio workload=pingpong procs=2 n=1000000 value=181.2 unit=ns/op ok=true
//! RESULT system=may workload=idle_mem procs=1 n=100000 value=NaN unit=B/task ok=false error=...
//! ```
//!
//! `workloads <system> serve_echo|serve_http|serve_idle <procs> [n]` runs a server of the
//! network workloads instead (see `net/mod.rs`).
//!
//! Systems: `gpm` (only with the `gpm-column` cargo feature, see `gpm_sys`), `tokio`, `may`,
//! `threads`. Go's twin is `benches/go/`. Each run is its own process, so one system's
//! allocator state, thread pool or leaked stacks never touch another's figure. `cargo bench`
//! runs this target with no workload arguments; it then prints its usage and exits 0.

mod common;
#[cfg(feature = "gpm-column")]
mod gpm_sys;
mod may_sys;
mod net;
#[cfg(feature = "gpm-column")]
mod pool;
mod threads_sys;
mod tokio_sys;

use common::{Outcome, Workload};

/// Stand-in for the gpm column until the façade it needs exists: the real module is
/// `gpm_sys.rs`, compiled with `--features gpm-column`.
#[cfg(not(feature = "gpm-column"))]
mod gpm_sys {
    use crate::common::{Outcome, Workload};

    /// Reports that this binary was built without the gpm workloads.
    pub fn run(_: Workload, _: usize, _: u64) -> Outcome {
        Outcome::failed("not built yet (built without the gpm-column feature)")
    }
}

const USAGE: &str = "usage: workloads <gpm|tokio|may|threads> <workload> <procs> [n]\n\
    workloads: spawn_join pingpong skynet yield ring fanin idle_mem timers\n\
    servers (see net/mod.rs): serve_echo serve_http serve_idle (n = connections to await)";

/// The default `n` of each workload (the full run; `cargo xtask bench` passes its own).
fn default_n(w: Workload) -> u64 {
    match w {
        Workload::Yield => 10_000_000,
        Workload::IdleMem | Workload::Timers => 100_000,
        _ => 1_000_000,
    }
}

fn main() {
    // `cargo bench` appends `--bench`; libtest-style flags are not ours.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.is_empty() {
        println!("{USAGE}");
        return;
    }
    if let [system, kind, procs, rest @ ..] = &args[..]
        && kind.starts_with("serve_")
    {
        let procs = procs.parse().unwrap_or(0);
        let n = rest.first().and_then(|n| n.parse().ok()).unwrap_or(10_000);
        if procs == 0 {
            eprintln!("workloads: procs must be a number of at least 1\n{USAGE}");
            std::process::exit(2);
        }
        std::process::exit(net::main(system, kind, procs, n));
    }
    #[cfg(feature = "gpm-column")]
    if args[0] == "pool" {
        pool::main(&args[1..]); // its own table: `cargo xtask bench pool`
    }
    let (system, workload, procs, n) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("workloads: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let outcome = match system.as_str() {
        "gpm" => gpm_sys::run(workload, procs, n),
        "tokio" => tokio_sys::run(workload, procs, n),
        "may" => may_sys::run(workload, procs, n),
        "threads" => threads_sys::run(workload, procs, n),
        other => Outcome::failed(format!("unknown system {other}")),
    };
    print_result(&system, workload, procs, n, &outcome);
    // Exit at once: tasks left blocked by a failed run must not delay or hang the exit.
    std::process::exit(if outcome.ok { 0 } else { 1 });
}

fn parse(args: &[String]) -> Result<(String, Workload, usize, u64), String> {
    let [system, workload, procs, rest @ ..] = args else {
        return Err("expected at least three arguments".into());
    };
    let w = Workload::parse(workload).ok_or_else(|| format!("unknown workload {workload}"))?;
    let procs: usize = procs.parse().map_err(|_| format!("bad procs {procs}"))?;
    if procs == 0 {
        return Err("procs must be at least 1".into());
    }
    let n = match rest.first() {
        Some(n) => n.parse().map_err(|_| format!("bad n {n}"))?,
        None => default_n(w),
    };
    Ok((system.clone(), w, procs, n))
}

fn print_result(system: &str, w: Workload, procs: usize, n: u64, o: &Outcome) {
    let mut line = format!(
        "RESULT system={system} workload={} procs={procs} n={n} value={:.3} unit={} ok={}",
        w.name(),
        o.value,
        w.unit(),
        o.ok
    );
    if !o.detail.is_empty() {
        // `error=` is always last and runs to the end of the line.
        line.push_str(&format!(" error={}", o.detail.replace('\n', " ")));
    }
    println!("{line}");
    for (metric, value, unit) in &o.extra {
        println!(
            "RESULT system={system} workload={} metric={metric} procs={procs} n={n} value={value:.3} \
             unit={unit} ok={}",
            w.name(),
            o.ok
        );
    }
}
