//! Running one measurement: its own process, a time limit, and the `RESULT` line parsed.

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
pub fn run(cmd: Command, limit: Duration) -> RunResult {
    match result_lines(cmd, limit) {
        Ok(lines) => parse_result(&lines[0]),
        Err(failed) => failed,
    }
}

/// Runs `cmd` to completion or until `limit`; every `RESULT` line it printed (without the
/// prefix, at least one), or the failure: a timeout, or no `RESULT` line (the exit status
/// and the last line of its stderr).
pub fn result_lines(cmd: Command, limit: Duration) -> Result<Vec<String>, RunResult> {
    let (status, stdout, stderr) = capture(cmd, limit)?;
    let lines: Vec<String> =
        stdout.lines().filter_map(|l| l.strip_prefix("RESULT ")).map(String::from).collect();
    if lines.is_empty() {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(RunResult::Failed(format!("{status}: {}", shorten(last.trim(), 160))));
    }
    Ok(lines)
}

/// Runs `cmd` to completion or until `limit` (then kills it): its exit status, stdout and
/// stderr, or [`RunResult::Timeout`] / [`RunResult::Failed`].
pub fn capture(
    mut cmd: Command,
    limit: Duration,
) -> Result<(ExitStatus, String, String), RunResult> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env("RUST_BACKTRACE", "0");
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return Err(RunResult::Failed(format!("cannot start: {e}"))),
    };
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill(); // our own child, by handle
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunResult::Failed(format!("wait failed: {e}")));
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        Some(status) => Ok((status, stdout, stderr)),
        None => Err(RunResult::Timeout(limit)),
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
    let (status, stdout, stderr) = match capture(cmd, limit) {
        Ok(out) => out,
        Err(failed) => return (failed, String::new()),
    };
    let result = match stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) {
        Some(line) => parse_result(line),
        None => {
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
            RunResult::Failed(format!("{status}: {}", shorten(last.trim(), 160)))
        }
    };
    (result, stdout)
}

/// The rows one run of `workload` fills (`plan::rows_of`): its first `RESULT` line without
/// a `metric=` field fills the workload's row, a line with `metric=m` the row
/// `<workload>_<m>` (the `timers` lateness rows).
pub fn rows(
    cmd: Command,
    limit: Duration,
    workload: &'static str,
) -> Vec<(&'static str, RunResult)> {
    let rows = super::plan::rows_of(workload);
    if rows.len() == 1 {
        return vec![(workload, run(cmd, limit))];
    }
    let lines = match result_lines(cmd, limit) {
        Ok(lines) => lines,
        Err(failed) => return rows.into_iter().map(|r| (r, failed.clone())).collect(),
    };
    let row_of = |l: &str| match field(l, "metric") {
        None => Some(workload.to_string()),
        Some(m) => Some(format!("{workload}_{m}")),
    };
    rows.into_iter()
        .map(|row| {
            let line = lines.iter().find(|l| row_of(l).as_deref() == Some(row));
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
    use super::{RunResult, parse_result};

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
}
