//! The table of what each run cost: per procs value, a row per workload and system with
//! the medians and spreads of its process's wall time, CPU time, CPU / wall and peak RSS.

use super::plan::{self, System};
use super::report::{Cells, human, oversubscribed};
use super::stats;
use super::usage::Usage;
use std::fmt::Write as _;

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
    use crate::bench::report::Cell;

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
