//! The neutral client of the network workloads: one small program that loads every system's
//! server the same way (`cargo xtask bench` pins it to a CPU of its own with `taskset`).
//!
//! ```text
//! netclient echo <port> <conns> <secs>     64-byte round trips on <conns> connections
//! netclient idle <port> <conns> <secs>     open <conns> connections and hold them idle
//!                                          (each counts once the server's greeting is in)
//! netclient http_check <port>              two pipelined GETs, both replies checked
//! netclient selftest                       checks the histogram's arithmetic
//! ```
//!
//! It prints `RESULT` lines in the workload programs' format, one per metric, named by
//! `metric=` (the xtask maps each metric to a row of the table):
//!
//! ```text
//! RESULT workload=echo metric=rate n=100 value=51234.000 unit=rt/s ok=true
//! RESULT workload=echo metric=p99 n=100 value=41215.000 unit=ns ok=true
//! ```
//!
//! Single-threaded, level-triggered epoll over non-blocking std sockets (see `echo.rs`).
//! `cargo bench` runs it with no arguments: it then prints its usage and exits 0.

mod echo;
mod hist;
mod http;
mod sys;

use std::io::Read;
use std::time::Duration;

const USAGE: &str =
    "usage: netclient echo|idle <port> <conns> <secs> | http_check <port> | selftest";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if args.is_empty() {
        println!("{USAGE}");
        return;
    }
    let result = match run(&args) {
        Ok(lines) => {
            for line in lines {
                println!("RESULT {line}");
            }
            return;
        }
        Err(e) => e,
    };
    let mode = args[0].as_str();
    println!("RESULT workload={mode} metric=rate value=NaN unit=? ok=false error={result}");
    std::process::exit(1);
}

/// Argument `i`, a positive number.
fn num<T: std::str::FromStr + PartialOrd + Default>(
    args: &[String],
    i: usize,
    what: &str,
) -> Result<T, String> {
    let v = args.get(i).ok_or(format!("missing <{what}>; {USAGE}"))?;
    v.parse().ok().filter(|x| *x > T::default()).ok_or(format!("bad <{what}>: {v}; {USAGE}"))
}

/// Runs one mode; its `RESULT` lines (without the prefix), or why it failed.
fn run(args: &[String]) -> Result<Vec<String>, String> {
    match args[0].as_str() {
        "echo" => {
            let (port, conns, secs) =
                (num(args, 1, "port")?, num(args, 2, "conns")?, num(args, 3, "secs")?);
            let run = Duration::from_secs_f64(secs);
            let s = echo::run(port, conns, run).map_err(|e| e.to_string())?;
            let rate = s.round_trips as f64 / s.window.as_secs_f64();
            let p99 = s.hist.quantile(0.99).ok_or("no round trip completed in the window")?;
            let ok = s.hist.count() == s.round_trips;
            Ok(vec![
                format!("workload=echo metric=rate n={conns} value={rate:.3} unit=rt/s ok={ok}"),
                format!("workload=echo metric=p99 n={conns} value={p99}.000 unit=ns ok={ok}"),
            ])
        }
        "idle" => {
            let (port, conns, secs): (u16, usize, f64) =
                (num(args, 1, "port")?, num(args, 2, "conns")?, num(args, 3, "secs")?);
            sys::raise_nofile().map_err(|e| format!("raising RLIMIT_NOFILE: {e}"))?;
            let hold = Duration::from_secs_f64(secs);
            let all = sys::connect_many(port, conns, hold, true).map_err(|e| e.to_string())?;
            eprintln!("netclient: {conns} connections open; holding them");
            // Hold them until the server goes away (its exit closes them all) or time is up.
            let mut first = &all[0];
            let hold = Some(hold);
            first
                .set_nonblocking(false)
                .and_then(|()| first.set_read_timeout(hold))
                .map_err(|e| e.to_string())?;
            let _ = first.read(&mut [0u8; 1]);
            Ok(vec![format!(
                "workload=idle metric=opened n={conns} value={conns} unit=conns ok=true"
            )])
        }
        "http_check" => {
            http::check(num(args, 1, "port")?)?;
            Ok(vec!["workload=http_check metric=ok n=2 value=2 unit=replies ok=true".into()])
        }
        "selftest" => {
            hist::Histogram::selftest()?;
            Ok(vec!["workload=selftest metric=ok n=1 value=1 unit=checks ok=true".into()])
        }
        other => Err(format!("unknown mode {other}; {USAGE}")),
    }
}
