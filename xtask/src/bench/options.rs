//! The command line of `cargo xtask bench` (the macro suite).

use super::plan::{NET_WORKLOADS, System, WORKLOADS};
use std::time::Duration;

/// Usage text for `cargo xtask bench --help`.
pub const USAGE: &str = "\
usage: cargo xtask bench [options]            the macro suite: gpm vs Go, tokio, may, threads
       cargo xtask bench queue|stack|chan     criterion micro-benchmarks, gpm vs its peer
       cargo xtask bench sched                criterion: the scheduler's figures (no peer)

options:
  --quick              smaller n (see the table), 1 s of network load, 3 repetitions
  --reps N             repetitions per cell (default 5, quick 3)
  --procs 1,2          procs values (default 1,2): GOMAXPROCS / worker threads / Ps
  --only W1,W2         only these workloads (spawn_join pingpong skynet yield ring fanin
                       idle_mem timers echo_1 echo_100 echo_1k http http_nethttp idle_conn;
                       `net` = the six network ones; alias --workloads)
  --systems S1,S2      only these systems (gpm go tokio may threads)
  --timeout SECS       per-run limit; a run past it is killed and reported (default 60, quick 30)
  --baseline SYSTEM    the system ratios are taken against (default gpm; go when gpm has no
                       results)
  --micro T1,T2|none   criterion targets to run too and append to the report (default: queue,
                       sched, chan, unless --only or --systems narrows the run; quick: 0.5 s warm-up, 1 s
                       measurement per function)

output: a progress line per run on stderr, the Markdown table on stdout, and in
<target>/bench/: report.md, results.csv (every run), ratios.svg (the chart).";

/// The criterion targets a full run appends: the queue against crossbeam-deque, the
/// scheduler's own figures (spawn+join, yield, hand-off, switch floor), the channels
/// against crossbeam-channel (and between goroutines).
pub const DEFAULT_MICRO: [&str; 3] = ["queue", "sched", "chan"];

/// Parsed options of the macro suite.
#[derive(Clone, Debug)]
pub struct Options {
    /// Quick mode: smaller `n`, fewer repetitions.
    pub quick: bool,
    /// Repetitions per cell.
    pub reps: usize,
    /// The procs values, in order.
    pub procs: Vec<usize>,
    /// The workloads to run, in row order.
    pub workloads: Vec<&'static str>,
    /// The systems to run, in column order.
    pub systems: Vec<System>,
    /// Per-run time limit.
    pub timeout: Duration,
    /// Ratios are `baseline / peer`.
    pub baseline: System,
    /// Criterion bench targets whose gpm-vs-peer tables are appended to the report.
    pub micro: Vec<String>,
}

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Options {
            quick,
            reps: if quick { 3 } else { 5 },
            procs: vec![1, 2],
            workloads: WORKLOADS.to_vec(),
            systems: System::ALL.to_vec(),
            timeout: Duration::from_secs(if quick { 30 } else { 60 }),
            baseline: System::Gpm,
            micro: Vec::new(),
        };
        let narrowed = args.iter().any(|a| a.starts_with("--only") || a.starts_with("--systems"));
        let mut micro = if narrowed {
            Vec::new()
        } else {
            DEFAULT_MICRO.iter().map(|t| t.to_string()).collect()
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            if flag == "--quick" {
                continue;
            }
            let mut value = || {
                inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{flag} needs a value"))
            };
            match flag {
                "--reps" => o.reps = parse_num(&value()?, flag)?.max(1),
                "--procs" => {
                    o.procs = list(&value()?, |s| parse_num(s, flag).ok().filter(|&p| p > 0))?
                }
                "--only" | "--workloads" => {
                    let net = NET_WORKLOADS.join(",");
                    let v = value()?;
                    let v: Vec<&str> =
                        v.split(',').map(|w| if w == "net" { net.as_str() } else { w }).collect();
                    let find = |s: &str| WORKLOADS.iter().copied().find(|w| *w == s);
                    o.workloads = list(&v.join(","), find)?;
                }
                "--systems" => o.systems = list(&value()?, System::parse)?,
                "--timeout" => o.timeout = Duration::from_secs(parse_num(&value()?, flag)? as u64),
                "--micro" => {
                    let v = value()?;
                    micro = v
                        .split(',')
                        .filter(|t| !t.is_empty() && *t != "none")
                        .map(String::from)
                        .collect();
                }
                "--baseline" => {
                    let v = value()?;
                    o.baseline = System::parse(&v).ok_or(format!("unknown system {v}"))?;
                }
                _ => return Err(format!("unknown option {arg}")),
            }
        }
        o.micro = micro;
        o.systems.sort();
        o.systems.dedup();
        Ok(o)
    }
}

fn parse_num(s: &str, flag: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("{flag}: not a number: {s}"))
}

/// A comma-separated list, each item mapped by `f` (`None` = an error naming the item).
fn list<T>(s: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| f(x.trim()).ok_or(format!("unknown or bad value: {x}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Options, System};

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let o = Options::parse(&args("--quick --systems tokio,go --only=ring,fanin --procs 1,4"))
            .unwrap();
        assert!(o.quick);
        assert_eq!(o.reps, 3);
        assert_eq!(o.systems, vec![System::Go, System::Tokio]);
        assert_eq!(o.workloads, vec!["ring", "fanin"]);
        assert_eq!(o.procs, vec![1, 4]);
        assert!(Options::parse(&args("--systems rust")).is_err());
        assert!(Options::parse(&args("--reps")).is_err());
        assert_eq!(Options::parse(&[]).unwrap().reps, 5);
        assert_eq!(Options::parse(&[]).unwrap().micro, ["queue", "sched", "chan"]);
        assert!(o.micro.is_empty());
        assert!(Options::parse(&args("--micro none")).unwrap().micro.is_empty());
        let net = Options::parse(&args("--only ring,net")).unwrap().workloads;
        assert_eq!(
            net,
            ["ring", "echo_1", "echo_100", "echo_1k", "http", "http_nethttp", "idle_conn"]
        );
        assert!(Options::parse(&args("--only echo_2")).is_err());
        let one = Options::parse(&args("--only http_nethttp")).unwrap().workloads;
        assert_eq!(one, ["http_nethttp"]);
    }
}
