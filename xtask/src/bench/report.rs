//! Turning runs into cells (median and spread per system × workload × procs) and cells into
//! the Markdown tables of the figures with their ratios. The table of what each run cost is
//! `costs.rs`; the raw CSV `csv.rs`.

use super::plan::{System, baseline_row, describe, short_n};
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
/// `" (oversubscribed: N CPUs)"` when `procs` exceeds the machine's CPU count, else empty.
pub fn oversubscribed(procs: usize, cpus: usize) -> String {
    if procs > cpus {
        format!(" (oversubscribed: {procs} workers on {cpus} CPUs)")
    } else {
        String::new()
    }
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
}
