//! Completing a goroutine's wait from outside its runtime. A waiter queued in a channel or a
//! lock names its goroutine without owning the runtime (`gpm_sched::park::WaitHandle`);
//! a completer that is not a goroutine of that runtime takes a reference while the owner
//! still waits. These tests drive the paths where the runtime goes away around that
//! moment: a completer thread racing the runtime's drop, a completer on another runtime,
//! and a waiter left queued by a goroutine the runtime had to leak.

mod chan_support;

use chan_support::deadline;
use gpm::chan::bounded;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A plain thread completes a goroutine's receive, and the runtime is dropped as soon as
/// the goroutine returns: the thread's wake-up must not outlive the runtime's memory.
#[test]
fn thread_completer_races_runtime_drop() {
    deadline(60, || {
        for i in 0..200u64 {
            // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
            let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
            let (tx, rx) = bounded::<u64>(0);
            let sender = std::thread::spawn(move || tx.send(i).expect("receiver alive"));
            let got = rt.block_on(move || rx.recv().expect("a value"));
            drop(rt);
            assert_eq!(got, i);
            sender.join().expect("sender");
        }
    });
}

/// A goroutine of one runtime completes a wait of another runtime's goroutine (the owning
/// path), and the waiter's runtime is dropped right after.
#[test]
fn goroutine_of_another_runtime_completes_the_wait() {
    deadline(60, || {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let completer = unsafe { gpm::Runtime::builder().procs(1).build() }.expect("runtime");
        for i in 0..200u64 {
            // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
            let rt = unsafe { gpm::Runtime::builder().procs(1).build() }.expect("runtime");
            let (tx, rx) = bounded::<u64>(0);
            let waiter = rt.go(move || rx.recv().expect("a value"));
            let sent = completer.go(move || tx.send(i).is_ok());
            assert_eq!(waiter.join().expect("waiter"), i);
            drop(rt);
            assert!(sent.join().expect("completer"));
        }
    });
}

/// Receives on drop, forever: a destructor that parks while a panic unwinds its goroutine.
struct RecvOnDrop(Option<gpm::chan::Receiver<u64>>, Arc<AtomicBool>);

impl Drop for RecvOnDrop {
    fn drop(&mut self) {
        self.1.store(true, Ordering::Release);
        if let Some(rx) = self.0.take() {
            let _ = rx.recv();
        }
    }
}

/// A goroutine parks in a channel receive inside a destructor while a panic unwinds it; the
/// runtime cannot unwind it again and leaks it on drop, its waiter still queued. A send
/// after the drop completes that waiter: the runtime's memory must still be there.
#[test]
fn waiter_of_a_leaked_goroutine_is_completed_after_the_drop() {
    deadline(60, || {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        let (tx, rx) = bounded::<u64>(0);
        let parked = Arc::new(AtomicBool::new(false));
        let p = parked.clone();
        let h = rt.go(move || {
            let _r = RecvOnDrop(Some(rx), p);
            std::panic::panic_any("boom (expected)");
        });
        while !parked.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(50));
        drop(rt);
        assert!(!h.is_finished(), "the leaked goroutine cannot have finished");
        // The receiver is the leaked goroutine's queued waiter: the send completes it.
        assert_eq!(tx.send_timeout(7, Duration::from_secs(5)), Ok(()));
        drop(h);
        // The process goes on: a new runtime works.
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        assert_eq!(rt.block_on(|| gpm::go(|| 5).join().expect("join")), 5);
    });
}
