//! Panics while a dropped runtime cancels its goroutines (`runtime/cancel.rs`): a
//! destructor that panics during a cancelled goroutine's unwind aborts the process (Rust's
//! rule for a panic during unwinding); a panic that escapes a cancelled goroutine outside
//! an unwind is named on stderr and counted, and the other goroutines are still unwound.
//! Each scenario runs in a child process, so an abort or stderr can be checked.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gpm_sched::{Builder, Cancelled, Runtime, park};

const CHILD_ENV: &str = "GPM_CANCEL_PANICS_CHILD";

/// Counts its drop; the panicking one then panics.
struct Counted {
    drops: Arc<AtomicUsize>,
    panics: bool,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.panics {
            panic!("Counted::drop panics (expected)");
        }
    }
}

fn park_forever() -> ! {
    loop {
        park::park(park::WaitReason::Park);
    }
}

/// Four parked goroutines holding a `Counted` each, plus `odd`, spawned by name on `rt`.
fn spawn_parked(
    rt: &Runtime,
    drops: &Arc<AtomicUsize>,
    odd: impl FnOnce() + Send + 'static,
) -> Vec<gpm_sched::JoinHandle<()>> {
    let mut hs: Vec<_> = (0..4)
        .map(|_| {
            let c = Counted { drops: drops.clone(), panics: false };
            rt.go(move || {
                let _c = c;
                park_forever()
            })
        })
        .collect();
    hs.push(rt.block_on(move || Builder::new().name("odd one").go(odd).unwrap()));
    // Let every goroutine reach its park.
    std::thread::sleep(Duration::from_millis(50));
    hs
}

fn run_child(scenario: &str) {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    match scenario {
        "panic_during_unwind" => {
            let _hs = spawn_parked(&rt, &drops, move || {
                let _c = Counted { drops: d, panics: true };
                park_forever()
            });
            drop(rt);
            println!("child: the process survived");
        }
        "panic_after_caught_cancellation" => {
            let hs = spawn_parked(&rt, &drops, move || {
                let c = Counted { drops: d, panics: true };
                // Catches the cancellation's unwind; the drop below then panics outside it.
                let _ = std::panic::catch_unwind(|| park_forever());
                drop(c);
            });
            let stats = rt.shutdown();
            assert_eq!(stats.cancel_panics, 1, "{stats:?}");
            assert_eq!(drops.load(Ordering::SeqCst), 5, "every destructor ran");
            for h in hs {
                let e = h.join().expect_err("cancelled");
                assert!(e.downcast_ref::<Cancelled>().is_some());
            }
            println!("child: ok");
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// The entry point of the child process; a no-op in the parent's run.
#[test]
fn child_entry() {
    if let Ok(scenario) = std::env::var(CHILD_ENV) {
        run_child(&scenario);
    }
}

/// Runs `scenario` in a child: (exit status, stdout, stderr).
fn run(scenario: &str) -> (std::process::ExitStatus, String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status, text(&out.stdout), text(&out.stderr))
}

/// A destructor that panics while a cancelled goroutine's stack unwinds aborts the process:
/// the abort happens inside the coroutine (rustc's `panic_in_cleanup`), where no runtime
/// can catch it. The hook prints the destructor's panic, then Rust's abort message.
#[test]
fn destructor_panicking_during_cancellation_aborts_the_process() {
    let (status, stdout, stderr) = run("panic_during_unwind");
    assert_eq!(status.signal(), Some(libc::SIGABRT), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("Counted::drop panics (expected)"), "stderr: {stderr}");
    assert!(stderr.contains("panic in a destructor during cleanup"), "stderr: {stderr}");
    assert!(!stdout.contains("survived"), "stdout: {stdout}");
}

/// A panic that escapes a cancelled goroutine after it caught the cancellation: reported
/// on stderr with the goroutine's name, counted in `Stats::cancel_panics`, and every other
/// goroutine is still unwound (the child checks the counts and the joins).
#[test]
fn panic_escaping_a_cancelled_goroutine_is_reported_and_counted() {
    let (status, stdout, stderr) = run("panic_after_caught_cancellation");
    assert!(status.success(), "status {status}\nstdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("child: ok"), "stdout: {stdout}");
    assert!(
        stderr.contains("\"odd one\"")
            && stderr.contains("panicked while being cancelled (Counted::drop panics (expected))"),
        "stderr: {stderr}"
    );
}
