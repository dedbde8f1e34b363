//! Channels, `select!` and `gpm::sync` between goroutines (and between goroutines and plain
//! threads) on real runtimes: Go's channel tests again, now with parking goroutines, plus
//! TestPingPongHog (hand-off into `runnext` inherits the time slice, so a hog pair cannot
//! starve a light pair on one P).

mod chan_support;

use chan_support::deadline;
use gpm::chan::{Receiver, Sender, bounded};
use gpm::select;
use gpm::sync::{Condvar, Mutex, WaitGroup};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Runs `f` as a goroutine on a fresh runtime with `procs` Ps; `procs = 0`: on a
/// single-thread runtime.
fn on<T: Send + 'static>(procs: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    if procs == 0 {
        return gpm::Runtime::single_thread().expect("runtime").block_on(f);
    }
    // SAFETY: these tests' goroutines only use channels, `select!` and gpm's sync types:
    // no thread-local, no thread-bound value across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }.expect("runtime");
    rt.block_on(f)
}

/// A plain thread and a goroutine talk over one pair of channels, both ways.
#[test]
fn thread_and_goroutine_share_a_channel() {
    deadline(60, || {
        // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        let (to_g, from_main) = bounded::<u64>(0);
        let (to_main, from_g) = bounded::<u64>(0);
        let h = rt.go(move || {
            let mut n = 0;
            for v in from_main.iter() {
                to_main.send(v * 2).unwrap();
                n += 1;
            }
            n
        });
        for i in 0..10_000 {
            to_g.send(i).unwrap(); // this thread blocks; the goroutine parks
            assert_eq!(from_g.recv().unwrap(), i * 2);
        }
        drop(to_g);
        assert_eq!(h.join().unwrap(), 10_000);
    });
}

/// Unbuffered ping-pong between two goroutines on one and on two Ps, and on a
/// single-thread runtime.
#[test]
fn goroutine_pingpong() {
    deadline(60, || {
        for procs in [0, 1, 2] {
            let got = on(procs, || {
                let (ping_tx, ping_rx) = bounded::<u64>(0);
                let (pong_tx, pong_rx) = bounded::<u64>(0);
                gpm::go(move || {
                    while let Ok(v) = ping_rx.recv() {
                        if pong_tx.send(v + 1).is_err() {
                            break;
                        }
                    }
                });
                let mut v = 0;
                for _ in 0..100_000 {
                    ping_tx.send(v).unwrap();
                    v = pong_rx.recv().unwrap();
                }
                v
            });
            assert_eq!(got, 100_000, "procs {procs}");
        }
    });
}

/// The 4×4 producer/consumer multiset on goroutines, for several capacities.
#[test]
fn goroutine_multiset() {
    deadline(60, || {
        on(2, || {
            const PER: usize = 25_000;
            for cap in [0, 1, 16, 1000] {
                let (tx, rx) = bounded::<usize>(cap);
                let producers: Vec<_> = (0..4)
                    .map(|p| {
                        let tx = tx.clone();
                        gpm::go(move || (0..PER).for_each(|i| tx.send(p * PER + i).unwrap()))
                    })
                    .collect();
                drop(tx);
                let consumers: Vec<_> = (0..4)
                    .map(|_| {
                        let rx = rx.clone();
                        gpm::go(move || rx.iter().collect::<Vec<_>>())
                    })
                    .collect();
                producers.into_iter().for_each(|p| p.join().unwrap());
                let mut seen = vec![0u8; 4 * PER];
                for c in consumers {
                    c.join().unwrap().into_iter().for_each(|v| seen[v] += 1);
                }
                assert!(seen.iter().all(|&n| n == 1), "cap {cap}: lost or duplicated");
            }
        });
    });
}

/// Go's TestMultiConsumer on goroutines (23 workers, 271,828 items).
#[test]
fn goroutine_multi_consumer() {
    deadline(60, || {
        on(2, || {
            const NWORK: usize = 23;
            const NITER: usize = 271_828;
            const PN: [usize; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
            let (qtx, qrx) = bounded::<usize>(NWORK * 3);
            let (rtx, rrx) = bounded::<usize>(NWORK * 3);
            let wg = WaitGroup::new();
            for w in 0..NWORK {
                wg.add(1);
                let (qrx, rtx, wg) = (qrx.clone(), rtx.clone(), wg.clone());
                gpm::go(move || {
                    for v in qrx.iter() {
                        if PN[w % PN.len()] == v {
                            gpm::yield_now();
                        }
                        rtx.send(v).unwrap();
                    }
                    wg.done();
                });
            }
            drop(qrx);
            let feeder = gpm::go(move || {
                let mut expect = 0;
                for i in 0..NITER {
                    let v = PN[i % PN.len()];
                    expect += v;
                    qtx.send(v).unwrap();
                }
                drop(qtx); // close(q): no more work
                wg.wait();
                drop(rtx); // no more results
                expect
            });
            let (mut n, mut s) = (0, 0);
            for v in rrx.iter() {
                n += 1;
                s += v;
            }
            assert_eq!((n, s), (NITER, feeder.join().unwrap()));
        });
    });
}

/// Go's TestSelectStress on goroutines.
#[test]
fn goroutine_select_stress() {
    deadline(60, || {
        on(2, || {
            const N: usize = 20_000;
            let chans: Vec<(Sender<usize>, Receiver<usize>)> =
                [0, 0, 2, 3].into_iter().map(bounded).collect();
            let wg = WaitGroup::new();
            for (tx, rx) in &chans {
                let (tx, rx) = (tx.clone(), rx.clone());
                wg.add(2);
                let w = wg.clone();
                gpm::go(move || {
                    (0..N).for_each(|_| tx.send(0).unwrap());
                    w.done();
                });
                let w = wg.clone();
                gpm::go(move || {
                    (0..N).for_each(|_| {
                        rx.recv().unwrap();
                    });
                    w.done();
                });
            }
            let mut c: Vec<_> = chans.iter().map(|c| c.0.clone()).collect();
            let w = wg.clone();
            wg.add(2);
            gpm::go(move || {
                // A never-ready arm (Go: a nil channel): both ends stay alive here.
                let (idle_tx, _idle_rx) = bounded::<usize>(0);
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
                w.done();
            });
            let mut c: Vec<_> = chans.iter().map(|c| c.1.clone()).collect();
            let w = wg.clone();
            gpm::go(move || {
                let (_idle_tx, idle_rx) = bounded::<usize>(0);
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
                w.done();
            });
            wg.wait();
        });
    });
}

/// Go's TestSelfSelect and TestNonblockSelectRace on goroutines (one P: the racing
/// goroutine runs only at scheduling points, two Ps: truly parallel).
#[test]
fn goroutine_self_select_and_nonblock_race() {
    deadline(60, || {
        for procs in [0, 1, 2] {
            on(procs, || {
                for cap in [0, 10] {
                    let (tx, rx) = bounded::<usize>(cap);
                    let hs: Vec<_> = (0..2)
                        .map(|p| {
                            let (tx, rx) = (tx.clone(), rx.clone());
                            gpm::go(move || {
                                for _ in 0..1000 {
                                    let v = select! {
                                        send(tx, p) -> _ => None,
                                        recv(rx) -> v => v.ok(),
                                    };
                                    assert!(!(cap == 0 && v == Some(p)), "self receive");
                                }
                            })
                        })
                        .collect();
                    hs.into_iter().for_each(|h| h.join().unwrap());
                }
                for _ in 0..2000 {
                    let (tx1, rx1) = bounded::<u32>(1);
                    let (tx2, rx2) = bounded::<u32>(1);
                    tx1.send(1).unwrap();
                    let (r1, r2) = (rx1.clone(), rx2.clone());
                    let h = gpm::go(move || {
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
                    assert!(h.join().unwrap(), "no chan is ready");
                }
            });
        }
    });
}

/// WaitGroup, Mutex and Condvar parking goroutines (more goroutines than threads).
#[test]
fn goroutine_sync() {
    deadline(60, || {
        on(2, || {
            let m = Arc::new(Mutex::new(0u64));
            let wg = WaitGroup::new();
            for _ in 0..100 {
                wg.add(1);
                let (m, wg) = (m.clone(), wg.clone());
                gpm::go(move || {
                    for _ in 0..1000 {
                        *m.lock() += 1;
                    }
                    wg.done();
                });
            }
            wg.wait();
            assert_eq!(*m.lock(), 100_000);
            let pair = Arc::new((Mutex::new(0usize), Condvar::new()));
            let hs: Vec<_> = (0..50)
                .map(|_| {
                    let pair = pair.clone();
                    gpm::go(move || {
                        let (m, cv) = &*pair;
                        let mut g = m.lock();
                        *g += 1;
                        cv.notify_all();
                        while *g < 50 {
                            g = cv.wait(g);
                        }
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        });
    });
}

/// Many goroutines blocked on one channel all wake when its only sender is dropped.
#[test]
fn close_wakes_many_goroutines() {
    deadline(60, || {
        on(2, || {
            let (tx, rx) = bounded::<()>(0);
            let hs: Vec<_> = (0..10_000)
                .map(|_| {
                    let rx = rx.clone();
                    gpm::go(move || rx.recv().is_err())
                })
                .collect();
            gpm::sleep(Duration::from_millis(10));
            drop(tx);
            assert!(hs.into_iter().all(|h| h.join().unwrap()));
        });
    });
}

/// Go's TestPingPongHog on one P: a pair of goroutines passing a token and doing a lot of
/// work per turn must not starve a pair doing little work: the woken buddy runs from
/// `runnext` with the *inherited* time slice, so the hog pair gives the P up when its
/// slice is over (checked at the channel ops' scheduling points).
#[test]
fn ping_pong_hog() {
    deadline(60, || {
        on(1, || {
            let (done_tx, done) = bounded::<()>(0);
            let (hog_tx, hog_rx) = bounded::<bool>(0);
            let (light_tx, light_rx) = bounded::<bool>(0);
            let hog_count = Arc::new(AtomicU64::new(0));
            let light_count = Arc::new(AtomicU64::new(0));
            let run =
                |limit: u64, counter: Arc<AtomicU64>, tx: Sender<bool>, rx: Receiver<bool>| {
                    let done = done.clone();
                    move || {
                        loop {
                            select! {
                                recv(done) -> _ => return,
                                recv(rx) -> _ => {
                                    for _ in 0..limit {
                                        counter.fetch_add(1, Ordering::Relaxed);
                                    }
                                    if tx.send(true).is_err() {
                                        return;
                                    }
                                },
                            }
                        }
                    }
                };
            let mut hs = Vec::new();
            for _ in 0..2 {
                hs.push(gpm::go(run(1_000_000, hog_count.clone(), hog_tx.clone(), hog_rx.clone())));
                hs.push(gpm::go(run(
                    1_000,
                    light_count.clone(),
                    light_tx.clone(),
                    light_rx.clone(),
                )));
            }
            hog_tx.send(true).unwrap();
            light_tx.send(true).unwrap();
            gpm::sleep(Duration::from_millis(100));
            drop(done_tx);
            let _ = hog_rx.recv();
            let _ = light_rx.recv();
            drop((hog_tx, light_tx, hog_rx, light_rx));
            hs.into_iter().for_each(|h| h.join().unwrap());
            let (hog, light) =
                (hog_count.load(Ordering::Relaxed), light_count.load(Ordering::Relaxed));
            const FACTOR: u64 = 20;
            assert!(
                hog / FACTOR <= light && light / FACTOR <= hog,
                "want hog/light within {FACTOR}x; got {hog}/{light}"
            );
        });
    });
}

/// Dropping a runtime cancels goroutines blocked in channel operations, `select!` and
/// `gpm::sync` by unwinding their stacks: every queue entry pointing into those stacks must
/// be gone, so the channels and locks stay usable (and sound) from plain threads after.
#[test]
fn cancelled_goroutines_leave_no_waiters_behind() {
    deadline(60, || {
        let (tx, rx) = bounded::<u64>(0);
        let (tx2, rx2) = bounded::<u64>(0);
        let m = Arc::new(Mutex::new(0u64));
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let wg = WaitGroup::new();
        wg.add(1);
        let guard = m.lock();
        {
            // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
            let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
            for _ in 0..8 {
                let rx1 = rx.clone();
                rt.go(move || rx1.recv());
                let tx2 = tx2.clone();
                rt.go(move || tx2.send(5));
                let (rx, rx2) = (rx.clone(), rx2.clone());
                rt.go(move || {
                    select! {
                        recv(rx) -> v => v.is_ok(),
                        recv(rx2) -> v => v.is_ok(),
                    }
                });
                let m = m.clone();
                rt.go(move || *m.lock() += 1);
                let pair = pair.clone();
                rt.go(move || {
                    let (mu, cv) = &*pair;
                    let mut g = mu.lock();
                    while !*g {
                        g = cv.wait(g);
                    }
                });
                let wg = wg.clone();
                rt.go(move || wg.wait());
            }
            std::thread::sleep(Duration::from_millis(50)); // let them all block
        } // runtime dropped: the blocked goroutines are cancelled
        drop(guard);
        // Everything still works from this thread, with nobody left waiting.
        assert!(tx.try_send(1).is_err(), "no receiver may be left queued");
        assert!(rx2.try_recv().is_err(), "no sender may be left queued");
        *m.lock() += 1;
        let (mu, cv) = &*pair;
        *mu.lock() = true;
        cv.notify_all();
        wg.done();
        wg.wait();
        let t = std::thread::spawn(move || rx.recv().unwrap());
        tx.send(42).unwrap();
        assert_eq!(t.join().unwrap(), 42);
    });
}
