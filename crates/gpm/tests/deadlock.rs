//! Deadlock detection (Go's `checkdead`), ports of Go's `TestSimpleDeadlock`,
//! `TestLockedDeadlock` and `TestLockedDeadlock2` (runtime/crash_test.go,
//! testdata/testprog/deadlock.go), a timer that must suppress the report, and the plain
//! thread cases. Each case runs in a child process (a deadlocked runtime keeps its
//! goroutines parked), which prints what `block_on` returned or panicked with.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CASE: &str = "GPM_DEADLOCK_CASE";
const REPORT: &str = "gpm: all goroutines are asleep - deadlock!";

/// The child: runs the case named by `GPM_DEADLOCK_CASE` (a no-op in the parent's run).
#[test]
fn child_entry() {
    let Some(case) = std::env::var_os(CASE) else { return };
    let case = case.to_string_lossy().into_owned();
    let r = std::panic::catch_unwind(|| run_case(&case));
    match r {
        Ok(v) => println!("returned {v}"),
        Err(p) => match p.downcast::<gpm::Deadlock>() {
            Ok(d) => println!("deadlock payload, dump:\n{}", d.dump()),
            Err(_) => println!("other panic"),
        },
    }
}

/// A runtime with detection on through the builder (`procs` Ps; 0: single-thread).
fn runtime(procs: usize) -> gpm::Runtime {
    let b = gpm::Runtime::builder().detect_deadlock(true);
    if procs == 0 {
        return b.build_single_thread().unwrap();
    }
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    unsafe { b.procs(procs).build() }.unwrap()
}

fn run_case(case: &str) -> u32 {
    match case {
        // Go's SimpleDeadlock: `select {}` in main.
        "simple" => runtime(2).block_on(|| {
            gpm::select! {}
        }),
        // Detection from GPM_DEBUG=checkdead=1 (the builder does not say).
        "env" => gpm::Runtime::single_thread()
            .unwrap()
            .block_on(|| gpm::chan::never::<u32>().recv().unwrap()),
        // Go's LockedDeadlock: main locks its thread, then `select {}`.
        "locked" => runtime(2).block_on(|| {
            gpm::lock_os_thread();
            gpm::select! {}
        }),
        // Go's LockedDeadlock2: a goroutine locks its thread and blocks forever; main
        // sleeps a millisecond and blocks forever too.
        "locked2" => runtime(2).block_on(|| {
            let _h = gpm::go(|| {
                gpm::lock_os_thread();
                gpm::select! {}
            });
            gpm::sleep(Duration::from_millis(1));
            gpm::select! {}
        }),
        // Two goroutines wait on each other's channel: a cycle (single-thread runtime).
        "cycle" => runtime(0).block_on(|| {
            let (atx, arx) = gpm::chan::bounded::<u32>(0);
            let (btx, brx) = gpm::chan::bounded::<u32>(0);
            let h = gpm::Builder::new()
                .name("b-waits-for-a")
                .go(move || btx.send(arx.recv().unwrap()).unwrap())
                .unwrap();
            let v = brx.recv().unwrap();
            atx.send(v).unwrap();
            h.join().unwrap();
            v
        }),
        // Everyone waits, but a goroutine sleeping on a timer will wake them: no report.
        "timer" => runtime(2).block_on(|| {
            let (tx, rx) = gpm::chan::bounded::<u32>(0);
            let wg = gpm::sync::WaitGroup::new();
            for _ in 0..3 {
                let (rx, wg) = (rx.clone(), wg.clone());
                wg.add(1);
                gpm::go(move || {
                    rx.recv().unwrap();
                    wg.done();
                });
            }
            gpm::go(move || {
                gpm::sleep(Duration::from_millis(300));
                for i in 0..3 {
                    tx.send(i).unwrap();
                }
            });
            wg.wait();
            3
        }),
        // A plain thread gpm has seen (it took part in a channel rendezvous) wakes the
        // goroutines after 200 ms: it counts as awake meanwhile, so no report.
        "seen_thread" => {
            let rt = runtime(2);
            let (ready_tx, ready_rx) = gpm::chan::bounded::<()>(0);
            let (req_tx, req_rx) = gpm::chan::bounded::<u32>(0);
            let (rep_tx, rep_rx) = gpm::chan::bounded::<u32>(0);
            let t = std::thread::spawn(move || {
                // A rendezvous: this thread either blocks in it or completes the main
                // thread's wait; gpm has seen it either way.
                ready_tx.send(()).unwrap();
                let v = req_rx.recv().unwrap();
                std::thread::sleep(Duration::from_millis(200));
                rep_tx.send(v + 1).unwrap();
            });
            ready_rx.recv().unwrap();
            let v = rt.block_on(move || {
                req_tx.send(41).unwrap();
                rep_rx.recv().unwrap()
            });
            t.join().unwrap();
            v
        }
        // A plain thread gpm has never seen sleeps 200 ms, then sends: detection cannot
        // know it will, and reports (the documented false positive).
        "unseen_thread" => {
            let rt = runtime(2);
            let (tx, rx) = gpm::chan::bounded::<u32>(1);
            let t = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                let _ = tx.send(1);
            });
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(move || rx.recv().unwrap())
            }));
            t.join().unwrap();
            r.unwrap_or_else(|p| std::panic::resume_unwind(p))
        }
        other => panic!("deadlock test: unknown case {other:?}"),
    }
}

/// Runs `case` in a child with `GPM_DEBUG=debug`: (stdout, stderr).
fn run(case: &str, debug: &str) -> (String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE, case)
        .env_remove("GPM_DEBUG");
    if !debug.is_empty() {
        cmd.env("GPM_DEBUG", debug);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A missed deadlock hangs the child: kill it after a while rather than hang the test.
    let end = Instant::now() + Duration::from_secs(30);
    let hung = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if Instant::now() > end {
            child.kill().unwrap();
            break true;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!hung, "case {case} hung (killed): stdout: {stdout}\nstderr: {stderr}");
    assert!(out.status.success(), "case {case}: stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

/// The child reported the deadlock once and its `block_on` panicked with the dump.
fn assert_reported(case: &str, debug: &str) -> String {
    let (stdout, stderr) = run(case, debug);
    assert_eq!(stderr.matches(REPORT).count(), 1, "case {case}: stderr: {stderr}");
    assert!(stdout.contains("deadlock payload, dump:\ngoroutine "), "case {case}: {stdout}");
    stderr
}

#[test]
fn simple_deadlock() {
    let stderr = assert_reported("simple", "");
    assert!(stderr.contains("[select, "), "{stderr}");
}

#[test]
fn checkdead_from_gpm_debug() {
    let stderr = assert_reported("env", "checkdead=1");
    assert!(stderr.contains("[chan receive, "), "{stderr}");
}

#[test]
fn locked_deadlock() {
    assert_reported("locked", "");
}

#[test]
fn locked_deadlock2() {
    let stderr = assert_reported("locked2", "");
    assert_eq!(stderr.matches("[select, ").count(), 2, "{stderr}");
}

#[test]
fn a_cycle_of_two_goroutines_is_reported_with_where_each_waits() {
    let stderr = assert_reported("cycle", "");
    assert!(stderr.contains("name: b-waits-for-a"), "{stderr}");
    assert!(stderr.contains(&format!("waiting at {}:", file!())), "{stderr}");
}

#[test]
fn a_sleeping_goroutine_suppresses_the_report() {
    let (stdout, stderr) = run("timer", "");
    assert!(!stderr.contains(REPORT), "{stderr}");
    assert!(stdout.contains("returned 3"), "{stdout}");
}

#[test]
fn a_thread_gpm_has_seen_counts_as_a_waker() {
    let (stdout, stderr) = run("seen_thread", "");
    assert!(!stderr.contains(REPORT), "{stderr}");
    assert!(stdout.contains("returned 42"), "{stdout}");
}

#[test]
fn a_thread_gpm_has_never_seen_is_not_counted() {
    assert_reported("unseen_thread", "");
}
