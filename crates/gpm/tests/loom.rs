//! loom models of the waiter hand-off (run with `RUSTFLAGS="--cfg gpm_loom"
//! LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gpm --test loom`): the channel's lock,
//! atomics, value slots and park/unpark are loom's, so every interleaving of the claim /
//! transfer / finish / unpark protocol is explored.
#![cfg(gpm_loom)]

use gpm::chan::{RecvError, SendError, bounded};
use loom::thread;

/// A send to a parked receiver racing the close that follows it: the receiver gets the
/// value, then `Err` — never a lost value, never a hang.
#[test]
fn send_to_parked_receiver_racing_close() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || {
            tx.send(7).unwrap();
            drop(tx); // close
        });
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(rx.recv(), Err(RecvError));
        t.join().unwrap();
    });
}

/// A parked sender racing the last receiver's drop: the send either completes (the
/// receiver took it) or fails with the value handed back.
#[test]
fn parked_sender_racing_disconnect() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || {
            let got = rx.try_recv().ok();
            drop(rx);
            got
        });
        let sent = tx.send(5);
        let got = t.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(got, Some(5)),
            Err(SendError(v)) => assert_eq!((v, got), (5, None)),
        }
    });
}

/// A receive whose deadline passes (under loom: at any moment) racing a send: the value is
/// either received or stays with the sender — a rendezvous never half-happens.
#[test]
fn recv_timeout_racing_send() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || tx.send_timeout(3, std::time::Duration::from_secs(1)));
        let got = rx.recv_timeout(std::time::Duration::from_secs(1)).ok();
        let sent = t.join().unwrap();
        assert_eq!(got.is_some(), sent.is_ok());
    });
}

/// One select registered on two channels racing two senders: exactly one arm completes,
/// the other sender is served by a later plain receive; both values arrive exactly once.
#[test]
fn select_on_two_channels_racing_two_senders() {
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let t1 = thread::spawn(move || tx1.send(1).unwrap());
        let t2 = thread::spawn(move || tx2.send(2).unwrap());
        let first = gpm::select! {
            recv(rx1) -> v => v.unwrap(),
            recv(rx2) -> v => v.unwrap(),
        };
        let second = if first == 1 { rx2.recv().unwrap() } else { rx1.recv().unwrap() };
        assert_eq!(first + second, 3);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

/// `gpm::sync::Mutex` on the runtime semaphore: two threads increment under the lock; the
/// wake-up of the queued one is never lost.
#[test]
fn mutex_handoff() {
    loom::model(|| {
        let m = std::sync::Arc::new(gpm::sync::Mutex::new(0));
        let m2 = m.clone();
        let t = thread::spawn(move || *m2.lock() += 1);
        *m.lock() += 1;
        t.join().unwrap();
        assert_eq!(*m.lock(), 2);
    });
}

/// `WaitGroup`: `wait` returns only after `done`, and is always woken.
#[test]
fn waitgroup_wakes_waiter() {
    loom::model(|| {
        let wg = gpm::sync::WaitGroup::new();
        let flag = std::sync::Arc::new(loom::sync::atomic::AtomicBool::new(false));
        wg.add(1);
        let (wg2, flag2) = (wg.clone(), flag.clone());
        let t = thread::spawn(move || {
            flag2.store(true, std::sync::atomic::Ordering::Relaxed);
            wg2.done();
        });
        wg.wait();
        assert!(flag.load(std::sync::atomic::Ordering::Relaxed));
        t.join().unwrap();
    });
}
