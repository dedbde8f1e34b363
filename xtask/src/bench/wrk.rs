//! `wrk`, the HTTP load generator of the `http` rows: finding it (installing the Debian
//! package when we are root and apt-get is there) and reading its report.

use super::build::output_of;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `wrk` from PATH; else, as root with apt-get, `apt-get update` and `apt-get install -y
/// wrk`, then PATH again. `Err` says why there is none and how to get it.
pub fn find_or_install() -> Result<PathBuf, String> {
    if let Some(wrk) = in_path("wrk") {
        return Ok(wrk);
    }
    let root = output_of(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    if !root || in_path("apt-get").is_none() {
        return Err("wrk is not installed (install the `wrk` package, e.g. `apt-get install \
                    wrk`, and run again); the http rows need it"
            .into());
    }
    eprintln!("bench: wrk is not installed; running apt-get update && apt-get install -y wrk");
    for args in [&["update"][..], &["install", "-y", "wrk"][..]] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .map_err(|e| format!("wrk is not installed and apt-get failed to start: {e}"))?;
        if !status.success() {
            return Err(format!(
                "wrk is not installed and `apt-get {}` failed ({status})",
                args.join(" ")
            ));
        }
    }
    in_path("wrk").ok_or_else(|| "apt-get installed wrk but it is not on PATH".into())
}

/// The first executable file named `name` in `$PATH`.
fn in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What one wrk run measured.
#[derive(Debug, PartialEq)]
pub struct WrkReport {
    /// `Requests/sec:`.
    pub req_per_sec: f64,
    /// The `99%` line of `--latency`'s distribution, in nanoseconds.
    pub p99_ns: f64,
}

/// Reads wrk's `--latency` report; `Err` for socket errors, non-2xx replies, or a report
/// without the two figures.
pub fn parse(out: &str) -> Result<WrkReport, String> {
    for line in out.lines().map(str::trim) {
        if line.starts_with("Socket errors:") || line.starts_with("Non-2xx or 3xx responses:") {
            return Err(format!("wrk: {line}"));
        }
    }
    let req_per_sec = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or("wrk: no `Requests/sec:` line in its output")?;
    let p99_ns = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| duration_ns(v.trim()))
        .ok_or("wrk: no `99%` latency line (was --latency passed?)")?;
    if req_per_sec <= 0.0 {
        return Err("wrk: no request completed".into());
    }
    Ok(WrkReport { req_per_sec, p99_ns })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.00s`, `1.50m`.
fn duration_ns(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let scale = match unit {
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    Some(num.parse::<f64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::{WrkReport, parse};

    const OK: &str = "Running 1s test @ http://127.0.0.1:4000/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.33us  101.20us   3.10ms   90.00%
    Req/Sec    78.10k     2.00k   80.00k    70.00%
  Latency Distribution
     50%  800.00us
     75%  850.00us
     90%  900.00us
     99%    1.23ms
  78000 requests in 1.00s, 5.00MB read
Requests/sec:  77995.50
Transfer/sec:      5.00MB
";

    #[test]
    fn reads_rate_and_p99() {
        assert_eq!(parse(OK), Ok(WrkReport { req_per_sec: 77995.5, p99_ns: 1_230_000.0 }));
    }

    #[test]
    fn errors_and_missing_figures_fail() {
        let errs = OK.replace(
            "Requests/sec",
            "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec",
        );
        assert!(parse(&errs).unwrap_err().contains("Socket errors"));
        let non2xx = OK.replace("Requests/sec", "  Non-2xx or 3xx responses: 5\nRequests/sec");
        assert!(parse(&non2xx).unwrap_err().contains("Non-2xx"));
        assert!(parse(&OK.replace("99%", "98%")).unwrap_err().contains("99%"));
        assert!(parse("Running 1s test").is_err());
    }
}
