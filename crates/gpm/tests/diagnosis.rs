//! Diagnosis: `Runtime::dump` names the blocking call each waiting goroutine parked in.

use std::time::{Duration, Instant};

/// Polls `dump()` until `want` shows up (or a few seconds pass): the goroutine must have
/// parked first.
fn dump_until(rt: &gpm::Runtime, want: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let d = rt.dump();
        if want(&d) || Instant::now() > end {
            return d;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The line of this file holding `marker` (so the test does not depend on formatting).
fn line_of(marker: &str) -> u32 {
    let src = include_str!("diagnosis.rs");
    let i = src.lines().position(|l| l.ends_with(marker)).expect("marker");
    i as u32 + 1
}

fn wait_for(rx: gpm::chan::Receiver<u32>) -> u32 {
    rx.recv().unwrap() // <- RECV
}

#[test]
fn dump_names_the_recv_a_goroutine_waits_in() {
    let rt = gpm::Runtime::single_thread().unwrap();
    let (tx, rx) = gpm::chan::bounded::<u32>(0);
    let h = rt.go(move || {
        let inner = gpm::Builder::new().name("waiter").go(move || wait_for(rx)).unwrap();
        inner.join().unwrap() // <- JOIN
    });
    let recv = format!("waiting at {}:{}:", file!(), line_of("// <- RECV"));
    let join = format!("waiting at {}:{}:", file!(), line_of("// <- JOIN"));
    let d = dump_until(&rt, |d| d.contains(&recv) && d.contains(&join));
    assert!(d.contains(&recv), "no {recv:?} (the recv) in the dump:\n{d}");
    assert!(d.contains(&join), "no {join:?} (the join) in the dump:\n{d}");
    assert!(d.contains("[chan receive, "), "{d}");
    assert!(d.contains("[join, "), "{d}");
    assert!(d.contains("name: waiter"), "{d}");
    tx.send(7).unwrap();
    assert_eq!(h.join().unwrap(), 7);
}

/// The child side of the panic-message test (a no-op in the parent's run): a named
/// goroutine panics, and is joined.
#[test]
fn panic_child() {
    if std::env::var_os("GPM_PANIC_CHILD").is_none() {
        return;
    }
    let rt = gpm::Runtime::single_thread().unwrap();
    let r = rt.block_on(|| {
        let h = gpm::Builder::new().name("worker-3").go(|| -> u32 { panic!("boom {}", 7) });
        h.unwrap().join()
    });
    let payload = r.expect_err("the goroutine panicked");
    let msg = payload.downcast_ref::<&str>().copied();
    let msg = msg.or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    println!("joined: {}", msg.unwrap());
}

#[test]
fn a_panic_message_names_the_goroutine() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["panic_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("GPM_PANIC_CHILD", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    let line = format!("goroutine 2 'worker-3' panicked at {}:", file!());
    assert!(stderr.contains(&line), "no {line:?} in stderr:\n{stderr}");
    assert!(stderr.contains(":\nboom 7\nnote: run with `RUST_BACKTRACE=1`"), "{stderr}");
    assert!(!stderr.contains("thread 'gpm-m"), "the M thread is named instead:\n{stderr}");
    assert!(stdout.contains("joined: boom 7"), "{stdout}");
}

#[test]
fn on_panic_gets_a_detached_goroutines_panic_and_stats_count_it() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let rt = gpm::Runtime::builder()
        .on_panic(move |p| {
            let msg = (p.id(), p.name().map(str::to_owned), p.message().map(str::to_owned));
            tx.lock().unwrap().send(msg).unwrap();
        })
        .build_single_thread()
        .unwrap();
    let id = rt.block_on(|| {
        let (go_tx, go_rx) = gpm::chan::bounded::<()>(0);
        let h = gpm::Builder::new()
            .name("fire-and-forget")
            .go(move || {
                go_rx.recv().unwrap();
                panic!("lost?");
            })
            .unwrap();
        let id = h.id();
        drop(h); // detached before it panics
        go_tx.send(()).unwrap();
        // A joined panic reaches its joiner, not the handler.
        assert!(gpm::go(|| panic!("joined")).join().is_err());
        id
    });
    let (got_id, name, msg) = rx.recv_timeout(Duration::from_secs(5)).expect("on_panic called");
    assert_eq!(got_id, id);
    assert_eq!(name.as_deref(), Some("fire-and-forget"));
    assert_eq!(msg.as_deref(), Some("lost?"));
    assert!(rx.try_recv().is_err(), "the joined panic went to the handler too");
    let s = rt.stats();
    assert_eq!((s.panics, s.detached_panics), (2, 1), "{s:?}");
}
