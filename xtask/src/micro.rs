//! `cargo xtask bench queue|stack|chan`: runs a criterion bench target and tabulates each row
//! as gpm against its peer.
//!
//! The bench targets follow one convention: a criterion group per row, with the functions
//! `gpm` and the peer (`crossbeam` for queue and chan, `corosensei` for stack), optionally
//! parameterised. After the run this reads criterion's `new/benchmark.json` (ids) and
//! `new/estimates.json` (median and mean point estimates, ns per iteration) under
//! `CRITERION_HOME` (`<target>/criterion`), keeping only the ids the target lists
//! (`-- --list`), so stale results of other targets never leak into the table.
//!
//! `--rounds N` runs the target N times in a row: each round measures gpm and its peer one
//! after the other, so a row's ratio is taken round by round (paired, as the macro suite
//! pairs its runs) and the table gives the median ratio with the range of the rounds. A
//! row like `unbounded` (4 producer threads and a receiver on 2 CPUs) moves by ±30% from
//! one run to the next with the OS's placement of its threads; one round cannot tell a
//! 10% difference from that.

use crate::Env;
use crate::json::Json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One benchmark's estimates.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    median: f64,
    mean: f64,
    /// Elements per iteration, when the bench declared a throughput.
    elements: Option<f64>,
}

/// Entry point: `target` is the bench target; `args` may hold `--peer NAME`, `--rounds N`,
/// `--no-run`, and after `--` arguments for criterion (e.g. a filter).
pub fn main(env: &Env, target: &str, args: &[String]) -> Result<(), String> {
    let (ours, criterion_args) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let peer = match ours.iter().position(|a| a == "--peer") {
        Some(i) => Some(ours.get(i + 1).cloned().ok_or("--peer needs a name")?),
        None => default_peer(target).map(String::from),
    };
    let rounds = match ours.iter().position(|a| a == "--rounds") {
        Some(i) => match ours.get(i + 1).map(|n| n.parse::<usize>()) {
            Some(Ok(n @ 1..=100)) => n,
            _ => return Err("--rounds needs a count from 1 to 100".into()),
        },
        None => 1,
    };
    let run = !ours.iter().any(|a| a == "--no-run");
    let table = table(env, target, peer.as_deref(), run, rounds, criterion_args)?;
    println!("{table}");
    let out = env.out_dir();
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let path = out.join(format!("{target}.md"));
    std::fs::write(&path, &table).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("bench: wrote {}", path.display());
    Ok(())
}

/// Runs bench `target` `rounds` times (none if `run` is false: the results on disk) and
/// returns its gpm-vs-`peer` table, or with no peer (`sched`: nobody else has these
/// internals) gpm's figures alone.
pub fn table(
    env: &Env,
    target: &str,
    peer: Option<&str>,
    run: bool,
    rounds: usize,
    criterion_args: &[String],
) -> Result<String, String> {
    let home = env.target.join("criterion");
    let listed = list_ids(env, target, &home);
    if listed.is_empty() {
        return Err(format!("bench `{target}` lists no criterion benchmarks (`-- --list`)"));
    }
    let mut results = Vec::new();
    for round in 1..=if run { rounds } else { 1 } {
        if run {
            eprintln!("bench: {} bench --bench {target} (round {round} of {rounds})", env.cargo);
            let status = cargo_bench(env, target, &home, criterion_args)
                .stdout(std::io::stderr())
                .status()
                .map_err(|e| format!("cannot run {}: {e}", env.cargo))?;
            if !status.success() {
                return Err(format!("cargo bench --bench {target} failed ({status})"));
            }
        }
        results.push(collect(&home, &listed));
    }
    let (rows, spread) = merge(&results, peer);
    if rows.is_empty() {
        return Err(format!("no criterion results for bench `{target}` under {}", home.display()));
    }
    Ok(match peer {
        Some(peer) => tabulate(target, peer, &rows, &spread),
        None => tabulate_alone(target, &rows),
    })
}

/// A row's ratios gpm/peer, one per round.
#[derive(Debug, Default)]
struct Paired {
    /// Of the median estimates.
    medians: Vec<f64>,
    /// Of the mean estimates.
    means: Vec<f64>,
}

/// Per row, its ratios round by round.
type Spread = BTreeMap<(String, String), Paired>;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// One table from several rounds: each benchmark's median and mean estimates are the
/// medians over the rounds, and each row's ratios are kept round by round (`Spread`).
fn merge(rounds: &[Rows], peer: Option<&str>) -> (Rows, Spread) {
    let mut all: BTreeMap<(String, String), BTreeMap<String, Vec<Estimate>>> = BTreeMap::new();
    let mut spread = Spread::new();
    for rows in rounds {
        for (key, functions) in rows {
            for (name, e) in functions {
                all.entry(key.clone()).or_default().entry(name.clone()).or_default().push(*e);
            }
            let pair = peer.and_then(|peer| Some((functions.get("gpm")?, functions.get(peer)?)));
            if let Some((g, p)) = pair.filter(|(_, p)| p.median > 0.0 && p.mean > 0.0) {
                let paired = spread.entry(key.clone()).or_default();
                paired.medians.push(g.median / p.median);
                paired.means.push(g.mean / p.mean);
            }
        }
    }
    let rows = all
        .into_iter()
        .map(|(key, functions)| {
            let functions = functions
                .into_iter()
                .map(|(name, es)| {
                    let pick =
                        |f: fn(&Estimate) -> f64| median(&mut es.iter().map(f).collect::<Vec<_>>());
                    let e = Estimate {
                        median: pick(|e| e.median),
                        mean: pick(|e| e.mean),
                        elements: es[0].elements,
                    };
                    (name, e)
                })
                .collect();
            (key, functions)
        })
        .collect();
    (rows, spread)
}

/// The peer a bench target is compared with, by the project's convention.
pub fn default_peer(target: &str) -> Option<&'static str> {
    match target {
        "queue" | "chan" => Some("crossbeam"),
        "stack" => Some("corosensei"),
        _ => None,
    }
}

fn cargo_bench(env: &Env, target: &str, home: &Path, criterion_args: &[String]) -> Command {
    let mut cmd = Command::new(&env.cargo);
    cmd.current_dir(&env.root)
        .args(["bench", "--bench", target, "--"])
        .args(criterion_args)
        .env("CRITERION_HOME", home);
    cmd
}

/// The benchmark ids the target defines (`-- --list` prints `id: benchmark`).
fn list_ids(env: &Env, target: &str, home: &Path) -> BTreeSet<String> {
    let out =
        cargo_bench(env, target, home, &["--list".to_string()]).stderr(Stdio::null()).output();
    let stdout = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    stdout.lines().filter_map(|l| l.strip_suffix(": benchmark")).map(str::to_string).collect()
}

/// Rows keyed by (group, parameter), each mapping function id → estimate.
type Rows = BTreeMap<(String, String), BTreeMap<String, Estimate>>;

/// Every `new/benchmark.json` under `home` whose id is in `listed`, with its estimates.
fn collect(home: &Path, listed: &BTreeSet<String>) -> Rows {
    let mut files = Vec::new();
    find_benchmark_files(home, &mut files);
    let mut rows = Rows::new();
    for file in files {
        let Some(id) = read_json(&file) else { continue };
        let text = |k: &str| id.get(k).and_then(Json::as_str).map(str::to_string);
        let (Some(full), Some(group)) = (text("full_id"), text("group_id")) else { continue };
        if !listed.contains(&full) {
            continue;
        }
        let function = text("function_id").unwrap_or_default();
        let param = text("value_str").unwrap_or_default();
        let Some(est) = read_json(&file.with_file_name("estimates.json")) else { continue };
        let point = |k: &str| est.at(&[k, "point_estimate"]).and_then(Json::as_f64);
        let (Some(median), Some(mean)) = (point("median"), point("mean")) else { continue };
        let elements = id.at(&["throughput", "Elements"]).and_then(Json::as_f64);
        rows.entry((group, param))
            .or_default()
            .insert(function, Estimate { median, mean, elements });
    }
    rows
}

fn find_benchmark_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_benchmark_files(&path, out);
        } else if path.ends_with("new/benchmark.json") {
            out.push(path);
        }
    }
}

fn read_json(path: &Path) -> Option<Json> {
    Json::parse(&std::fs::read_to_string(path).ok()?)
}

fn ns(v: f64) -> String {
    let (x, unit) = match v {
        v if v >= 1e6 => (v / 1e6, "ms"),
        v if v >= 1e3 => (v / 1e3, "µs"),
        v => (v, "ns"),
    };
    let digits = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    format!("{x:.digits$} {unit}")
}

fn cell(e: Option<&Estimate>) -> String {
    match e {
        None => "–".into(),
        Some(e) => match e.elements {
            Some(n) if n > 1.0 => format!("{} ({}/elem)", ns(e.median), ns(e.median / n)),
            _ => ns(e.median),
        },
    }
}

/// The Markdown table: one row per group (and parameter), gpm vs peer; with more than one
/// round, a ratio is the median of the rounds' ratios, with their range.
fn tabulate(target: &str, peer: &str, rows: &Rows, spread: &Spread) -> String {
    let mut md = format!("## cargo xtask bench {target}: gpm vs {peer}\n\n");
    let rounds = spread.values().map(|p| p.medians.len()).max().unwrap_or(1);
    let _ = writeln!(
        md,
        "Criterion median per iteration (mean in the last column's ratio); ratio < 1: gpm is faster.{}\n",
        if rounds > 1 {
            format!(
                " {rounds} rounds: each figure is the median over the rounds, each ratio the \
                 median of the rounds' ratios (gpm and {peer} measured in the same round), \
                 with their range."
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(md, "| benchmark | gpm | {peer} | gpm/{peer} (median) | gpm/{peer} (mean) |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for ((group, param), functions) in rows {
        let name = if param.is_empty() { group.clone() } else { format!("{group}/{param}") };
        let (g, p) = (functions.get("gpm"), functions.get(peer));
        let paired = spread.get(&(group.clone(), param.clone()));
        let ratio =
            |f: fn(&Estimate) -> f64, pick: fn(&Paired) -> &[f64]| match (paired.map(pick), g, p) {
                (Some(r), _, _) if r.len() > 1 => {
                    let lo = r.iter().copied().fold(f64::MAX, f64::min);
                    let hi = r.iter().copied().fold(f64::MIN, f64::max);
                    format!("{:.2}× ({lo:.2}–{hi:.2})", median(&mut r.to_vec()))
                }
                (_, Some(g), Some(p)) if f(p) > 0.0 => format!("{:.2}×", f(g) / f(p)),
                _ => "–".into(),
            };
        let _ = writeln!(
            md,
            "| {name} | {} | {} | **{}** | {} |",
            cell(g),
            cell(p),
            ratio(|e| e.median, |s| &s.medians),
            ratio(|e| e.mean, |s| &s.means)
        );
    }
    let others: Rows = rows
        .iter()
        .map(|(key, f)| {
            let rest = f.iter().filter(|(name, _)| *name != "gpm" && *name != peer);
            (key.clone(), rest.map(|(n, e)| (n.clone(), *e)).collect::<BTreeMap<_, _>>())
        })
        .filter(|(_, f)| !f.is_empty())
        .collect();
    if !others.is_empty() {
        let _ = writeln!(md, "\nThe other functions of these groups (no peer column):\n");
        md.push_str(&rows_alone(&others));
    }
    md
}

/// The Markdown table of a bench with no peer: every benchmark's median.
fn tabulate_alone(target: &str, rows: &Rows) -> String {
    let mut md = format!("## cargo xtask bench {target}: gpm alone\n\n");
    let _ = writeln!(
        md,
        "Criterion median (and mean) per iteration. No peer runs these; the workload suite \
         compares gpm with Go, tokio and may.\n"
    );
    md.push_str(&rows_alone(rows));
    md
}

/// `| benchmark | median | mean |` rows for every function of `rows`.
fn rows_alone(rows: &Rows) -> String {
    let mut md = String::from("| benchmark | median | mean |\n|---|---:|---:|\n");
    for ((group, param), functions) in rows {
        for (function, e) in functions {
            let name = [group.as_str(), function.as_str(), param.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            let _ = writeln!(md, "| {name} | {} | {} |", cell(Some(e)), ns(e.mean));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::{collect, tabulate, tabulate_alone};
    use std::collections::BTreeSet;
    use std::path::Path;

    fn fake(home: &Path, group: &str, function: &str, param: Option<&str>, median: f64) {
        let mut dir = home.join(group).join(function);
        if let Some(p) = param {
            dir = dir.join(p);
        }
        let dir = dir.join("new");
        std::fs::create_dir_all(&dir).unwrap();
        let full = [Some(group), Some(function), param]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        let value = param.map_or("null".to_string(), |p| format!("\"{p}\""));
        let id = format!(
            r#"{{"group_id":"{group}","function_id":"{function}","value_str":{value},"throughput":{{"Elements":4}},"full_id":"{full}","directory_name":"x","title":"{full}"}}"#
        );
        std::fs::write(dir.join("benchmark.json"), id).unwrap();
        let est = format!(
            r#"{{"mean":{{"point_estimate":{m}}},"median":{{"point_estimate":{median}}}}}"#,
            m = median * 1.1
        );
        std::fs::write(dir.join("estimates.json"), est).unwrap();
    }

    #[test]
    fn pairs_gpm_with_its_peer_and_ignores_unlisted_ids() {
        let home = std::env::temp_dir().join(format!("xtask-micro-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        fake(&home, "push_pop", "gpm", None, 2.0);
        fake(&home, "push_pop", "crossbeam", None, 4.0);
        fake(&home, "fill", "gpm", Some("256"), 300.0);
        fake(&home, "fill", "crossbeam", Some("256"), 200.0);
        fake(&home, "push_pop", "gpm_goroutines_p2", None, 3.0);
        fake(&home, "stale_group", "gpm", None, 1.0);
        let listed: BTreeSet<String> = [
            "push_pop/gpm",
            "push_pop/crossbeam",
            "push_pop/gpm_goroutines_p2",
            "fill/gpm/256",
            "fill/crossbeam/256",
        ]
        .map(String::from)
        .into();
        let rows = collect(&home, &listed);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let (rows, spread) = super::merge(&[rows], Some("crossbeam"));
        let table = tabulate("queue", "crossbeam", &rows, &spread);
        assert!(
            table.contains(
                "| push_pop | 2.00 ns (0.50 ns/elem) | 4.00 ns (1.00 ns/elem) | **0.50×** | 0.50× |"
            ),
            "{table}"
        );
        assert!(table.contains("| fill/256 |"), "{table}");
        assert!(table.contains("**1.50×**"), "{table}");
        assert!(!table.contains("stale_group"), "{table}");
        assert!(
            table.contains("| push_pop/gpm_goroutines_p2 | 3.00 ns (0.75 ns/elem) | 3.30 ns |"),
            "{table}"
        );
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn rounds_pair_gpm_with_its_peer_round_by_round() {
        let est = |median| super::Estimate { median, mean: median, elements: None };
        let round = |gpm, peer| {
            let mut rows = super::Rows::new();
            let row = rows.entry(("unbounded".into(), String::new())).or_default();
            row.insert("gpm".into(), est(gpm));
            row.insert("crossbeam".into(), est(peer));
            rows
        };
        // Ratios 0.5, 2.0, 0.9: their median is 0.9, though the medians of the figures
        // (10 and 10) would say 1.0.
        let rounds = [round(10.0, 20.0), round(20.0, 10.0), round(9.0, 10.0)];
        let (rows, spread) = super::merge(&rounds, Some("crossbeam"));
        let table = tabulate("chan", "crossbeam", &rows, &spread);
        assert!(table.contains("3 rounds"), "{table}");
        assert!(
            table.contains("| unbounded | 10.0 ns | 10.0 ns | **0.90× (0.50–2.00)** |"),
            "{table}"
        );
    }

    #[test]
    fn a_bench_without_peer_lists_each_benchmark() {
        let est = |median| super::Estimate { median, mean: median * 2.0, elements: None };
        let mut rows = super::Rows::new();
        rows.entry(("spawn_join".into(), String::new()))
            .or_default()
            .insert(String::new(), est(107.0));
        rows.entry(("switch_floor".into(), String::new()))
            .or_default()
            .insert("gpm".into(), est(7.04));
        let table = tabulate_alone("sched", &rows);
        assert!(table.contains("| spawn_join | 107 ns | 214 ns |"), "{table}");
        assert!(table.contains("| switch_floor/gpm | 7.04 ns | 14.1 ns |"), "{table}");
    }
}
