//! `select!` on plain threads, in the spirit of Go's select tests in `chan_test.go`:
//! TestNonblockSelectRace(2), TestSelectFairness, TestSelfSelect, TestSelectStress,
//! TestTimerFairness, plus the macro's syntax and the rules of DESIGN.md (disconnected
//! arms are ready, the same channel twice, no self-pairing, timeouts).

mod chan_support;

use chan_support::{deadline, sleep_ms, spawn};
use gpm::chan::{Receiver, RecvError, SendError, Sender, bounded};
use gpm::select;
use std::time::{Duration, Instant};

/// Go's TestNonblockSelectRace: `default` is never taken while a channel is ready.
#[test]
fn nonblock_select_race() {
    deadline(60, || {
        for _ in 0..3000 {
            let (tx1, rx1) = bounded::<u32>(1);
            let (tx2, rx2) = bounded::<u32>(1);
            tx1.send(1).unwrap();
            let (r1, r2) = (rx1.clone(), rx2.clone());
            let t = spawn(move || {
                select! {
                    recv(r1) -> _ => true,
                    recv(r2) -> _ => true,
                    default => false,
                }
            });
            tx2.send(1).unwrap();
            select! {
                recv(rx1) -> _ => {},
                recv(rx2) -> _ => {},
            }
            assert!(t.join().unwrap(), "no chan is ready");
        }
    });
}

/// Go's TestNonblockSelectRace2: the same with a close making the second channel ready.
#[test]
fn nonblock_select_race_close() {
    deadline(60, || {
        for _ in 0..3000 {
            let (tx1, rx1) = bounded::<u32>(1);
            let (tx2, rx2) = bounded::<u32>(0);
            tx1.send(1).unwrap();
            let (r1, r2) = (rx1.clone(), rx2.clone());
            let t = spawn(move || {
                select! {
                    recv(r1) -> _ => true,
                    recv(r2) -> _ => true,
                    default => false,
                }
            });
            drop(tx2);
            select! {
                recv(rx1) -> _ => {},
                default => {},
            }
            assert!(t.join().unwrap(), "no chan is ready");
        }
    });
}

/// Go's TestSelectFairness: with two always-ready channels, each wins about half the time
/// (within 10 standard deviations).
#[test]
fn select_fairness() {
    deadline(60, || {
        const TRIALS: usize = 10_000;
        let (tx1, c1) = bounded::<u8>(TRIALS + 1);
        let (tx2, c2) = bounded::<u8>(TRIALS + 1);
        for _ in 0..=TRIALS {
            tx1.send(1).unwrap();
            tx2.send(2).unwrap();
        }
        let (_tx3, c3) = bounded::<u8>(0);
        let (_tx4, c4) = bounded::<u8>(0);
        let (out_tx, out) = bounded::<u8>(0);
        let (done_tx, done) = bounded::<u8>(0);
        let t = spawn(move || {
            loop {
                let b = select! {
                    recv(c3) -> b => b.unwrap(),
                    recv(c4) -> b => b.unwrap(),
                    recv(c1) -> b => b.unwrap(),
                    recv(c2) -> b => b.unwrap(),
                };
                select! {
                    send(out_tx, b) -> r => r.unwrap(),
                    recv(done) -> _ => return,
                }
            }
        });
        let (mut cnt1, mut cnt2) = (0, 0);
        for _ in 0..TRIALS {
            match out.recv().unwrap() {
                1 => cnt1 += 1,
                2 => cnt2 += 1,
                b => panic!("unexpected value {b} on channel"),
            }
        }
        let r = cnt1 as f64 / TRIALS as f64;
        let e = (r - 0.5).abs();
        // sigma = 0.5 / sqrt(TRIALS); 10 sigma:
        assert!(e <= 5.0 / (TRIALS as f64).sqrt(), "unfair select: {cnt1}, {cnt2}");
        drop(done_tx);
        t.join().unwrap();
    });
}

/// Go's TestSelfSelect: a select with a send and a receive on one channel never pairs with
/// itself, and two such selects do not deadlock.
#[test]
fn self_select() {
    deadline(60, || {
        for cap in [0, 10] {
            let (tx, rx) = bounded::<usize>(cap);
            let ts: Vec<_> = (0..2)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    spawn(move || {
                        for i in 0..1000 {
                            let v = if p == 0 || i % 2 == 0 {
                                select! {
                                    send(tx, p) -> r => { r.unwrap(); None },
                                    recv(rx) -> v => Some(v.unwrap()),
                                }
                            } else {
                                select! {
                                    recv(rx) -> v => Some(v.unwrap()),
                                    send(tx, p) -> r => { r.unwrap(); None },
                                }
                            };
                            if cap == 0 && v == Some(p) {
                                panic!("self receive");
                            }
                        }
                    })
                })
                .collect();
            ts.into_iter().for_each(|t| t.join().unwrap());
        }
    });
}

/// An unbuffered send and receive of the same channel in one select, alone, never pair.
#[test]
fn no_self_pairing() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(0);
        let start = Instant::now();
        let r = select! {
            send(tx, 1) -> _ => "sent",
            recv(rx) -> _ => "received",
            default(Duration::from_millis(30)) => "timeout",
        };
        assert_eq!(r, "timeout");
        assert!(start.elapsed() >= Duration::from_millis(30));
    });
}

/// A never-ready arm for the stress test (Go uses a nil channel): a receiver whose sender
/// stays alive and silent, or a sender whose receiver stays alive and idle.
fn never<T>() -> (Sender<T>, Receiver<T>) {
    bounded(0)
}

/// Go's TestSelectStress: on 4 channels of capacities 0, 0, 2, 3, one sender and one
/// receiver per channel, plus one select sending on all and one receiving from all.
#[test]
fn select_stress() {
    deadline(120, || {
        const N: usize = 10_000;
        let chans: Vec<_> = [0, 0, 2, 3].into_iter().map(bounded::<usize>).collect();
        let mut ts = Vec::new();
        for (tx, rx) in &chans {
            let tx = tx.clone();
            ts.push(spawn(move || (0..N).for_each(|_| tx.send(0).unwrap())));
            let rx = rx.clone();
            ts.push(spawn(move || {
                (0..N).for_each(|_| {
                    rx.recv().unwrap();
                })
            }));
        }
        let txs: Vec<_> = chans.iter().map(|c| c.0.clone()).collect();
        ts.push(spawn(move || {
            let (idle_tx, _idle_rx) = never::<usize>();
            let mut c = txs.clone();
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let k = select! {
                    send(c[3], 0) -> r => { r.unwrap(); 3 },
                    send(c[2], 0) -> r => { r.unwrap(); 2 },
                    send(c[0], 0) -> r => { r.unwrap(); 0 },
                    send(c[1], 0) -> r => { r.unwrap(); 1 },
                };
                n[k] += 1;
                if n[k] == N {
                    c[k] = idle_tx.clone();
                }
            }
        }));
        let rxs: Vec<_> = chans.iter().map(|c| c.1.clone()).collect();
        ts.push(spawn(move || {
            let (_idle_tx, idle_rx) = never::<usize>();
            let mut c = rxs.clone();
            let mut n = [0; 4];
            for _ in 0..4 * N {
                let k = select! {
                    recv(c[0]) -> v => { v.unwrap(); 0 },
                    recv(c[1]) -> v => { v.unwrap(); 1 },
                    recv(c[2]) -> v => { v.unwrap(); 2 },
                    recv(c[3]) -> v => { v.unwrap(); 3 },
                };
                n[k] += 1;
                if n[k] == N {
                    c[k] = idle_rx.clone();
                }
            }
        }));
        ts.into_iter().for_each(|t| t.join().unwrap());
    });
}

/// Go's TestTimerFairness: a timer arm wins although another arm is always ready. The
/// parties are started by `spawn` (plain threads, or goroutines of the caller's runtime),
/// which returns a join; the timer party sleeps with `gpm::sleep` (the runtime's timer for a
/// goroutine).
fn timer_fairness_body(spawn: fn(Party) -> Join) {
    let (done_tx, done) = bounded::<()>(0);
    let (c_tx, c) = bounded::<bool>(0);
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (c_tx, done) = (c_tx.clone(), done.clone());
            spawn(Box::new(move || {
                loop {
                    select! {
                        send(c_tx, true) -> _ => {},
                        recv(done) -> _ => return,
                    }
                }
            }))
        })
        .collect();
    let (timer_tx, timer) = bounded::<()>(1);
    let start = Instant::now();
    let timer_party = spawn(Box::new(move || {
        gpm::sleep(Duration::from_millis(20));
        timer_tx.send(()).unwrap();
    }));
    let mut got = 0u64;
    loop {
        select! {
            recv(c) -> _ => got += 1,
            recv(timer) -> _ => break,
        }
    }
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert!(got > 0, "the always-ready arm never won");
    drop(done_tx);
    timer_party();
    senders.into_iter().for_each(|join| join());
}

/// A party of a test, and the join of one.
type Party = Box<dyn FnOnce() + Send>;
type Join = Box<dyn FnOnce()>;

fn spawn_thread(f: Party) -> Join {
    let h = spawn(f);
    Box::new(move || h.join().unwrap())
}

fn spawn_goroutine(f: Party) -> Join {
    let h = gpm::go(f);
    Box::new(move || h.join().unwrap())
}

#[test]
fn timer_fairness() {
    deadline(30, || timer_fairness_body(spawn_thread));
}

/// TestTimerFairness with goroutines on 1 and on 2 Ps, and on a single-thread runtime (on
/// one P, the timer must fire against the runnext chain between the senders and the
/// selecting goroutine).
#[test]
fn timer_fairness_goroutines() {
    for procs in [0, 1, 2] {
        deadline(30, move || {
            let rt = if procs == 0 {
                gpm::Runtime::single_thread()
            } else {
                // SAFETY: the goroutines only send, receive and select.
                unsafe { gpm::Runtime::builder().procs(procs).build() }
            };
            rt.expect("runtime").block_on(|| timer_fairness_body(spawn_goroutine));
        });
    }
}

/// Disconnected arms are ready and yield their `Err` (a send arm gets its value back).
#[test]
fn disconnected_arms_are_ready() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(0);
        drop(tx);
        let r = select! { recv(rx) -> v => v };
        assert_eq!(r, Err(RecvError));
        let (tx, rx) = bounded::<String>(0);
        drop(rx);
        let r = select! { send(tx, "x".to_string()) -> r => r };
        assert_eq!(r, Err(SendError("x".to_string())));
        // Disconnection while blocked in the select.
        let (tx, rx) = bounded::<u32>(0);
        let (_tx2, rx2) = bounded::<u32>(0);
        let t = spawn(move || {
            sleep_ms(10);
            drop(tx);
        });
        let r = select! {
            recv(rx2) -> _ => "other",
            recv(rx) -> v => { assert_eq!(v, Err(RecvError)); "closed" },
        };
        assert_eq!(r, "closed");
        t.join().unwrap();
    });
}

/// The same channel in two arms; blocking selects woken by a sender or a receiver; a send
/// arm's value is handed to a blocked receiver.
#[test]
fn blocking_and_same_channel_twice() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(0);
        let t = spawn(move || {
            sleep_ms(5);
            tx.send(7).unwrap();
        });
        let got = select! {
            recv(rx) -> v => v.unwrap(),
            recv(rx) -> v => v.unwrap() + 100,
        };
        assert!(got == 7 || got == 107);
        t.join().unwrap();

        let (tx, rx) = bounded::<u32>(0);
        let t = spawn(move || rx.recv().unwrap());
        let (_keep, idle) = bounded::<u32>(0);
        select! {
            recv(idle) -> _ => panic!("idle"),
            send(tx, 42) -> r => r.unwrap(),
        }
        assert_eq!(t.join().unwrap(), 42);
    });
}

/// `never()` is never ready, whatever happens to other channels.
#[test]
fn never_is_never_ready() {
    deadline(10, || {
        let n = gpm::chan::never::<u32>();
        assert_eq!(n.try_recv(), Err(gpm::chan::TryRecvError::Empty));
        assert!(n.recv_timeout(Duration::from_millis(5)).is_err());
        let (tx, rx) = bounded::<u32>(1);
        tx.send(3).unwrap();
        drop(tx);
        for _ in 0..100 {
            let v = select! {
                recv(n) -> _ => panic!("never() was ready"),
                recv(rx) -> v => v.ok(),
            };
            if v.is_none() {
                break; // rx is drained and closed: its arm stays ready, never's does not
            }
        }
    });
}

/// `default(timeout)` waits about the timeout; `default` does not wait; block bodies with
/// and without commas; `select!` as an expression.
#[test]
fn syntax_and_timeouts() {
    deadline(30, || {
        let (tx, rx) = bounded::<u32>(1);
        let start = Instant::now();
        let v = select! {
            recv(rx) -> _ => 1,
            default(Duration::from_millis(25)) => 2,
        };
        assert_eq!(v, 2);
        assert!(start.elapsed() >= Duration::from_millis(25));
        let v = select! {
            recv(rx) -> _ => { 1 }
            default => { 3 }
        };
        assert_eq!(v, 3);
        tx.send(5).unwrap();
        let v = select! {
            recv(&rx) -> v => v.unwrap(),
            default => 0,
        };
        assert_eq!(v, 5);
        // Ready arm wins over an elapsed timeout; a timeout of zero polls.
        tx.send(6).unwrap();
        let v = select! {
            recv(rx) -> v => v.unwrap(),
            default(Duration::ZERO) => 0,
        };
        assert_eq!(v, 6);
        // A lone timeout.
        let start = Instant::now();
        select! { default(Duration::from_millis(5)) => {} }
        assert!(start.elapsed() >= Duration::from_millis(5));
        // A timeout racing a sender that arrives in time.
        let t = spawn(move || {
            sleep_ms(5);
            tx.send(9).unwrap();
        });
        let v = select! {
            recv(rx) -> v => v.unwrap(),
            default(Duration::from_secs(10)) => 0,
        };
        assert_eq!(v, 9);
        t.join().unwrap();
    });
}

/// Many selects blocked on shared channels, woken by plain sends: nothing lost.
#[test]
fn selects_conserve_messages() {
    deadline(60, || {
        const N: usize = 20_000;
        let (tx1, rx1) = bounded::<usize>(0);
        let (tx2, rx2) = bounded::<usize>(3);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (rx1, rx2) = (rx1.clone(), rx2.clone());
                spawn(move || {
                    let (mut sum, mut open) = (0usize, 2);
                    let (mut r1, mut r2) = (Some(rx1), Some(rx2));
                    let (_keep, idle) = bounded::<usize>(0);
                    while open > 0 {
                        select! {
                            recv(r1.as_ref().unwrap_or(&idle)) -> v => match v {
                                Ok(v) => sum += v,
                                Err(_) => { r1 = None; open -= 1; }
                            },
                            recv(r2.as_ref().unwrap_or(&idle)) -> v => match v {
                                Ok(v) => sum += v,
                                Err(_) => { r2 = None; open -= 1; }
                            },
                        }
                    }
                    sum
                })
            })
            .collect();
        drop((rx1, rx2));
        let p1 = spawn(move || (0..N).for_each(|i| tx1.send(i).unwrap()));
        let p2 = spawn(move || (0..N).for_each(|i| tx2.send(i).unwrap()));
        p1.join().unwrap();
        p2.join().unwrap();
        let total: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, 2 * (0..N).sum::<usize>());
    });
}

/// Go's TestSelectDuplicateChannel: a select queued twice on one channel, woken through a
/// third channel, must unqueue both entries, so a later receiver on that channel is the
/// one a send wakes.
#[test]
fn select_duplicate_channel() {
    deadline(30, || {
        let (c_tx, c_rx) = bounded::<u32>(0);
        let (d_tx, d_rx) = bounded::<u32>(0);
        let (e_tx, e_rx) = bounded::<u32>(0);
        let a = {
            let c_rx = c_rx.clone();
            spawn(move || {
                select! {
                    recv(c_rx) -> _ => {},
                    recv(c_rx) -> _ => {},
                    recv(d_rx) -> _ => {},
                }
                e_tx.send(9).unwrap();
            })
        };
        sleep_ms(5); // A is queued on c first
        let b = spawn(move || c_rx.recv().unwrap());
        sleep_ms(5); // then B
        d_tx.send(7).unwrap(); // wakes A, which unqueues itself from c
        assert_eq!(e_rx.recv(), Ok(9));
        c_tx.send(8).unwrap(); // must reach B
        assert_eq!(b.join().unwrap(), 8);
        a.join().unwrap();
    });
}

/// Go's TestPseudoRandomSend: two ready send arms on one channel are picked about evenly.
#[test]
fn pseudo_random_send() {
    deadline(30, || {
        const N: usize = 100;
        for cap in [0, N] {
            let (tx, rx) = bounded::<usize>(cap);
            let t = spawn(move || {
                (0..N)
                    .map(|_| {
                        std::thread::yield_now();
                        rx.recv().unwrap()
                    })
                    .collect::<Vec<_>>()
            });
            for _ in 0..N {
                select! {
                    send(tx, 1) -> r => r.unwrap(),
                    send(tx, 0) -> r => r.unwrap(),
                }
            }
            let l = t.join().unwrap();
            let ones: usize = l.iter().sum();
            let zeros = N - ones;
            assert!(
                zeros > N / 10 && ones > N / 10,
                "want pseudorandom, got {zeros} zeros and {ones} ones (cap {cap})"
            );
        }
    });
}

/// A dynamic `Select`'s send on an unbuffered channel is paired with the receiver it saw
/// waiting; dropping the selected operation unsent releases that receiver, which then
/// takes the next message.
#[test]
fn select_send_dropped_unsent_releases_its_receiver() {
    deadline(60, || {
        let (tx, rx) = bounded::<u32>(0);
        let r = spawn(move || rx.recv());
        let mut sel = gpm::chan::Select::new();
        sel.send(&tx);
        let op = sel.select(); // waits for the receiver, and pairs with it
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(op)));
        assert!(dropped.is_err(), "dropping a selected operation unsent panics");
        tx.send(5).unwrap();
        assert_eq!(r.join().unwrap(), Ok(5));
    });
}
