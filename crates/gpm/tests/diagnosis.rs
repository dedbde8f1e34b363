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

#[test]
fn dump_names_the_recv_a_goroutine_waits_in() {
    let rt = gpm::Runtime::single_thread().unwrap();
    let (tx, rx) = gpm::chan::bounded::<u32>(0);
    let line = line!() + 3;
    let h = rt.go(move || {
        let inner = gpm::Builder::new().name("waiter").go(move || rx.recv().unwrap());
        inner.unwrap().join().unwrap()
    });
    let want = format!("waiting at {}:{line}:", file!());
    let join = format!("waiting at {}:{}:", file!(), line + 2);
    let d = dump_until(&rt, |d| d.contains(&want));
    assert!(d.contains(&want), "no {want:?} in the dump:\n{d}");
    assert!(d.contains("[chan receive, "), "{d}");
    assert!(d.contains("name: waiter"), "{d}");
    assert!(d.contains(&join), "no {join:?} (the join) in the dump:\n{d}");
    assert!(d.contains("[join, "), "{d}");
    tx.send(7).unwrap();
    assert_eq!(h.join().unwrap(), 7);
}
