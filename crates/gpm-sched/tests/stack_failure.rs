//! A goroutine whose stack cannot be mapped when it first runs (stacks are bound lazily,
//! `gfree.rs`): `go` has returned its handle, so the failure must reach the handle's `join`
//! (a `Cancelled` that says why) and `Stats::stack_failures`. The child process lowers its
//! address-space limit below one stack, so every mapping of a new stack fails.

use std::process::Command;

use gpm_sched::{Cancelled, Runtime};

const CHILD_ENV: &str = "GPM_STACK_FAILURE_CHILD";

/// Stacks of 1 GiB: one cannot fit in the headroom `limit_address_space` leaves.
const STACK: usize = 1 << 30;

/// Sets the soft `RLIMIT_AS` to what the process maps now plus `headroom` bytes.
fn limit_address_space(headroom: u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmSize in /proc/self/status");
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid, writable `rlimit`.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) }, 0);
    lim.rlim_cur = kib * 1024 + headroom;
    // SAFETY: `lim` is a valid `rlimit`; lowering the soft limit needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
}

fn run_child() {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).stack_size(STACK).build() }.unwrap();
    limit_address_space(512 << 20);
    // From a plain thread: queued globally with no stack, bound when an M first runs them.
    let hs: Vec<_> = (0..3u32).map(|i| rt.go(move || i)).collect();
    for h in hs {
        let e = h.join().expect_err("no stack: the goroutine cannot have run");
        let c = e.downcast_ref::<Cancelled>().expect("the payload is `Cancelled`");
        assert!(c.is_no_stack(), "{c}");
        println!("child: join error: {c}");
    }
    assert_eq!(rt.stats().stack_failures, 3, "{:?}", rt.stats());
    println!("child: ok");
}

/// The entry point of the child process; a no-op in the parent's run.
#[test]
fn child_entry() {
    if std::env::var_os(CHILD_ENV).is_some() {
        run_child();
    }
}

#[test]
fn stack_failure_reaches_join_and_stats() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {}\nstdout: {stdout}\nstderr: {stderr}", out.status);
    assert!(stdout.contains("child: ok"), "stdout: {stdout}");
    // Each join says why: no stack, with the OS error (ENOMEM under the limit).
    let why = "goroutine cancelled before it ran: no stack could be mapped for it";
    assert_eq!(stdout.matches(why).count(), 3, "stdout: {stdout}");
    assert_eq!(stdout.matches("os error 12").count(), 3, "stdout: {stdout}");
    // The first failure is printed, the others only counted.
    assert_eq!(stderr.matches("no stack for goroutine").count(), 1, "stderr: {stderr}");
}
