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

/// The unbounded list (a block holds three messages under loom): a sender crossing a block
/// boundary racing the receiver. Every message arrives once and in order, and the receiver
/// parked on an empty list is always woken (no lost wake-up).
#[test]
fn unbounded_sends_across_a_block() {
    loom::model(|| {
        let (tx, rx) = gpm::chan::unbounded::<u32>();
        let t = thread::spawn(move || (1..=4).for_each(|v| tx.send(v).unwrap()));
        let got: Vec<u32> = (0..4).map(|_| rx.recv().unwrap()).collect();
        assert_eq!(got, [1, 2, 3, 4]);
        t.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// Two senders racing for the list's tail, and a receiver: both messages arrive once.
#[test]
fn unbounded_two_senders() {
    loom::model(|| {
        let (tx, rx) = gpm::chan::unbounded::<u32>();
        let tx2 = tx.clone();
        let t1 = thread::spawn(move || tx.send(1).unwrap());
        let t2 = thread::spawn(move || tx2.send(2).unwrap());
        let a = rx.recv().unwrap();
        let b = rx.recv().unwrap();
        assert_eq!(a + b, 3);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

/// The unbounded list's disconnection: a receiver blocked on the empty list racing the
/// last sender, which sends then drops. It gets the message, then `Err`, never a hang.
#[test]
fn unbounded_recv_racing_send_and_disconnect() {
    loom::model(|| {
        let (tx, rx) = gpm::chan::unbounded::<u32>();
        let t = thread::spawn(move || {
            tx.send(4).unwrap();
            drop(tx);
        });
        assert_eq!(rx.recv(), Ok(4));
        assert_eq!(rx.recv(), Err(RecvError));
        t.join().unwrap();
    });
}

/// The last receiver leaving while senders fill the list past a block: every message is
/// dropped exactly once, whether it was sent before the drop (discarded by the receiver's
/// drop or by the list's) or handed back by a failed send.
#[test]
fn unbounded_receiver_drop_racing_sends() {
    use std::sync::Arc;
    const N: usize = 4;
    loom::model(|| {
        let drops = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        struct Counted(Arc<loom::sync::atomic::AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, loom::sync::atomic::Ordering::Relaxed);
            }
        }
        let (tx, rx) = gpm::chan::unbounded::<Counted>();
        let d = drops.clone();
        let t = thread::spawn(move || {
            for _ in 0..N {
                if let Err(SendError(v)) = tx.send(Counted(d.clone())) {
                    drop(v);
                }
            }
        });
        drop(rx);
        t.join().unwrap();
        assert_eq!(drops.load(loom::sync::atomic::Ordering::Relaxed), N);
    });
}

/// Two dynamic selects, each offering to receive from and to send on one unbuffered
/// channel (crossbeam's `matching`): one selects the send and is paired with the other's
/// receive, which gets the message. Neither blocks for ever.
#[test]
fn select_send_pairs_with_a_selecting_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let run = |tx: gpm::chan::Sender<u32>, rx: gpm::chan::Receiver<u32>, me: u32| {
            let mut sel = gpm::chan::Select::new();
            let r = sel.recv(&rx);
            let s = sel.send(&tx);
            let op = sel.select();
            match op.index() {
                i if i == r => op.recv(&rx).unwrap() + 10,
                i if i == s => {
                    op.send(&tx, me).unwrap();
                    me
                }
                _ => unreachable!(),
            }
        };
        let (tx2, rx2) = (tx.clone(), rx.clone());
        let t = thread::spawn(move || run(tx2, rx2, 2));
        let mine = run(tx, rx, 1);
        let theirs = t.join().unwrap();
        let mut got = [mine, theirs];
        got.sort();
        assert!(got == [1, 11] || got == [2, 12], "{got:?}");
    });
}
