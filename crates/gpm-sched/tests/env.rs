//! The environment variables a runtime reads (`GPM_MAXPROCS`, `GPM_DEBUG`): a value it
//! cannot use is not fatal; the runtime starts with the default and says so once on stderr.
//! Each case runs in a child process with the variable set.

use std::process::Command;

const CHILD_ENV: &str = "GPM_ENV_TEST_CHILD";

/// The entry point of the child process; a no-op in the parent's run.
#[test]
fn child_entry() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get()).min(256);
    // Twice: the warning is printed once per process.
    for _ in 0..2 {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let rt =
            unsafe { gpm_sched::Runtime::new() }.expect("a bad variable does not stop the runtime");
        println!("child: procs={} ncpu={ncpu}", rt.procs());
    }
}

/// Runs the child with `var=value`: (stdout, stderr).
fn run(var: &str, value: &str) -> (String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env_remove("GPM_MAXPROCS")
        .env_remove("GPM_DEBUG")
        .env(var, value)
        .output()
        .unwrap();
    let (stdout, stderr) = (out.stdout, out.stderr);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into());
    assert!(out.status.success(), "{var}={value}: stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

#[test]
fn unusable_gpm_maxprocs_is_ignored_with_one_warning() {
    for bad in ["0", "abc"] {
        let (stdout, stderr) = run("GPM_MAXPROCS", bad);
        let ncpu = stdout.split("ncpu=").nth(1).unwrap().lines().next().unwrap();
        assert_eq!(stdout.matches(&format!("procs={ncpu} ")).count(), 2, "stdout: {stdout}");
        let line = format!("gpm: ignoring GPM_MAXPROCS=\"{bad}\"");
        assert_eq!(stderr.matches(&line).count(), 1, "stderr: {stderr}");
        assert!(stderr.contains(&format!("using {ncpu} (the number of CPUs)")), "{stderr}");
    }
}

#[test]
fn large_gpm_maxprocs_is_clamped_with_one_warning() {
    let (stdout, stderr) = run("GPM_MAXPROCS", "100000");
    assert_eq!(stdout.matches("procs=256 ").count(), 2, "stdout: {stdout}");
    let line = "gpm: GPM_MAXPROCS=100000 is above the most Ps a runtime can have (256); using 256";
    assert_eq!(stderr.matches(line).count(), 1, "stderr: {stderr}");
}

#[test]
fn unknown_gpm_debug_setting_gives_one_warning() {
    let (_, stderr) = run("GPM_DEBUG", "schedtrce=1000");
    let line = "gpm: GPM_DEBUG: ignoring \"schedtrce=1000\" (known settings:";
    assert_eq!(stderr.matches(line).count(), 1, "stderr: {stderr}");
}
