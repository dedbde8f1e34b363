//! The raw CSV behind the tables: one line per run and row, with what the run's process
//! cost (see `usage.rs`).

use super::report::Record;
use super::runner::RunResult;
use std::fmt::Write as _;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::plan::System;
    use crate::bench::usage::Usage;

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
}
