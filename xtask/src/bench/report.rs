//! Turning runs into cells (median and spread per system × workload × procs) and cells into
//! the Markdown tables (the figures with their ratios; what each run's process cost) and the
//! raw CSV.

use super::plan::{self, System, baseline_row, describe, short_n};
use super::runner::RunResult;
use super::stats;
use super::usage::Usage;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One run, as measured.
#[derive(Clone, Debug)]
pub struct Record {
    /// The column.
    pub system: System,
    /// The row.
    pub workload: &'static str,
    /// GOMAXPROCS / worker threads / Ps.
    pub procs: usize,
    /// The workload's size.
    pub n: u64,
    /// Repetition number, from 1.
    pub rep: usize,
    /// What came out.
    pub result: RunResult,
    /// What the run's process cost (every row of one run carries the same), if it finished.
    pub usage: Option<Usage>,
}

/// All runs of one system × workload × procs.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// The workload's size for this system.
    pub n: u64,
    /// The unit of `values`.
    pub unit: String,
    /// Every successful repetition's figure.
    pub values: Vec<f64>,
    /// Why a repetition failed (runs of a cell stop at the first failure).
    pub failure: Option<String>,
    /// What each finished run's process cost.
    pub usage: Vec<Usage>,
}

impl Cell {
    /// The median of the values.
    pub fn median(&self) -> Option<f64> {
        stats::median(&self.values)
    }

    /// The smallest and largest value.
    pub fn range(&self) -> Option<(f64, f64)> {
        stats::range(&self.values)
    }

    /// One figure of every run's usage (`f`), for its median and spread.
    pub fn usage_of(&self, f: impl Fn(&Usage) -> f64) -> Vec<f64> {
        self.usage.iter().map(f).collect()
    }
}

/// Cells keyed by (procs, row index, system).
pub type Cells = BTreeMap<(usize, usize, System), Cell>;

/// Groups the records into cells; `rows` gives the row order.
pub fn cells(records: &[Record], rows: &[&'static str]) -> Cells {
    let mut out = Cells::new();
    for r in records {
        let row = rows.iter().position(|w| *w == r.workload).unwrap_or(usize::MAX);
        let cell = out.entry((r.procs, row, r.system)).or_default();
        cell.n = r.n;
        if matches!(r.result, RunResult::Value { .. }) {
            cell.usage.extend(r.usage); // a failed run's cost compares with nothing
        }
        match &r.result {
            RunResult::Value { value, unit } => {
                cell.values.push(*value);
                cell.unit.clone_from(unit);
            }
            RunResult::Failed(why) => cell.failure = Some(why.clone()),
            RunResult::Timeout(limit) => {
                cell.failure = Some(format!("timeout: killed after {} s", limit.as_secs()));
            }
        }
    }
    out
}

/// A figure in its unit with three significant digits: `276 ns`, `1.07 µs`, `2.74 KiB`.
pub fn human(value: f64, unit: &str) -> String {
    let (v, u) = match unit {
        "ns/op" | "ns" if value >= 1e9 => (value / 1e9, "s"),
        "ns/op" | "ns" if value >= 1e6 => (value / 1e6, "ms"),
        "ns/op" | "ns" if value >= 1e3 => (value / 1e3, "µs"),
        "ns/op" | "ns" => (value, "ns"),
        "B/task" | "B/conn" | "B" if value >= 1024.0 * 1024.0 => (value / 1024.0 / 1024.0, "MiB"),
        "B/task" | "B/conn" | "B" if value >= 1024.0 => (value / 1024.0, "KiB"),
        "B/task" | "B/conn" | "B" => (value, "B"),
        "rt/s" | "req/s" if value >= 1e6 => (value / 1e6, "M/s"),
        "rt/s" | "req/s" if value >= 1e3 => (value / 1e3, "k/s"),
        "rt/s" | "req/s" => (value, "/s"),
        _ => (value, unit),
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {u}")
}

/// Whether a figure in `unit` is better when higher (a rate: round trips or requests per
/// second); every other unit is a cost, better when lower.
pub fn higher_is_better(unit: &str) -> bool {
    unit.ends_with("/s")
}

/// `baseline / peer` for one row (`key` = procs, row index into `rows`), when both have a
/// median. The baseline's figure comes from `plan::baseline_row` of the row (Go's net/http
/// rows are compared with the baseline's http rows).
pub fn ratio(
    cells: &Cells,
    rows: &[&str],
    key: (usize, usize),
    baseline: System,
    peer: System,
) -> Option<f64> {
    let row = rows.get(key.1).map_or(key.1, |r| {
        let base = baseline_row(r);
        rows.iter().position(|x| *x == base).unwrap_or(key.1)
    });
    let b = cells.get(&(key.0, row, baseline))?.median()?;
    let p = cells.get(&(key.0, key.1, peer))?.median()?;
    (p > 0.0).then(|| b / p)
}

/// The spread of [`cost_ratio`] over the repetitions: every ratio of one baseline run to
/// one peer run lies between (lowest, highest), from the baseline's fastest over the peer's
/// slowest to the baseline's slowest over the peer's fastest (inverted for rates, like
/// [`cost_ratio`]). It always contains the ratio of the medians.
pub fn cost_ratio_range(
    cells: &Cells,
    rows: &[&str],
    key: (usize, usize),
    baseline: System,
    peer: System,
) -> Option<(f64, f64)> {
    let row = rows.get(key.1).map_or(key.1, |r| {
        let base = baseline_row(r);
        rows.iter().position(|x| *x == base).unwrap_or(key.1)
    });
    let (b_lo, b_hi) = cells.get(&(key.0, row, baseline))?.range()?;
    let peer = cells.get(&(key.0, key.1, peer))?;
    let (p_lo, p_hi) = peer.range()?;
    if p_lo <= 0.0 || b_lo <= 0.0 {
        return None;
    }
    let (lo, hi) = (b_lo / p_hi, b_hi / p_lo);
    Some(if higher_is_better(&peer.unit) { (1.0 / hi, 1.0 / lo) } else { (lo, hi) })
}

/// [`ratio`] as a cost: inverted for a rate, so that below 1× the baseline is always better
/// (what the chart draws).
pub fn cost_ratio(
    cells: &Cells,
    rows: &[&str],
    key: (usize, usize),
    baseline: System,
    peer: System,
) -> Option<f64> {
    let r = ratio(cells, rows, key, baseline, peer)?;
    let unit = &cells.get(&(key.0, key.1, peer))?.unit;
    Some(if higher_is_better(unit) { 1.0 / r } else { r })
}

/// The Markdown tables (one per procs value) with numbered failure notes below them.
/// `absent` says why a whole column is empty (not built, no Go, …).
pub fn markdown(
    cells: &Cells,
    rows: &[&'static str],
    procs: &[usize],
    systems: &[System],
    baseline: System,
    absent: &BTreeMap<System, String>,
    cpus: usize,
) -> String {
    let mut notes: Vec<String> = Vec::new();
    let mut md = String::new();
    for &p in procs {
        let _ = writeln!(md, "\n### procs = {p}{}\n", oversubscribed(p, cpus));
        let header: Vec<&str> = systems.iter().map(|s| s.name()).collect();
        let _ = writeln!(md, "| workload | n | {} |", header.join(" | "));
        let _ = writeln!(md, "|---|---:|{}", "---:|".repeat(systems.len()));
        for (row, w) in rows.iter().enumerate() {
            let full_n = systems
                .iter()
                .filter(|s| **s != System::Threads)
                .find_map(|s| cells.get(&(p, row, *s)).map(|c| c.n))
                .unwrap_or(0);
            let mut line = format!("| {w}: {} | {} |", describe(w), short_n(full_n));
            for &s in systems {
                let text =
                    cell_text(cells, rows, (p, row), s, baseline, full_n, absent, &mut notes);
                let _ = write!(line, " {text} |");
            }
            let _ = writeln!(md, "{line}");
        }
    }
    if !notes.is_empty() {
        md.push('\n');
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(md, "[{}] {note}  ", i + 1);
        }
    }
    md
}

#[allow(clippy::too_many_arguments)]
fn cell_text(
    cells: &Cells,
    rows: &[&str],
    key: (usize, usize),
    s: System,
    baseline: System,
    full_n: u64,
    absent: &BTreeMap<System, String>,
    notes: &mut Vec<String>,
) -> String {
    let workload = rows.get(key.1).copied().unwrap_or("?");
    let mut note = |text: String| {
        let at = notes.iter().position(|n| *n == text).unwrap_or_else(|| {
            notes.push(text);
            notes.len() - 1
        });
        format!("[{}]", at + 1)
    };
    let Some(cell) = cells.get(&(key.0, key.1, s)) else {
        return match absent.get(&s) {
            Some(why) => format!("n/a {}", note(format!("{}: {why}", s.name()))),
            None => "–".into(),
        };
    };
    let Some(median) = cell.median() else {
        let why = cell.failure.clone().unwrap_or_else(|| "no result".into());
        let kind = if why.starts_with("timeout") { "timeout" } else { "failed" };
        return format!("**{kind}** {}", note(format!("{} {workload}: {why}", s.name())));
    };
    let mut text = format!("{}{}", human(median, &cell.unit), stats::spread_text(&cell.values));
    if cell.n != full_n {
        let _ = write!(text, " (n={})", short_n(cell.n));
    }
    if let Some(why) = &cell.failure {
        let _ = write!(
            text,
            " {}",
            note(format!("{} {workload}: a later run failed: {why}", s.name()))
        );
    }
    if let Some(r) = ratio(cells, rows, key, baseline, s).filter(|_| s != baseline) {
        let _ = write!(text, " · **{}**", ratio_text(r));
    }
    text
}

/// A ratio with two decimals, or two significant digits when it is below 0.1: `1.62×`,
/// `0.020×`, `0.0045×`.
pub fn ratio_text(r: f64) -> String {
    let digits = if r >= 0.1 || r <= 0.0 { 2 } else { (1.0 - r.log10().floor()) as usize };
    format!("{r:.digits$}×")
}

/// The CSV's columns, in order. `wall_ms` … `max_rss_kib` are the run's process (the
/// server's, for a network row), the same on every row one run fills; empty when the run
/// did not finish. `error` is last, quoted.
pub const CSV_COLUMNS: [&str; 14] = [
    "system",
    "workload",
    "procs",
    "n",
    "rep",
    "value",
    "unit",
    "status",
    "wall_ms",
    "user_ms",
    "sys_ms",
    "cpu_per_wall",
    "max_rss_kib",
    "error",
];

/// Every run as one CSV row (the raw data behind the tables).
pub fn csv(records: &[Record]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for r in records {
        let (value, unit, status, error) = match &r.result {
            RunResult::Value { value, unit } => {
                (format!("{value}"), unit.as_str(), "ok", String::new())
            }
            RunResult::Failed(why) => (String::new(), "", "failed", why.clone()),
            RunResult::Timeout(d) => {
                (String::new(), "", "timeout", format!("after {} s", d.as_secs()))
            }
        };
        let usage = r.usage.map_or_else(
            || ",,,,".to_string(),
            |u| {
                format!(
                    "{:.1},{:.1},{:.1},{:.3},{}",
                    u.wall_ms,
                    u.user_ms,
                    u.sys_ms,
                    u.cpus(),
                    u.max_rss_kib
                )
            },
        );
        let error = error.replace('"', "'");
        let _ = writeln!(
            out,
            "{},{},{},{},{},{value},{unit},{status},{usage},\"{error}\"",
            r.system.name(),
            r.workload,
            r.procs,
            r.n,
            r.rep
        );
    }
    out
}

/// `" (oversubscribed: N CPUs)"` when `procs` exceeds the machine's CPU count, else empty.
pub fn oversubscribed(procs: usize, cpus: usize) -> String {
    if procs > cpus {
        format!(" (oversubscribed: {procs} workers on {cpus} CPUs)")
    } else {
        String::new()
    }
}

/// What each run's process cost, per procs value: a row per workload and system with the
/// medians and spreads of its wall time, CPU time (user + sys), CPU / wall and peak RSS.
pub fn resources(cells: &Cells, rows: &[&'static str], procs: &[usize], cpus: usize) -> String {
    let mut md = String::new();
    for &p in procs {
        let _ = writeln!(md, "\n### What each run cost, procs = {p}{}\n", oversubscribed(p, cpus));
        md.push_str("| workload | system | wall | CPU (user + sys) | CPU / wall | peak RSS |\n");
        md.push_str("|---|---|---:|---:|---:|---:|\n");
        // The usage is the run's, so the rows a run adds (p50/p99) would repeat it.
        for (row, w) in rows.iter().enumerate().filter(|(_, w)| plan::WORKLOADS.contains(w)) {
            for ((_, _, s), cell) in cells.range((p, row, System::Gpm)..=(p, row, System::Threads))
            {
                if cell.usage.is_empty() {
                    continue;
                }
                let fig = |f: &dyn Fn(&Usage) -> f64, show: &dyn Fn(f64) -> String| {
                    let v = cell.usage_of(f);
                    let m = stats::median(&v).unwrap_or(f64::NAN);
                    format!("{}{}", show(m), stats::spread_text(&v))
                };
                let ms = |v: f64| human(v * 1e6, "ns");
                let _ = writeln!(
                    md,
                    "| {w} | {} | {} | {} | {} | {} |",
                    s.name(),
                    fig(&|u| u.wall_ms, &ms),
                    fig(&|u| u.cpu_ms(), &ms),
                    fig(&|u| u.cpus(), &|v| format!("{v:.2}")),
                    fig(&|u| u.max_rss_kib as f64 * 1024.0, &|v| human(v, "B")),
                );
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_spread_and_units() {
        let cell = Cell {
            n: 10,
            unit: "ns/op".into(),
            values: vec![3.0, 1.0, 2.0, 10.0],
            ..Cell::default()
        };
        assert_eq!(cell.median(), Some(2.5));
        assert_eq!(cell.range(), Some((1.0, 10.0)));
        assert_eq!(human(276.4, "ns/op"), "276 ns");
        assert_eq!(human(1074.9, "ns/op"), "1.07 µs");
        assert_eq!(human(2805.0, "B/task"), "2.74 KiB");
        assert_eq!(human(79.27, "ms"), "79.3 ms");
        assert_eq!(human(45_210.0, "rt/s"), "45.2 k/s");
        assert_eq!(human(1_234_567.0, "req/s"), "1.23 M/s");
        assert_eq!(human(41_215.0, "ns"), "41.2 µs");
        assert_eq!(human(1.25e9, "ns"), "1.25 s");
        assert_eq!(human(9000.0, "B/conn"), "8.79 KiB");
        assert_eq!(ratio_text(1.618), "1.62×");
        assert_eq!(ratio_text(0.0201), "0.020×");
        assert_eq!(ratio_text(0.00451), "0.0045×");
    }

    fn cell(v: f64, unit: &str) -> Cell {
        Cell { n: 1, unit: unit.into(), values: vec![v], ..Cell::default() }
    }

    #[test]
    fn rates_invert_in_the_cost_ratio_and_nethttp_uses_the_http_row() {
        let rows = ["echo_1", "http", "http_nethttp"];
        let mut cells = Cells::new();
        cells.insert((1, 0, System::Gpm), cell(30_000.0, "rt/s"));
        cells.insert((1, 0, System::Go), cell(20_000.0, "rt/s"));
        cells.insert((1, 1, System::Gpm), cell(90_000.0, "req/s"));
        cells.insert((1, 2, System::Go), cell(60_000.0, "req/s"));
        assert_eq!(ratio(&cells, &rows, (1, 0), System::Gpm, System::Go), Some(1.5));
        let cost = cost_ratio(&cells, &rows, (1, 0), System::Gpm, System::Go).unwrap();
        assert!((cost - 1.0 / 1.5).abs() < 1e-12);
        assert_eq!(ratio(&cells, &rows, (1, 2), System::Gpm, System::Go), Some(1.5));
        assert_eq!(ratio(&cells, &rows, (1, 1), System::Gpm, System::Go), None);
    }

    #[test]
    fn the_ratio_range_spans_every_pair_of_runs_and_inverts_for_rates() {
        let rows = ["ring", "echo_1"];
        let mut cells = Cells::new();
        let runs = |v: &[f64], unit: &str| Cell {
            n: 1,
            unit: unit.into(),
            values: v.to_vec(),
            ..Cell::default()
        };
        cells.insert((1, 0, System::Gpm), runs(&[40.0, 50.0, 60.0], "ns/op"));
        cells.insert((1, 0, System::Go), runs(&[80.0, 100.0, 120.0], "ns/op"));
        let (lo, hi) = cost_ratio_range(&cells, &rows, (1, 0), System::Gpm, System::Go).unwrap();
        assert_eq!((lo, hi), (40.0 / 120.0, 60.0 / 80.0));
        let mid = cost_ratio(&cells, &rows, (1, 0), System::Gpm, System::Go).unwrap();
        assert!(lo <= mid && mid <= hi);
        cells.insert((1, 1, System::Gpm), runs(&[200.0, 300.0], "rt/s"));
        cells.insert((1, 1, System::Go), runs(&[100.0, 150.0], "rt/s"));
        let (lo, hi) = cost_ratio_range(&cells, &rows, (1, 1), System::Gpm, System::Go).unwrap();
        assert_eq!((lo, hi), (100.0 / 300.0, 150.0 / 200.0));
        assert_eq!(cost_ratio_range(&cells, &rows, (2, 0), System::Gpm, System::Go), None);
    }

    #[test]
    fn csv_has_a_column_per_field_and_the_runs_usage() {
        let usage = Usage { wall_ms: 200.0, user_ms: 150.0, sys_ms: 50.0, max_rss_kib: 4096 };
        let ok = RunResult::Value { value: 81.5, unit: "ns/op".into() };
        let rec = |result, usage| Record {
            system: System::Gpm,
            workload: "pingpong",
            procs: 2,
            n: 1000,
            rep: 1,
            result,
            usage,
        };
        let failed = RunResult::Failed("panicked: \"x\", y".into());
        let text = csv(&[rec(ok, Some(usage)), rec(failed, None)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert!(lines[0].ends_with(",error") && lines[0].contains("wall_ms,user_ms,sys_ms"));
        assert_eq!(
            lines[1],
            "gpm,pingpong,2,1000,1,81.5,ns/op,ok,200.0,150.0,50.0,1.000,4096,\"\""
        );
        assert_eq!(lines[2], "gpm,pingpong,2,1000,1,,,failed,,,,,,\"panicked: 'x', y\"");
        // Every row has as many fields as the header (the quoted error holds a comma).
        let fields = |l: &str| l.split_once(",\"").map_or(0, |(f, _)| f.split(',').count() + 1);
        assert!(lines.iter().skip(1).all(|l| fields(l) == CSV_COLUMNS.len()), "{text}");
    }

    #[test]
    fn resources_show_wall_cpu_and_rss_with_spread_and_oversubscription() {
        let u = |wall: f64, cpu: f64| Usage {
            wall_ms: wall,
            user_ms: cpu,
            sys_ms: 0.0,
            max_rss_kib: 2048,
        };
        let mut cells = Cells::new();
        let mut c = Cell { n: 1, unit: "ns/op".into(), values: vec![1.0], ..Cell::default() };
        c.usage = vec![u(100.0, 190.0), u(100.0, 200.0), u(100.0, 210.0)];
        cells.insert((4, 0, System::Go), c);
        let md = resources(&cells, &["ring"], &[4], 2);
        assert!(md.contains("procs = 4 (oversubscribed: 4 workers on 2 CPUs)"), "{md}");
        assert!(
            md.contains("| ring | go | 100 ms ±<1% | 200 ms ±5% | 2.00 ±5% | 2.00 MiB ±<1% |"),
            "{md}"
        );
        assert_eq!(oversubscribed(2, 2), "");
    }
}
