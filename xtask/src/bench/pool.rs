//! `cargo xtask bench pool`: the goroutine-pool benchmark in ants' shape — `n` tasks that
//! each sleep 10 ms, at most 50,000 at once for the bounded rows — as one table of wall
//! time and peak RSS per row: plain `gpm::go`, `gpm::go` + `gpm::sync::Semaphore`,
//! `gpm::pool::Pool`, `gpm::pool::PoolWithFunc`, Go goroutines, Go + a buffered-channel
//! semaphore, `tokio::spawn` + `tokio::sync::Semaphore`. The programs are the suite's
//! (`workloads pool <variant> ...`, `gobench pool <variant> ...`, see
//! `benches/workloads/pool.rs` and `benches/go/pool.go`); every run is its own process,
//! repetitions interleaved across the rows. Writes `<target>/bench/pool.md` and `pool.csv`.

use super::report::{Cell, human};
use super::runner::{self, RunResult};
use super::{build, machine};
use crate::Env;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const USAGE: &str = "usage: cargo xtask bench pool [--quick] [--reps N] [--procs 1,2] [--n N] \
                     [--timeout SECS]\n  defaults: n = 1,000,000 (quick: 100,000), 3 reps, \
                     procs 2, timeout 120 s per run";

/// One row: its label, whether Go runs it, and the variant name the program takes.
const ROWS: [(&str, bool, &str); 7] = [
    ("gpm::go", false, "gpm_go"),
    ("gpm::go + Semaphore(50k)", false, "gpm_sem"),
    ("gpm::pool::Pool(50k)", false, "gpm_pool"),
    ("gpm::pool::PoolWithFunc(50k)", false, "gpm_pool_func"),
    ("Go goroutines", true, "go"),
    ("Go + chan struct{} (50k)", true, "go_sem"),
    ("tokio::spawn + Semaphore(50k)", false, "tokio_sem"),
];

struct Options {
    n: u64,
    reps: usize,
    procs: Vec<usize>,
    timeout: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o =
        Options { n: 1_000_000, reps: 3, procs: vec![2], timeout: Duration::from_secs(120) };
    let mut n = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        let number = |s: &str| s.parse::<u64>().map_err(|_| format!("{a}: bad number {s}"));
        match a.as_str() {
            "--quick" => o.n = 100_000,
            "--reps" => o.reps = number(value()?)?.max(1) as usize,
            "--n" => n = Some(number(value()?)?),
            "--timeout" => o.timeout = Duration::from_secs(number(value()?)?),
            "--procs" => {
                o.procs = value()?
                    .split(',')
                    .map(|p| {
                        number(p).map(|p| p as usize).and_then(|p| match p {
                            0 => Err("--procs: 0 is not a number of processors".to_string()),
                            p => Ok(p),
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    o.n = n.unwrap_or(o.n);
    Ok(o)
}

/// Entry point of `cargo xtask bench pool [options]`.
pub fn main(env: &Env, args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    std::fs::create_dir_all(env.out_dir())
        .map_err(|e| format!("{}: {e}", env.out_dir().display()))?;
    let rust = build::rust_workloads(env, true)?;
    if let Err(why) = &rust.gpm {
        return Err(format!("the gpm rows need the gpm-column build: {why}"));
    }
    let go = build::go_program(env).map(|(exe, _)| exe);
    if let Err(why) = &go {
        eprintln!("bench pool: no Go rows: {why}");
    }
    let load_start = machine::loadavg();
    let mut csv = String::from("variant,procs,n,rep,wall_ms,peak_rss_bytes,status\n");
    let mut md = format!(
        "# pool: {} tasks, each sleeps 10 ms; bounded rows at most 50,000 at once\n\n",
        super::plan::short_n(opts.n)
    );
    for &procs in &opts.procs {
        let mut cells: Vec<(Cell, Cell)> = vec![Default::default(); ROWS.len()];
        for rep in 1..=opts.reps {
            for (row, &(label, is_go, variant)) in ROWS.iter().enumerate() {
                let cmd = command(&rust.exe, go.as_ref().ok(), is_go, variant, procs, opts.n);
                let Some(cmd) = cmd else { continue };
                let (result, stdout) = runner::run_capture(cmd, opts.timeout);
                let rss = peak_rss(&stdout);
                let (wall, rss_cell) = &mut cells[row];
                let status = match &result {
                    RunResult::Value { value, .. } => {
                        wall.values.push(*value);
                        rss_cell.values.extend(rss);
                        "ok".to_string()
                    }
                    RunResult::Failed(why) => fail(wall, why.clone()),
                    RunResult::Timeout(d) => fail(wall, format!("timeout after {} s", d.as_secs())),
                };
                let shown = wall.values.last().filter(|_| status == "ok");
                eprintln!(
                    "[pool procs={procs} rep {rep}/{}] {label:<30} {} {}",
                    opts.reps,
                    shown.map_or(status.clone(), |v| human(*v, "ms")),
                    rss.map_or(String::new(), |b| format!("peak {}", human(b, "B/task")))
                );
                let wall_ms = shown.map_or(String::new(), f64::to_string);
                let rss_b = rss.map_or(String::new(), |b| b.to_string());
                let _ =
                    writeln!(csv, "{variant},{procs},{},{rep},{wall_ms},{rss_b},{status}", opts.n);
            }
        }
        md.push_str(&table(procs, &cells));
    }
    let load = (load_start, machine::loadavg());
    let _ = writeln!(
        md,
        "\nMedians of {} runs, ± half the min–max range; ratios are this row / `gpm::go`. \
         Load average {} at the start, {} at the end (2 CPUs shared with other work: read \
         the ratios, not the absolute figures).",
        opts.reps,
        load.0.map_or("?".into(), |l| format!("{l:.1}")),
        load.1.map_or("?".into(), |l| format!("{l:.1}"))
    );
    println!("{md}");
    let out = env.out_dir();
    for (name, text) in [("pool.md", &md), ("pool.csv", &csv)] {
        std::fs::write(out.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    eprintln!("bench pool: wrote {}/{{pool.md,pool.csv}}", out.display());
    Ok(())
}

fn fail(cell: &mut Cell, why: String) -> String {
    cell.failure.get_or_insert(why.clone());
    format!("FAILED: {}", runner::shorten(&why, 100))
}

fn command(
    rust: &PathBuf,
    go: Option<&PathBuf>,
    is_go: bool,
    variant: &str,
    procs: usize,
    n: u64,
) -> Option<Command> {
    let args = ["pool".to_string(), variant.to_string(), procs.to_string(), n.to_string()];
    let mut cmd = Command::new(if is_go { go? } else { rust });
    cmd.args(args).env("GOMAXPROCS", procs.to_string());
    Some(cmd)
}

/// `peak_rss=<bytes>` of the program's `RESULT` line.
fn peak_rss(stdout: &str) -> Option<f64> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT "))?;
    line.split_whitespace().find_map(|kv| kv.strip_prefix("peak_rss=")?.parse().ok())
}

/// The Markdown table of one procs value.
fn table(procs: usize, cells: &[(Cell, Cell)]) -> String {
    let base = (cells[0].0.median(), cells[0].1.median());
    let mut t = format!(
        "\n## procs = {procs}\n\n| row | wall time | × gpm::go | peak RSS | × gpm::go |\n|---|---|---|---|---|\n"
    );
    for ((label, ..), (wall, rss)) in ROWS.iter().zip(cells) {
        let cell = |c: &Cell, unit: &str, base: Option<f64>| match (c.median(), &c.failure) {
            (Some(m), _) => {
                let spread = c.range().map_or(0.0, |(lo, hi)| (hi - lo) / 2.0 / m * 100.0);
                let ratio = base.map_or(String::new(), |b| format!("{:.2}×", m / b));
                (format!("{} ±{spread:.0}%", human(m, unit)), ratio)
            }
            (None, Some(why)) => {
                (format!("**failed**: {}", runner::shorten(why, 80)), String::new())
            }
            (None, None) => ("n/a".into(), String::new()),
        };
        let (w, wr) = cell(wall, "ms", base.0);
        let (r, rr) = cell(rss, "B/task", base.1);
        let _ = writeln!(t, "| {label} | {w} | {wr} | {r} | {rr} |");
    }
    t
}
