//! Channel semantics on plain threads, in the spirit of Go's `chan_test.go`: every
//! capacity from 0 to 199 (blocking, FIFO, close drains then errors), try/timeout variants,
//! disconnection both ways, message drops, and multi-producer / multi-consumer conservation.

mod chan_support;

use chan_support::{deadline, sleep_ms, spawn};
use gpm::chan::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError, bounded,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CAPS: usize = 200;

/// Go's TestChan, part 1: a receive from an empty channel blocks until a send; a
/// non-blocking receive does not block.
#[test]
fn recv_blocks_until_send() {
    deadline(60, || {
        for cap in 0..CAPS {
            let (tx, rx) = bounded::<usize>(cap);
            let got = Arc::new(AtomicBool::new(false));
            let g = got.clone();
            let t = spawn(move || {
                let v = rx.recv().unwrap();
                g.store(true, Ordering::SeqCst);
                (v, rx)
            });
            sleep_ms(2);
            assert!(!got.load(Ordering::SeqCst), "cap {cap}: received from an empty channel");
            tx.send(cap).unwrap();
            let (v, rx) = t.join().unwrap();
            assert_eq!(v, cap);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        }
    });
}

/// Go's TestChan, part 2: a send to a full channel blocks until a receive; a non-blocking
/// send to a full channel fails with `Full`.
#[test]
fn send_blocks_when_full() {
    deadline(60, || {
        for cap in 0..CAPS {
            let (tx, rx) = bounded::<usize>(cap);
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            assert_eq!(tx.len(), cap);
            assert!(tx.is_full());
            assert_eq!(tx.try_send(7), Err(TrySendError::Full(7)));
            let sent = Arc::new(AtomicBool::new(false));
            let s = sent.clone();
            let t = spawn(move || {
                tx.send(cap).unwrap();
                s.store(true, Ordering::SeqCst);
                tx
            });
            sleep_ms(2);
            assert!(!sent.load(Ordering::SeqCst), "cap {cap}: sent to a full channel");
            assert_eq!(rx.recv(), Ok(0));
            let tx = t.join().unwrap();
            drop(tx);
            let rest: Vec<_> = rx.iter().collect();
            let want: Vec<_> = if cap == 0 { vec![] } else { (1..=cap).collect() };
            assert_eq!(rest, want, "cap {cap}: FIFO order");
        }
    });
}

/// Go's TestChan, parts 3–5 for every capacity: close drains then errors; close unblocks
/// a blocked receive; 100 values arrive in FIFO order through a sender thread.
#[test]
fn every_capacity_fifo_and_close() {
    deadline(60, || {
        for cap in 0..CAPS {
            // Close drains, then errors.
            let (tx, rx) = bounded::<usize>(cap);
            for i in 0..cap {
                tx.send(i).unwrap();
            }
            drop(tx);
            assert!(rx.is_disconnected());
            for i in 0..cap {
                assert_eq!(rx.recv(), Ok(i), "cap {cap}: drain after close");
            }
            assert_eq!(rx.recv(), Err(RecvError));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
            assert_eq!(
                rx.recv_timeout(Duration::from_millis(1)),
                Err(RecvTimeoutError::Disconnected)
            );

            // FIFO through a second thread (capacity exercised as a window).
            let (tx, rx) = bounded::<usize>(cap);
            let t = spawn(move || (0..100).for_each(|i| tx.send(i).unwrap()));
            for i in 0..100 {
                assert_eq!(rx.recv(), Ok(i), "cap {cap}: FIFO");
            }
            t.join().unwrap();
            assert_eq!(rx.recv(), Err(RecvError));
            assert_eq!(rx.capacity(), Some(cap));
        }
    });
}

/// Closing unblocks every blocked receiver.
#[test]
fn close_unblocks_receivers() {
    deadline(30, || {
        for cap in [0, 1, 5] {
            let (tx, rx) = bounded::<u8>(cap);
            let ts: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    spawn(move || rx.recv())
                })
                .collect();
            sleep_ms(5);
            drop(tx);
            for t in ts {
                assert_eq!(t.join().unwrap(), Err(RecvError));
            }
        }
    });
}

/// Once every receiver is gone, a blocked send fails and hands its value back; so do
/// later sends; buffered messages are dropped.
#[test]
fn receivers_gone_fails_senders() {
    deadline(30, || {
        for cap in [0, 1, 3] {
            let (tx, rx) = bounded::<String>(cap);
            for i in 0..cap {
                tx.send(i.to_string()).unwrap();
            }
            let t = {
                let tx = tx.clone();
                spawn(move || tx.send("blocked".into()))
            };
            sleep_ms(5);
            drop(rx);
            assert_eq!(t.join().unwrap(), Err(SendError("blocked".to_string())));
            assert_eq!(tx.send("late".into()), Err(SendError("late".to_string())));
            assert_eq!(tx.try_send("x".into()), Err(TrySendError::Disconnected("x".to_string())));
            assert!(tx.is_disconnected());
            assert_eq!(tx.len(), 0, "buffered messages dropped");
        }
    });
}

/// A message payload that counts its drops.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Every message is dropped exactly once: delivered, buffered at disconnect, or handed back.
#[test]
fn messages_dropped_once() {
    deadline(30, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = bounded(4);
        for _ in 0..4 {
            tx.send(Counted(drops.clone())).unwrap();
        }
        drop(rx.recv().unwrap());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(rx);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        let e = tx.send(Counted(drops.clone())).unwrap_err();
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        drop(e);
        assert_eq!(drops.load(Ordering::SeqCst), 5);
        let (tx, rx) = bounded(3);
        tx.send(Counted(drops.clone())).unwrap();
        drop((tx, rx));
        assert_eq!(drops.load(Ordering::SeqCst), 6);
    });
}

/// Timeouts: a timed-out send keeps its value; an unbuffered timed-out send is not
/// delivered later; deadlines are honoured roughly.
#[test]
fn timeouts() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(0);
        let start = Instant::now();
        assert_eq!(rx.recv_timeout(Duration::from_millis(20)), Err(RecvTimeoutError::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(tx.send_timeout(9, Duration::from_millis(5)), Err(SendTimeoutError::Timeout(9)));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "timed-out send must not be delivered");
        let t = spawn(move || {
            sleep_ms(10);
            tx.send(1).unwrap();
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(1));
        t.join().unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Err(RecvTimeoutError::Disconnected));
        let (tx, rx) = bounded::<u32>(1);
        assert_eq!(tx.send_timeout(1, Duration::ZERO), Ok(()));
        assert_eq!(tx.send_deadline(2, Instant::now()), Err(SendTimeoutError::Timeout(2)));
        assert_eq!(rx.recv_deadline(Instant::now()), Ok(1));
    });
}

/// Unbuffered: a send completes only when a receiver takes the value (rendezvous).
#[test]
fn unbuffered_is_rendezvous() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(0);
        assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let t = spawn(move || {
            tx.send(5).unwrap();
            d.store(true, Ordering::SeqCst);
        });
        sleep_ms(10);
        assert!(!done.load(Ordering::SeqCst));
        assert_eq!(rx.len(), 0);
        assert_eq!(rx.try_recv(), Ok(5));
        t.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
    });
}

/// try_iter yields what is there; iter blocks and ends at close; `for v in rx`.
#[test]
fn iterators() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(8);
        (0..5).for_each(|i| tx.send(i).unwrap());
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert!(rx.is_empty());
        let t = spawn(move || (0..50).for_each(|i| tx.send(i).unwrap()));
        assert_eq!(rx.iter().sum::<u32>(), (0..50).sum());
        t.join().unwrap();
        let (tx, rx) = bounded::<u32>(1);
        drop(tx);
        assert_eq!((&rx).into_iter().count(), 0);
        assert_eq!(rx.into_iter().count(), 0);
    });
}

/// The 4×4 producer/consumer multiset for several capacities: every value arrives exactly
/// once (Go's TestChanSendRecv-style conservation).
#[test]
fn four_by_four_multiset() {
    deadline(60, || {
        const PER: usize = 20_000;
        for cap in [0, 1, 16, 1000] {
            let (tx, rx) = bounded::<usize>(cap);
            let producers: Vec<_> = (0..4)
                .map(|p| {
                    let tx = tx.clone();
                    spawn(move || (0..PER).for_each(|i| tx.send(p * PER + i).unwrap()))
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    spawn(move || rx.iter().collect::<Vec<_>>())
                })
                .collect();
            producers.into_iter().for_each(|p| p.join().unwrap());
            let mut seen = vec![0u8; 4 * PER];
            for c in consumers {
                for v in c.join().unwrap() {
                    seen[v] += 1;
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "cap {cap}: a value lost or duplicated");
        }
    });
}

/// Go's TestMultiConsumer: 23 workers relay 271,828 items from one buffered channel to
/// another; count and sum survive, and the result channel closes after the last worker.
#[test]
fn multi_consumer() {
    deadline(120, || {
        const NWORK: usize = 23;
        const NITER: usize = 271_828;
        const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
        let (qtx, qrx) = bounded::<usize>(NWORK * 3);
        let (rtx, rrx) = bounded::<usize>(NWORK * 3);
        let workers: Vec<_> = (0..NWORK)
            .map(|w| {
                let (qrx, rtx) = (qrx.clone(), rtx.clone());
                spawn(move || {
                    for v in qrx.iter() {
                        if PN[w % PN.len()] == v {
                            std::thread::yield_now(); // mess with the FIFO-ish order
                        }
                        rtx.send(v).unwrap();
                    }
                })
            })
            .collect();
        drop((qrx, rtx));
        let feeder = spawn(move || {
            let mut expect = 0;
            for i in 0..NITER {
                let v = PN[i % PN.len()];
                expect += v;
                qtx.send(v).unwrap();
            }
            expect
        });
        let (mut n, mut s) = (0, 0);
        for v in rrx.iter() {
            n += 1;
            s += v;
        }
        workers.into_iter().for_each(|w| w.join().unwrap());
        assert_eq!((n, s), (NITER, feeder.join().unwrap()));
    });
}

/// Go's TestNonblockRecvRace: a closed channel with a buffered value is always ready.
#[test]
fn nonblock_recv_race() {
    deadline(60, || {
        for _ in 0..2000 {
            let (tx, rx) = bounded::<u32>(1);
            tx.send(1).unwrap();
            let rx2 = rx.clone();
            let t = spawn(move || {
                gpm::select! {
                    recv(rx2) -> _ => true,
                    default => false,
                }
            });
            drop(tx);
            let _ = rx.recv();
            assert!(t.join().unwrap(), "chan is not ready");
        }
    });
}

/// The handles and sync types can be shared between threads (and goroutines).
#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<gpm::chan::Sender<String>>();
    send_sync::<gpm::chan::Receiver<String>>();
    send_sync::<gpm::sync::Mutex<String>>();
    send_sync::<gpm::sync::MutexGuard<'static, String>>();
    send_sync::<gpm::sync::RwLock<String>>();
    send_sync::<gpm::sync::Condvar>();
    send_sync::<gpm::sync::WaitGroup>();
    send_sync::<gpm::sync::Semaphore>();
}

/// Error types: Display, Debug without `T: Debug`, and `std::error::Error`.
#[test]
fn error_formatting() {
    struct Opaque;
    let e: Box<dyn std::error::Error> = Box::new(SendError(Opaque));
    assert_eq!(e.to_string(), "sending on a disconnected channel");
    assert_eq!(format!("{:?}", SendError(Opaque)), "SendError(..)");
    assert_eq!(format!("{:?}", TrySendError::Full(Opaque)), "Full(..)");
    assert_eq!(format!("{:?}", SendTimeoutError::Timeout(Opaque)), "Timeout(..)");
    assert_eq!(TryRecvError::Empty.to_string(), "receiving on an empty channel");
    assert_eq!(RecvTimeoutError::Timeout.to_string(), "timed out waiting on receive operation");
    assert_eq!(RecvError.to_string(), "receiving on an empty and disconnected channel");
    let _: &dyn std::error::Error = &TrySendError::Disconnected(Opaque);
    let _: &dyn std::error::Error = &SendTimeoutError::Disconnected(Opaque);
}
