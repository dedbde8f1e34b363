//! `cargo xtask bench`: the macro suite. Builds the workload programs, runs every
//! system × workload × procs × repetition in its own process under a time limit (the
//! network workloads as a server process and a client process, see `net.rs`), and writes
//! the table (stdout and `<target>/bench/report.md`), the raw CSV and the SVG chart.

mod build;
mod costs;
mod csv;
mod machine;
mod net;
mod options;
mod plan;
pub mod pool;
mod report;
mod runner;
mod stats;
mod svg;
mod svg_procs;
mod usage;
mod wrk;

use crate::Env;
use options::{Options, USAGE};
use plan::System;
use report::Record;
use runner::RunResult;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The programs that run the workloads.
struct Programs {
    /// The Rust workloads binary (gpm, tokio, may, threads).
    rust: Option<PathBuf>,
    /// The neutral client of the network workloads.
    client: Option<PathBuf>,
    /// The Go program.
    go: Option<PathBuf>,
    /// `wrk`, for the http rows, or why there is none.
    wrk: Result<PathBuf, String>,
    /// Whether `taskset` can pin the threads column to `procs` CPUs.
    taskset: bool,
}

/// Entry point of `cargo xtask bench [options]`.
pub fn main(env: &Env, args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let opts = Options::parse(args)?;
    std::fs::create_dir_all(env.out_dir())
        .map_err(|e| format!("{}: {e}", env.out_dir().display()))?;
    let started = Instant::now();
    let mut absent = BTreeMap::new();
    let mut versions = BTreeMap::new();
    let programs = prepare(env, &opts, &mut absent, &mut versions)?;
    let load_start = machine::loadavg();
    let cpus = options::cpus();
    if let Some(load) = load_start.filter(|l| *l > cpus as f64) {
        eprintln!(
            "bench: load average {load:.1} on {cpus} CPUs: other work is running, expect noise"
        );
    }
    let records = run_all(&opts, &programs, &absent);
    let load = (load_start, machine::loadavg());
    let rows: Vec<&'static str> = opts.workloads.iter().flat_map(|w| plan::rows_of(w)).collect();
    let cells = report::cells(&records, &rows);
    let baseline = pick_baseline(&opts, &cells);
    let table =
        report::markdown(&cells, &rows, &opts.procs, &opts.systems, baseline, &absent, cpus);
    let costs = costs::resources(&cells, &rows, &opts.procs, cpus);
    let header = machine::header(env, &opts, args, baseline, &versions, started.elapsed(), load);
    println!("{table}{costs}");
    let out = env.out_dir();
    let commit = machine::commit(env);
    let title = format!("gpm macro benchmarks: {} / peer ({})", baseline.name(), short(&commit));
    let chart = svg::chart(&cells, &rows, &opts.procs, &opts.systems, baseline, &title, cpus);
    let scaling =
        svg_procs::chart(&cells, &rows, &opts.procs, &opts.systems, cpus, &short(&commit));
    let micro = micro_tables(env, &opts);
    if !micro.is_empty() {
        println!("{micro}");
    }
    let files = [
        (
            "report.md",
            format!(
                "{header}{table}\n![ratios](ratios.svg)\n\n![each workload over procs](procs.svg)\n\
                 {costs}{micro}"
            ),
        ),
        ("results.csv", csv::csv(&records)),
        ("ratios.svg", chart),
        ("procs.svg", scaling),
    ];
    for (name, text) in files {
        std::fs::write(out.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    eprintln!(
        "bench: done in {:.0} s; wrote {}/{{report.md,results.csv,ratios.svg,procs.svg}}",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// The commit as a chart shows it: 10 hex digits, and `dirty` when the tree was.
fn short(commit: &str) -> String {
    let hash: String = commit.chars().take(10).collect();
    if commit.contains("dirty") {
        format!("commit {hash}, dirty tree")
    } else {
        format!("commit {hash}")
    }
}

/// The criterion tables of `opts.micro` (a line saying why, for a target that fails).
fn micro_tables(env: &Env, opts: &Options) -> String {
    let quick: Vec<String> =
        ["--warm-up-time", "0.5", "--measurement-time", "1"].map(String::from).to_vec();
    let mut out = String::new();
    for target in &opts.micro {
        let peer = crate::micro::default_peer(target);
        let args = if opts.quick { &quick[..] } else { &[][..] };
        match crate::micro::table(env, target, peer, true, 1, args) {
            Ok(table) => out.push_str(&format!("\n{table}")),
            Err(why) => {
                eprintln!("bench: micro-benchmarks `{target}` skipped: {why}");
                out.push_str(&format!("\n`cargo xtask bench {target}`: not available: {why}\n"));
            }
        }
    }
    out
}

/// Builds what the selected systems need; a system that cannot be had goes into `absent`
/// with the reason (its column then says so) instead of failing the whole run.
fn prepare(
    env: &Env,
    opts: &Options,
    absent: &mut BTreeMap<System, String>,
    versions: &mut BTreeMap<&'static str, String>,
) -> Result<Programs, String> {
    let wants = |s: System| opts.systems.contains(&s);
    let (mut rust, mut client) = (None, None);
    let net = opts.workloads.iter().any(|w| plan::is_net(w));
    if opts.systems.iter().any(|s| s.is_rust()) || net {
        let built = build::rust_workloads(env, wants(System::Gpm))?;
        if let (Err(why), true) = (built.gpm, wants(System::Gpm)) {
            absent.insert(System::Gpm, why);
        }
        rust = Some(built.exe);
        client = Some(built.client);
    }
    let mut go = None;
    if wants(System::Go) {
        match build::go_program(env) {
            Ok((exe, version)) => {
                versions.insert("go", version);
                go = Some(exe);
            }
            Err(why) => {
                eprintln!("bench: no Go column: {why}");
                absent.insert(System::Go, why);
            }
        }
    }
    let taskset = build::output_of(Command::new("taskset").arg("-V")).is_some();
    let http = opts.workloads.iter().any(|w| w.starts_with("http"));
    let wrk = if http { wrk::find_or_install() } else { Err("not needed".into()) };
    if let (Err(why), true) = (&wrk, http) {
        eprintln!("bench: the http rows will fail: {why}");
    }
    Ok(Programs { rust, client, go, wrk, taskset })
}

/// The command for one run.
fn command(p: &Programs, s: System, workload: &str, procs: usize, n: u64) -> Option<Command> {
    let args = [workload.to_string(), procs.to_string(), n.to_string()];
    if s == System::Go {
        let mut cmd = Command::new(p.go.as_ref()?);
        cmd.args(args).env("GOMAXPROCS", procs.to_string());
        return Some(cmd);
    }
    let exe = p.rust.as_ref()?;
    let cpus = options::cpus();
    let mut cmd = if s == System::Threads && p.taskset && procs <= cpus {
        // Threads have no procs knob: pin the process to `procs` CPUs instead.
        let mut c = Command::new("taskset");
        c.args(["-c", &format!("0-{}", procs - 1)]).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.arg(s.name()).args(args);
    Some(cmd)
}

/// Runs every cell; the systems of one repetition run back to back so slow drift of the
/// machine touches them alike. A cell stops at its first failure or timeout.
fn run_all(opts: &Options, p: &Programs, absent: &BTreeMap<System, String>) -> Vec<Record> {
    let systems: Vec<System> =
        opts.systems.iter().copied().filter(|s| !absent.contains_key(s)).collect();
    let runs_of = |w: &str| systems.iter().filter(|s| plan::runs_on(w, **s)).count();
    let total: usize =
        opts.workloads.iter().map(|w| runs_of(w)).sum::<usize>() * opts.procs.len() * opts.reps;
    eprintln!(
        "bench: {total} runs ({} workloads × procs {:?} × {} reps × up to {} systems), limit {} s each",
        opts.workloads.len(),
        opts.procs,
        opts.reps,
        systems.len(),
        opts.timeout.as_secs()
    );
    let mut records = Vec::new();
    let mut done = 0;
    for &workload in &opts.workloads {
        for &procs in &opts.procs {
            let mut stopped: Vec<System> = Vec::new();
            for rep in 1..=opts.reps {
                for &s in systems.iter().filter(|s| plan::runs_on(workload, **s)) {
                    done += 1;
                    if stopped.contains(&s) {
                        continue;
                    }
                    let n = plan::n_for(workload, s, opts.quick);
                    let t = Instant::now();
                    let (results, usage) = if plan::is_net(workload) {
                        net::run(p, s, workload, procs, n, opts.quick, opts.timeout)
                    } else {
                        match command(p, s, workload, procs, n) {
                            Some(cmd) => runner::rows(cmd, opts.timeout, workload),
                            None => {
                                (vec![(workload, RunResult::Failed("no program".into()))], None)
                            }
                        }
                    };
                    let secs = t.elapsed().as_secs_f64();
                    let run = Run { done, total, system: s, workload, procs, rep, n, secs, usage };
                    progress(&run, opts.reps, &results);
                    if !matches!(results[0].1, RunResult::Value { .. }) {
                        stopped.push(s);
                    }
                    for (row, result) in results {
                        records.push(Record {
                            system: s,
                            workload: row,
                            procs,
                            n,
                            rep,
                            result,
                            usage,
                        });
                    }
                }
            }
        }
    }
    records
}

/// Where one run stands, for its progress line.
struct Run {
    done: usize,
    total: usize,
    system: System,
    workload: &'static str,
    procs: usize,
    rep: usize,
    n: u64,
    secs: f64,
    usage: Option<usage::Usage>,
}

/// One progress line: the run's first row, and the others (the p99 rows) after it.
fn progress(r: &Run, reps: usize, results: &[(&'static str, RunResult)]) {
    let text = |r: &RunResult| match r {
        RunResult::Value { value, unit } => report::human(*value, unit),
        RunResult::Failed(why) => format!("FAILED: {}", runner::shorten(why, 100)),
        RunResult::Timeout(d) => format!("TIMEOUT after {} s", d.as_secs()),
    };
    let mut what = results.first().map(|(_, x)| text(x)).unwrap_or_default();
    for (row, result) in results.iter().skip(1) {
        if matches!(result, RunResult::Value { .. }) {
            what.push_str(&format!(
                ", {}: {}",
                row.rsplit('_').next().unwrap_or(row),
                text(result)
            ));
        }
    }
    if let Some(u) = r.usage {
        what.push_str(&format!(
            " [cpu {:.2}×wall, rss {}]",
            u.cpus(),
            report::human(u.max_rss_kib as f64 * 1024.0, "B")
        ));
    }
    eprintln!(
        "[{:>4}/{}] {:<8} {:<10} procs={} rep {}/{reps} n={:<5} {what} ({:.2} s)",
        r.done,
        r.total,
        r.system.name(),
        r.workload,
        r.procs,
        r.rep,
        plan::short_n(r.n),
        r.secs
    );
}

/// The requested baseline if it has results; else Go; else the first system with results.
fn pick_baseline(opts: &Options, cells: &report::Cells) -> System {
    let has = |s: System| cells.iter().any(|((_, _, x), c)| *x == s && !c.values.is_empty());
    std::iter::once(opts.baseline)
        .chain([System::Go])
        .chain(opts.systems.iter().copied())
        .find(|s| has(*s))
        .unwrap_or(opts.baseline)
}
