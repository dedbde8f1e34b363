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

/// A select with a timeout (under loom: it may expire at any moment) racing a send: the
/// value is taken by the select or stays with the sender, never both, never lost.
#[test]
fn select_timeout_racing_send() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t =
            thread::spawn(move || tx.send_timeout(4, std::time::Duration::from_secs(1)).is_ok());
        let got = gpm::select! {
            recv(rx) -> v => v.ok(),
            default(std::time::Duration::from_secs(1)) => None,
        };
        let sent = t.join().unwrap();
        assert_eq!(got.is_some(), sent);
    });
}

/// A select offering a send on one channel and a receive on another, racing a receiver
/// and a sender: exactly one arm completes; the other peer is served afterwards.
#[test]
fn select_send_and_recv_arms() {
    loom::model(|| {
        let (out_tx, out_rx) = bounded::<u32>(0);
        let (in_tx, in_rx) = bounded::<u32>(0);
        let taker = thread::spawn(move || out_rx.recv().unwrap());
        let giver = thread::spawn(move || in_tx.send(9).unwrap());
        let sent_first = gpm::select! {
            send(out_tx, 1) -> r => { r.unwrap(); true },
            recv(in_rx) -> v => { assert_eq!(v, Ok(9)); false },
        };
        if sent_first {
            assert_eq!(in_rx.recv(), Ok(9));
        } else {
            out_tx.send(1).unwrap();
        }
        assert_eq!(taker.join().unwrap(), 1);
        giver.join().unwrap();
    });
}

/// A Condvar waiter whose timeout races `notify_one` aimed at it: the notification is
/// either consumed by it or the wait timed out — and the notifier never blocks.
#[test]
fn condvar_timeout_racing_notify() {
    loom::model(|| {
        use gpm::sync::{Condvar, Mutex};
        let pair = std::sync::Arc::new((Mutex::new(false), Condvar::new()));
        let p2 = pair.clone();
        let t = thread::spawn(move || {
            let (m, cv) = &*p2;
            *m.lock() = true;
            cv.notify_one();
        });
        let (m, cv) = &*pair;
        let mut g = m.lock();
        if !*g {
            let (g2, _timed_out) = cv.wait_timeout(g, std::time::Duration::from_secs(1));
            g = g2;
        }
        drop(g);
        t.join().unwrap();
        assert!(*m.lock());
    });
}

/// RwLock: a writer racing a reader (each blocking on the other's semaphore): both finish
/// and the reader sees the value before or after the write, whole.
#[test]
fn rwlock_reader_racing_writer() {
    loom::model(|| {
        let lock = std::sync::Arc::new(gpm::sync::RwLock::new(0u32));
        let l2 = lock.clone();
        let t = thread::spawn(move || *l2.write() = 1);
        let seen = *lock.read();
        assert!(seen == 0 || seen == 1);
        t.join().unwrap();
        assert_eq!(*lock.read(), 1);
    });
}
