//! Running one measurement: its own process, a time limit, and the `RESULT` line parsed.

use super::usage::{Reaper, Usage};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What one run gave.
#[derive(Clone, Debug, PartialEq)]
pub enum RunResult {
    /// The program ran, checked its result, and printed `value` in `unit`.
    Value {
        /// The figure (lower is better).
        value: f64,
        /// Its unit as the program printed it (`ns/op`, `B/task`, `ms`).
        unit: String,
    },
    /// The program failed, failed its check, or printed no result: why.
    Failed(String),
    /// Killed after the time limit.
    Timeout(Duration),
}

/// Runs `cmd` to completion or until `limit`, and reads its `RESULT` line.
pub fn run(cmd: Command, limit: Duration) -> (RunResult, Option<Usage>) {
    match result_lines(cmd, limit) {
        Ok((lines, usage)) => (parse_result(&lines[0]), Some(usage)),
        Err(failed) => (failed, None),
    }
}

/// Runs `cmd` to completion or until `limit`; every `RESULT` line it printed (without the
/// prefix, at least one) and what the process cost, or the failure: a timeout, or no
/// `RESULT` line (the exit status and the last line of its stderr).
pub fn result_lines(cmd: Command, limit: Duration) -> Result<(Vec<String>, Usage), RunResult> {
    let out = capture(cmd, limit)?;
    let lines: Vec<String> =
        out.stdout.lines().filter_map(|l| l.strip_prefix("RESULT ")).map(String::from).collect();
    if lines.is_empty() {
        return Err(RunResult::Failed(no_result(&out)));
    }
    Ok((lines, out.usage))
}

/// Why a run that printed no `RESULT` line failed: its exit status and last stderr line.
fn no_result(out: &Output) -> String {
    let last = out.stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
    format!("{}: {}", out.status, shorten(last.trim(), 160))
}

/// What a finished child left: its exit status, its output and its resource usage.
pub struct Output {
    /// How it exited.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// Wall time, CPU time and peak RSS of that one process (see `usage.rs`).
    pub usage: Usage,
}

/// Runs `cmd` to completion or until `limit` (then kills it): its [`Output`], or
/// [`RunResult::Timeout`] / [`RunResult::Failed`].
pub fn capture(mut cmd: Command, limit: Duration) -> Result<Output, RunResult> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("RUST_BACKTRACE", "0");
    let started = Instant::now();
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return Err(RunResult::Failed(format!("cannot start: {e}"))),
    };
    let mut child = Reaper::new(child, started);
    let stdout = drain(child.child_mut(), true);
    let stderr = drain(child.child_mut(), false);
    let done = child.wait_for(limit);
    drop(child); // kills and reaps it if `wait_for` failed, so the pipes close
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match done {
        Ok(Some((status, usage))) => Ok(Output { status, stdout, stderr, usage }),
        Ok(None) => Err(RunResult::Timeout(limit)),
        Err(e) => Err(RunResult::Failed(format!("wait4 failed: {e}"))),
    }
}

/// Reads one of the child's pipes to the end on a helper thread (so a chatty child never
/// blocks on a full pipe while we wait for it).
pub fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("stdout is piped"))
    } else {
        Box::new(child.stderr.take().expect("stderr is piped"))
    };
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Parses the part after `RESULT `: `key=value` pairs; `error=` runs to the end of the line.
pub fn parse_result(line: &str) -> RunResult {
    let (fields, error) = match line.split_once(" error=") {
        Some((fields, error)) => (fields, Some(error.trim())),
        None => (line, None),
    };
    let get = |key: &str| {
        fields.split_whitespace().find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    };
    let value = get("value").and_then(|v| v.parse::<f64>().ok());
    match (get("ok"), value, get("unit")) {
        (Some("true"), Some(value), Some(unit)) if value.is_finite() => {
            RunResult::Value { value, unit: unit.to_string() }
        }
        _ => RunResult::Failed(shorten(error.unwrap_or("result check failed"), 240)),
    }
}

/// The value of `key=` among the fields of a result line (before `error=`).
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let fields = line.split_once(" error=").map_or(line, |(f, _)| f);
    fields.split_whitespace().find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// As [`run`], also returning the program's stdout (for fields beyond `value`).
pub fn run_capture(cmd: Command, limit: Duration) -> (RunResult, String) {
    let out = match capture(cmd, limit) {
        Ok(out) => out,
        Err(failed) => return (failed, String::new()),
    };
    let result = match out.stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) {
        Some(line) => parse_result(line),
        None => RunResult::Failed(no_result(&out)),
    };
    (result, out.stdout)
}

/// The rows one run of `workload` fills (`plan::rows_of`): its first `RESULT` line without
/// a `metric=` field fills the workload's row, a line with `metric=m` the row
/// `<workload>_<m>` (the `timers` lateness rows).
pub fn rows(cmd: Command, limit: Duration, workload: &'static str) -> RunRows {
    let rows = super::plan::rows_of(workload);
    if rows.len() == 1 {
        let (result, usage) = run(cmd, limit);
        return (vec![(workload, result)], usage);
    }
    match result_lines(cmd, limit) {
        Ok((lines, usage)) => (match_rows(workload, &rows, &lines), Some(usage)),
        Err(failed) => (rows.into_iter().map(|r| (r, failed.clone())).collect(), None),
    }
}

/// The results of one run, one per row it fills, and what the process cost (`None` when it
/// did not finish or is not one process).
pub type RunRows = (Vec<(&'static str, RunResult)>, Option<Usage>);

/// Each of `rows` matched with its `RESULT` line: the line without `metric=` is the
/// workload's own row, the line with `metric=m` the row `<workload>_<m>`.
pub fn match_rows(
    workload: &str,
    rows: &[&'static str],
    lines: &[String],
) -> Vec<(&'static str, RunResult)> {
    let row_of = |l: &str| match field(l, "metric") {
        None => workload.to_string(),
        Some(m) => format!("{workload}_{m}"),
    };
    rows.iter()
        .map(|&row| {
            let line = lines.iter().find(|l| row_of(l) == row);
            let result = line.map_or_else(
                || RunResult::Failed(format!("no RESULT line for {row}")),
                |l| parse_result(l),
            );
            (row, result)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{RunResult, match_rows, parse_result};

    #[test]
    fn parses_result_lines() {
        let ok = parse_result("system=go workload=ring procs=2 n=10 value=12.5 unit=ns/op ok=true");
        assert_eq!(ok, RunResult::Value { value: 12.5, unit: "ns/op".into() });
        let bad =
            parse_result("system=may n=1 value=NaN unit=B/task ok=false error=panicked: x = y");
        assert_eq!(bad, RunResult::Failed("panicked: x = y".into()));
        let check = parse_result("system=go value=1 unit=ms ok=false");
        assert_eq!(check, RunResult::Failed("result check failed".into()));
    }

    #[test]
    fn metric_lines_fill_their_rows() {
        let lines = [
            "system=go workload=pingpong n=10 value=80 unit=ns/op ok=true",
            "system=go workload=pingpong metric=rtt_p99 n=10 value=900 unit=ns ok=true",
        ]
        .map(String::from);
        let rows = ["pingpong", "pingpong_rtt_p50", "pingpong_rtt_p99"];
        let got = match_rows("pingpong", &rows, &lines);
        assert_eq!(got[0], ("pingpong", RunResult::Value { value: 80.0, unit: "ns/op".into() }));
        let missing = RunResult::Failed("no RESULT line for pingpong_rtt_p50".into());
        assert_eq!(got[1], ("pingpong_rtt_p50", missing));
        assert_eq!(
            got[2],
            ("pingpong_rtt_p99", RunResult::Value { value: 900.0, unit: "ns".into() })
        );
    }
}
