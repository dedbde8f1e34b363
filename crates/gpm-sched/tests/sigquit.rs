//! `GPM_DEBUG=dump_on_signal=1`: a SIGQUIT prints every goroutine of the runtime, and the
//! process goes on. The child raises the signal at itself.

use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "GPM_SIGQUIT_TEST_CHILD";

/// The child: a goroutine parks, then SIGQUIT, then a normal exit (no-op in the parent).
#[test]
fn child_entry() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let rt = gpm_sched::Runtime::single_thread().unwrap();
    let (u_tx, u_rx) = std::sync::mpsc::channel();
    let h = rt.go(move || {
        let h = gpm_sched::Builder::new().name("stuck").go(move || {
            u_tx.send(gpm_sched::park::unparker()).unwrap();
            gpm_sched::park::park(gpm_sched::park::WaitReason::Park);
        });
        h.unwrap().join().unwrap();
    });
    let u = u_rx.recv().unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    while !rt.dump().contains("[park, ") && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: raising a signal at this process; its handler only counts it.
    assert_eq!(unsafe { libc::raise(libc::SIGQUIT) }, 0);
    // sysmon prints within a round (at most 10 ms when idle); a loaded machine may delay
    // its thread far longer.
    std::thread::sleep(Duration::from_millis(1500));
    u.unpark();
    h.join().unwrap();
    println!("child: still alive");
}

#[test]
fn sigquit_prints_every_goroutine() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .env("GPM_DEBUG", "dump_on_signal=1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("child: still alive"), "{stdout}");
    assert_eq!(stderr.matches("SIGQUIT: goroutines of runtime `gpm`:").count(), 1, "{stderr}");
    assert!(stderr.contains("goroutine 2 [park, "), "{stderr}");
    assert!(stderr.contains("name: stuck"), "{stderr}");
    assert!(stderr.contains("goroutine 1 [join, "), "{stderr}");
    let at = format!("waiting at {}:", file!());
    assert_eq!(stderr.matches(&at).count(), 2, "{stderr}");
}
