//! The report's header: the command, the mode, the machine and the versions it ran with.

use super::build::output_of;
use super::options::Options;
use super::plan::System;
use crate::Env;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The first `key: value` line of a /proc file with this key.
fn proc_field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.trim_start().strip_prefix(':')))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "?".into())
}

/// A package's version as Cargo.lock pins it.
fn locked_version(env: &Env, name: &str) -> String {
    let lock = std::fs::read_to_string(env.root.join("Cargo.lock")).unwrap_or_default();
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.split_once(&needle)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or_else(|| "?".into(), |(v, _)| v.to_string())
}

/// The 1-minute load average (`/proc/loadavg`), if readable.
pub fn loadavg() -> Option<f64> {
    read("/proc/loadavg").split_whitespace().next()?.parse().ok()
}

/// The commit the tree is at and whether it differs from it: `abc123… (clean)` or
/// `abc123… (dirty: 2 paths differ: a.rs, b.rs)`, from `git rev-parse HEAD` and
/// `git status --porcelain` in the workspace root.
pub fn commit(env: &Env) -> String {
    let git = |args: &[&str]| output_of(Command::new("git").args(args).current_dir(&env.root));
    let Some(head) = git(&["rev-parse", "HEAD"]) else {
        return "unknown (not a git checkout, or no git)".into();
    };
    let status = git(&["status", "--porcelain"]).unwrap_or_default();
    format!("{} ({})", head.trim(), dirtiness(&status))
}

/// `clean`, or `dirty: N paths differ: …` (the first three) from `git status --porcelain`.
pub fn dirtiness(porcelain: &str) -> String {
    let paths: Vec<&str> =
        porcelain.lines().filter(|l| l.len() > 3).map(|l| l[3..].trim()).collect();
    match paths.len() {
        0 => "clean".into(),
        n => {
            let more = if n > 3 { ", …" } else { "" };
            let (s, verb) = if n == 1 { ("", "differs") } else { ("s", "differ") };
            format!("dirty: {n} path{s} {verb}: {}{more}", paths[..n.min(3)].join(", "))
        }
    }
}

/// The Markdown header of `report.md`. `load` is the 1-minute load average at the start and
/// the end of the runs.
pub fn header(
    env: &Env,
    opts: &Options,
    args: &[String],
    baseline: System,
    versions: &BTreeMap<&'static str, String>,
    took: Duration,
    load: (Option<f64>, Option<f64>),
) -> String {
    let mut h = String::from("# gpm macro benchmarks\n\n");
    let date =
        output_of(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    let _ = writeln!(
        h,
        "Command: `cargo xtask bench {}` ({}, took {:.0} s)  ",
        args.join(" "),
        date.trim(),
        took.as_secs_f64()
    );
    let _ = writeln!(h, "Commit: {}.  ", commit(env));
    let mode = if opts.quick {
        "quick: a tenth of the full run's n for most rows (the n column), 1 s of network load"
    } else {
        "full: the issue's n (the n column), 5 s of network load"
    };
    let _ =
        writeln!(h, "Mode: {mode}; {} repetitions per cell, each in its own process.  ", opts.reps);
    let cpu = read("/proc/cpuinfo");
    let mem_kb: f64 = proc_field(&read("/proc/meminfo"), "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(0.0);
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let _ = writeln!(
        h,
        "Machine: {} ({cpus} CPUs), {:.0} GiB, Linux {}, vm.max_map_count = {}.  ",
        proc_field(&cpu, "model name"),
        mem_kb / 1024.0 / 1024.0,
        read("/proc/sys/kernel/osrelease").trim(),
        read("/proc/sys/vm/max_map_count").trim()
    );
    let procs: Vec<String> = opts.procs.iter().map(usize::to_string).collect();
    let why = if opts.procs_default {
        format!(
            "the default, 1, 2 and this machine's CPU count, {cpus}: more workers than CPUs \
             would oversubscribe it; `--procs 1,2,4,8` runs such counts anyway"
        )
    } else {
        "from `--procs`".into()
    };
    let over = match opts.procs.iter().filter(|&&p| p > cpus).count() {
        0 => String::new(),
        _ => format!(
            "; counts above {cpus} **oversubscribe** the CPUs: more workers than CPUs, so \
             they measure the runtime under contention for CPUs, not parallel speed-up"
        ),
    };
    let _ = writeln!(h, "Procs: {} — {why}{over}.  ", procs.join(", "));
    if let (Some(start), Some(end)) = load {
        // Only the start says whether something else was running: the suite's own
        // OS-thread cells start 10,000-20,000 threads, which the end figure still counts.
        let warning = if start > cpus as f64 {
            " — **the machine was busy with other work: expect noise**"
        } else {
            " (the end figure counts the suite's own thread cells)"
        };
        let _ =
            writeln!(h, "Load average (1 min) at start / end: {start:.1} / {end:.1}{warning}.  ");
    }
    let rustc =
        output_of(Command::new("rustc").arg("-V").current_dir(&env.root)).unwrap_or_default();
    let go = versions.get("go").map_or("not run", String::as_str);
    let _ = writeln!(
        h,
        "Versions: {}; {go}; tokio {}; may {}.\n",
        rustc.trim(),
        locked_version(env, "tokio"),
        locked_version(env, "may")
    );
    let b = baseline.name();
    if baseline != opts.baseline {
        let _ = writeln!(
            h,
            "**{} has no results in this run, so the ratios are taken against {b}.**\n",
            opts.baseline.name()
        );
    }
    let _ = writeln!(
        h,
        "How to read a cell: median over the repetitions, how far the fastest and slowest run \
         lie from it (±x%, or −x/+y% when the sides differ), then **{b} / that system** (below 1×: {b} is lower; every figure is \
         lower-is-better except the rows marked ↑, rates, where above 1× {b} is better). `(n=…)` marks a cell run with a smaller n than the row (OS \
         threads), so its ratio is indicative only for the totals (timers). [k] points to a \
         note below the tables. Channels standing in for Go's unbuffered channel: tokio \
         `mpsc::channel(1)`, may unbounded `mpsc` (fanin bounded by a `Semphore`), threads \
         `sync_channel(0)`. The threads column is pinned to `procs` CPUs with `taskset`. Network rows: \
         each system's server in its own process (pinned to CPUs 0..procs when procs is below \
         the CPU count, else on all), the load from one neutral client (`netclient`, or `wrk` \
         for http) pinned to the last CPU; n is the number of connections. See \
         benches/README.md. After the charts: what each run's process cost (wall time, CPU \
         time, CPU / wall: the CPUs it kept busy, peak RSS; from `wait4`)."
    );
    h
}

#[cfg(test)]
mod tests {
    use super::dirtiness;

    #[test]
    fn porcelain_says_clean_or_which_paths_differ() {
        assert_eq!(dirtiness(""), "clean");
        assert_eq!(dirtiness(" M README.md\n"), "dirty: 1 path differs: README.md");
        let many = " M a.rs\nM  b.rs\n?? c.rs\n D d.rs\n";
        assert_eq!(dirtiness(many), "dirty: 4 paths differ: a.rs, b.rs, c.rs, …");
    }
}
