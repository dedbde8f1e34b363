//! The command line of `cargo xtask bench` (the macro suite).

use super::plan::{NET_WORKLOADS, System, WORKLOADS};
use std::time::Duration;

/// Usage text for `cargo xtask bench --help`.
pub const USAGE: &str = "\
usage: cargo xtask bench [options]            the macro suite: gpm vs Go, tokio, may, threads
       cargo xtask bench queue|stack|chan     criterion micro-benchmarks, gpm vs its peer
       cargo xtask bench sched                criterion: the scheduler's figures (no peer)
         (these take --rounds N: run N times, ratios paired round by round; --no-run;
          and criterion's arguments after --, e.g. a filter)

options:
  --quick              smaller n (see the table), 1 s of network load, 3 repetitions
  --reps N             repetitions per cell (default 5, quick 3)
  --procs 1,2,4,8      procs values, any list from 1 to 256 (default: 1, 2 and the CPU
                       count): GOMAXPROCS / worker threads / Ps; counts above the CPU count
                       run oversubscribed, and the report says so
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
<target>/bench/: report.md, results.csv (every run: the figure, wall and CPU time, peak
RSS), ratios.svg (the ratios with their spread), procs.svg (each workload over procs).";

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
    /// The procs values, ascending, without repeats.
    pub procs: Vec<usize>,
    /// Whether `procs` is the default (1, 2 and the CPU count) rather than `--procs`.
    pub procs_default: bool,
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
            procs: default_procs(cpus()),
            procs_default: true,
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
                    o.procs = parse_procs(&value()?)?;
                    o.procs_default = false;
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

/// The CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The default procs values: 1, 2 and the CPU count (1 and 2 on a machine of 1 or 2 CPUs),
/// so one run shows a single worker, two, and the whole machine without oversubscribing it
/// beyond 2.
pub fn default_procs(cpus: usize) -> Vec<usize> {
    let mut procs = vec![1, 2, cpus.max(1)];
    procs.sort_unstable();
    procs.dedup();
    procs
}

/// The largest procs value: gpm's limit on Ps (Go's GOMAXPROCS has none this low, but the
/// columns must run the same counts).
pub const MAX_PROCS: usize = 256;

/// Parses `--procs`: a comma-separated list of counts from 1 to [`MAX_PROCS`], returned
/// ascending without repeats.
pub fn parse_procs(s: &str) -> Result<Vec<usize>, String> {
    let mut procs = Vec::new();
    for item in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let p: usize = item.parse().map_err(|_| {
            format!("--procs: `{item}` is not a count (give a list such as --procs 1,2,4)")
        })?;
        if !(1..=MAX_PROCS).contains(&p) {
            return Err(format!("--procs: {p} is outside 1..={MAX_PROCS}"));
        }
        procs.push(p);
    }
    if procs.is_empty() {
        return Err(format!("--procs: `{s}` names no count (give a list such as --procs 1,2,4)"));
    }
    procs.sort_unstable();
    procs.dedup();
    Ok(procs)
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
    use super::{Options, System, default_procs, parse_procs};

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

    #[test]
    fn procs_lists_are_sorted_deduplicated_and_bounded() {
        assert_eq!(parse_procs("1,2,4,8,16"), Ok(vec![1, 2, 4, 8, 16]));
        assert_eq!(parse_procs("4, 1,2,4,"), Ok(vec![1, 2, 4]));
        assert_eq!(parse_procs("256"), Ok(vec![256]));
        let zero = parse_procs("0,1").unwrap_err();
        assert!(zero.contains("0 is outside 1..=256"), "{zero}");
        assert!(parse_procs("257").unwrap_err().contains("257"));
        let word = parse_procs("1,two").unwrap_err();
        assert!(word.contains("`two` is not a count"), "{word}");
        assert!(parse_procs(",").unwrap_err().contains("names no count"));
        let o = Options::parse(&args("--procs 8,1")).unwrap();
        assert_eq!((o.procs, o.procs_default), (vec![1, 8], false));
        assert!(Options::parse(&[]).unwrap().procs_default);
    }

    #[test]
    fn default_procs_are_1_2_and_the_cpu_count() {
        assert_eq!(default_procs(1), [1, 2]);
        assert_eq!(default_procs(2), [1, 2]);
        assert_eq!(default_procs(16), [1, 2, 16]);
        assert_eq!(default_procs(0), [1, 2]);
    }
}
