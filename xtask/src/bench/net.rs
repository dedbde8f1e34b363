//! Running one network measurement: the system's server in its own process, the neutral
//! client (`netclient`, or `wrk` for the http rows) in another, both pinned with `taskset`,
//! both killed at the end whatever happened.
//!
//! The protocol: the server prints `LISTEN port=<port>` on stdout once it listens (on
//! `127.0.0.1:0`); then the client starts. echo and http: the client's figures are the
//! result and the server is killed after it. idle_conn: the client opens the connections
//! and holds them; the server prints the `RESULT` line itself (its RSS per connection) and
//! exits. Every wait has a deadline (the run's time limit); a server that exits early, a
//! client that fails, or a missing `LISTEN` line is a failure whose note says which.
//!
//! Pinning (the reason, written once): the client is single-threaded and pinned to the last
//! CPU. The server is pinned to CPUs `0..procs` when `procs` is below the CPU count, so at
//! procs=1 on two CPUs each side has a CPU to itself. At procs equal to the CPU count
//! (procs=2 on a 2-CPU machine) the server runs unpinned on every CPU, the client's
//! included: squeezing two workers onto one CPU would measure two threads fighting for it,
//! and a CPU of its own for the client cannot be had. Every system shares them alike.

use super::Programs;
use super::plan::{self, System};
use super::runner::{self, RunResult, RunRows, drain, field, parse_result, shorten};
use super::usage::{Reaper, Usage};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a server may take to print its `LISTEN` line.
const LISTEN_WAIT: Duration = Duration::from_secs(10);

/// Runs `workload` against `system`'s server: one result per row of `plan::rows_of`, and
/// what the server process cost (from its start to its exit or kill).
pub fn run(
    p: &Programs,
    system: System,
    workload: &'static str,
    procs: usize,
    n: u64,
    quick: bool,
    limit: Duration,
) -> RunRows {
    let rows = plan::rows_of(workload);
    let cmd = match server_command(p, system, workload, procs, n) {
        Some(cmd) => cmd,
        None => {
            return (
                rows.into_iter().map(|r| (r, RunResult::Failed("no program".into()))).collect(),
                None,
            );
        }
    };
    let mut server = match Server::start(cmd, limit) {
        Ok(server) => server,
        Err(failed) => return (rows.into_iter().map(|r| (r, failed.clone())).collect(), None),
    };
    let results = match measure(p, &mut server, workload, n, quick, limit) {
        Ok(results) => results,
        Err(failed) => vec![failed; rows.len()],
    };
    let usage = server.stop();
    (rows.into_iter().zip(results).collect(), usage)
}

fn measure(
    p: &Programs,
    server: &mut Server,
    workload: &str,
    n: u64,
    quick: bool,
    limit: Duration,
) -> Result<Vec<RunResult>, RunResult> {
    let deadline = Instant::now() + limit;
    let failed = |why: &str| RunResult::Failed(why.to_string());
    let client = p.client.as_deref().ok_or_else(|| failed("netclient was not built"))?;
    let http = workload.starts_with("http");
    let wrk = match (&p.wrk, http) {
        (Err(why), true) => return Err(failed(why)),
        (Ok(wrk), true) => Some(wrk.as_path()),
        _ => None,
    };
    let port = server.wait_listen((Instant::now() + LISTEN_WAIT).min(deadline))?.to_string();
    let secs = plan::net_secs(quick).to_string();
    let cpu = client_cpu(p);
    let left = || deadline.saturating_duration_since(Instant::now());
    if workload == "idle_conn" {
        let hold = limit.as_secs().to_string();
        let cmd = pinned(cpu.as_deref(), client, &["idle", &port, &n.to_string(), &hold]);
        return idle(server, cmd, deadline, limit).map(|r| vec![r]);
    }
    if let Some(wrk) = wrk {
        let check = pinned(cpu.as_deref(), client, &["http_check", &port]);
        let line = runner::result_lines(check, left())?.0.swap_remove(0);
        if let RunResult::Failed(why) = parse_result(&line) {
            return Err(failed(&format!("reply check before wrk: {why}")));
        }
        let (conns, dur, url) = (format!("-c{n}"), format!("-d{secs}s"), url(&port));
        let args = ["-t1", &conns, &dur, "--latency", "--timeout", "2s", &url];
        let runner::Output { status, stdout: out, stderr: err, .. } =
            runner::capture(pinned(cpu.as_deref(), wrk, &args), left())?;
        let last = err.lines().last().unwrap_or("").trim();
        if !status.success() {
            return Err(failed(&format!("wrk {status}: {}", shorten(last, 160))));
        }
        let r = super::wrk::parse(&out).map_err(|e| failed(&e))?;
        let value = |value, unit: &str| RunResult::Value { value, unit: unit.into() };
        return Ok(vec![value(r.req_per_sec, "req/s"), value(r.p99_ns, "ns")]);
    }
    let cmd = pinned(cpu.as_deref(), client, &["echo", &port, &n.to_string(), &secs]);
    let (lines, _) = runner::result_lines(cmd, left())?;
    let metric = |m: &str| {
        let line = lines.iter().find(|l| field(l, "metric") == Some(m));
        line.map_or_else(|| failed(&format!("netclient printed no {m} line")), |l| parse_result(l))
    };
    Ok(vec![metric("rate"), metric("p99")])
}

/// `http://127.0.0.1:<port>/`.
fn url(port: &str) -> String {
    format!("http://127.0.0.1:{port}/")
}

/// idle_conn: the client holds `n` connections open; the server's `RESULT` line is the result.
fn idle(
    server: &mut Server,
    client: Command,
    deadline: Instant,
    limit: Duration,
) -> Result<RunResult, RunResult> {
    let mut client = Proc::spawn(client)?;
    loop {
        match server.lines.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => match line.strip_prefix("RESULT ") {
                Some(result) => return Ok(parse_result(result)),
                None => continue,
            },
            Err(RecvTimeoutError::Disconnected) => return Err(server.exit_failure()),
            Err(RecvTimeoutError::Timeout) if Instant::now() >= deadline => {
                return Err(RunResult::Timeout(limit));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(why) = client.failure() {
            return Err(RunResult::Failed(format!("netclient: {why}")));
        }
    }
}

/// The CPU list of the client (`None`: not pinned).
fn client_cpu(p: &Programs) -> Option<String> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    (p.taskset && cpus >= 2).then(|| (cpus - 1).to_string())
}

/// `taskset -c <cpus> <program> <args>`, or the bare program when `cpus` is `None`.
fn pinned(cpus: Option<&str>, program: &Path, args: &[&str]) -> Command {
    let mut cmd = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args);
    cmd
}

/// The server of `workload` for `system`, pinned as the module header says.
fn server_command(
    p: &Programs,
    system: System,
    workload: &str,
    procs: usize,
    n: u64,
) -> Option<Command> {
    let kind = match workload {
        "http" => "serve_http",
        "http_nethttp" => "serve_nethttp",
        "idle_conn" => "serve_idle",
        _ => "serve_echo",
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let pin = (p.taskset && procs < cpus).then(|| format!("0-{}", procs - 1));
    let (procs, n) = (procs.to_string(), n.to_string());
    if system == System::Go {
        let mut cmd = pinned(pin.as_deref(), p.go.as_ref()?, &[kind, &procs, &n]);
        cmd.env("GOMAXPROCS", &procs);
        return Some(cmd);
    }
    Some(pinned(pin.as_deref(), p.rust.as_ref()?, &[system.name(), kind, &procs, &n]))
}

/// A child process that is killed when dropped (by its handle: only our own child).
struct Proc {
    child: Reaper,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Result<Proc, RunResult> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let started = Instant::now();
        let child = cmd.spawn().map_err(|e| RunResult::Failed(format!("cannot start: {e}")))?;
        let mut child = Reaper::new(child, started);
        let stdout = Some(drain(child.child_mut(), true));
        let stderr = Some(drain(child.child_mut(), false));
        Ok(Proc { child, stdout, stderr })
    }

    /// Why the process failed, once it has exited unsuccessfully; `None` while it runs or
    /// after a clean exit.
    fn failure(&mut self) -> Option<String> {
        let (status, _) = self.child.wait(false).ok()??;
        if status.success() {
            return None;
        }
        let out = self.stdout.take()?.join().unwrap_or_default();
        let err = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        let error = out.lines().find_map(|l| l.split_once(" error=")).map(|(_, e)| e.to_string());
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string);
        Some(format!("{status}: {}", error.or(last).unwrap_or_else(|| "no output".into())))
    }
}

/// A server process: its stdout as a stream of lines, killed when dropped.
struct Server {
    // Declared first: dropped (killed) before the reader's channel goes away.
    proc: Proc,
    lines: Receiver<String>,
    limit: Duration,
}

impl Server {
    fn start(mut cmd: Command, limit: Duration) -> Result<Server, RunResult> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.env("RUST_BACKTRACE", "0");
        let started = Instant::now();
        let child =
            cmd.spawn().map_err(|e| RunResult::Failed(format!("cannot start server: {e}")))?;
        let mut child = Reaper::new(child, started);
        let stdout = child.child_mut().stdout.take().expect("stdout is piped");
        let stderr = Some(drain(child.child_mut(), false));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Server { proc: Proc { child, stdout: None, stderr }, lines, limit })
    }

    /// Kills the server unless it has exited, reaps it, and returns what it cost.
    fn stop(&mut self) -> Option<Usage> {
        self.proc.child.kill().map(|(_, usage)| usage)
    }

    /// The port of the `LISTEN port=` line, waiting until `until`.
    fn wait_listen(&mut self, until: Instant) -> Result<u16, RunResult> {
        loop {
            let wait = until.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(wait) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(RunResult::Failed(format!(
                        "server printed no `LISTEN port=` line within {} s",
                        LISTEN_WAIT.as_secs().min(self.limit.as_secs())
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(self.exit_failure()),
            };
            if let Some(port) = line.strip_prefix("LISTEN port=") {
                return port
                    .trim()
                    .parse()
                    .map_err(|_| RunResult::Failed(format!("server printed a bad port: {line}")));
            }
            if let Some(result) = line.strip_prefix("RESULT ") {
                return Err(parse_result(result)); // a server that failed says why
            }
        }
    }

    /// The failure of a server whose stdout closed: its exit status and last stderr line.
    fn exit_failure(&mut self) -> RunResult {
        let status = match self.proc.child.wait(true) {
            Ok(Some((status, _))) => status.to_string(),
            _ => "?".to_string(),
        };
        let err = self.proc.stderr.take().map(|h| h.join().unwrap_or_default());
        let err = err.unwrap_or_default();
        let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        RunResult::Failed(format!("server exited ({status}): {}", shorten(last.trim(), 160)))
    }
}
