//! crossbeam-channel's `tests/after.rs`, ported whole: 14 tests, 14 ported,
//! none kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts.
//!
//! crossbeam's own header follows.
//!
//! Tests for the after channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::{ms, race_ms};

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    thread,
    time::Instant,
};

use gpm::chan::{Select, TryRecvError, after};

both!(fire, |m| {
    let start = Instant::now();
    let r = after(ms(50));

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    m.sleep(ms(100));

    let fired = r.try_recv().unwrap();
    assert!(start < fired);
    assert!(fired - start >= ms(50));

    let now = Instant::now();
    assert!(fired < now);
    assert!(now - fired >= ms(50));

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

    gpm::select! {
        recv(r) -> _ => panic!(),
        default => {}
    }

    gpm::select! {
        recv(r) -> _ => panic!(),
        recv(after(ms(200))) -> _ => {}
    }
});

both!(capacity, |_m| {
    const COUNT: usize = 10;

    for i in 0..COUNT {
        let r = after(ms(i as u64));
        assert_eq!(r.capacity(), Some(1));
    }
});

both!(len_empty_full, |m| {
    let r = after(ms(50));

    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(!r.is_full());

    m.sleep(ms(100));

    assert_eq!(r.len(), 1);
    assert!(!r.is_empty());
    assert!(r.is_full());

    r.try_recv().unwrap();

    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(!r.is_full());
});

both!(try_recv, |m| {
    let r = after(ms(200));
    assert!(r.try_recv().is_err());

    m.sleep(ms(100));
    assert!(r.try_recv().is_err());

    m.sleep(ms(200));
    assert!(r.try_recv().is_ok());
    assert!(r.try_recv().is_err());

    m.sleep(ms(200));
    assert!(r.try_recv().is_err());
});

both!(recv, |_m| {
    let start = Instant::now();
    let r = after(ms(50));

    let fired = r.recv().unwrap();
    assert!(start < fired);
    assert!(fired - start >= ms(50));

    let now = Instant::now();
    assert!(fired < now);
    assert!(now - fired < fired - start);

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(recv_timeout, |_m| {
    let start = Instant::now();
    let r = after(ms(200));

    assert!(r.recv_timeout(ms(100)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(100));
    assert!(now - start <= ms(150));

    let fired = r.recv_timeout(ms(200)).unwrap();
    assert!(fired - start >= ms(200));
    assert!(fired - start <= ms(250));

    assert!(r.recv_timeout(ms(200)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(400));
    assert!(now - start <= ms(450));

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(recv_two, |m| {
    let r1 = after(ms(50));
    let r2 = after(ms(50));

    m.scope(|scope| {
        scope.spawn(|| {
            gpm::select! {
                recv(r1) -> _ => {}
                recv(r2) -> _ => {}
            }
        });
        scope.spawn(|| {
            gpm::select! {
                recv(r1) -> _ => {}
                recv(r2) -> _ => {}
            }
        });
    })
    .unwrap();
});

both!(recv_race, |_m| {
    gpm::select! {
        recv(after(race_ms(50))) -> _ => {}
        recv(after(race_ms(100))) -> _ => panic!(),
    }

    gpm::select! {
        recv(after(race_ms(100))) -> _ => panic!(),
        recv(after(race_ms(50))) -> _ => {}
    }
});

both!(stress_default, |_m| {
    const COUNT: usize = 10;

    for _ in 0..COUNT {
        gpm::select! {
            recv(after(race_ms(0))) -> _ => {}
            default => panic!(),
        }
    }

    for _ in 0..COUNT {
        gpm::select! {
            recv(after(race_ms(100))) -> _ => panic!(),
            default => {}
        }
    }
});

both!(select, |m| {
    const THREADS: usize = 4;
    const COUNT: usize = 1000;
    const TIMEOUT_MS: u64 = 100;

    let v = (0..COUNT).map(|i| after(ms(i as u64 / TIMEOUT_MS / 2))).collect::<Vec<_>>();
    let hits = AtomicUsize::new(0);

    m.scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let v: Vec<&_> = v.iter().collect();

                loop {
                    let timeout = after(ms(TIMEOUT_MS));
                    let mut sel = Select::new();
                    for r in &v {
                        sel.recv(r);
                    }
                    let oper_timeout = sel.recv(&timeout);

                    let oper = sel.select();
                    match oper.index() {
                        i if i == oper_timeout => {
                            oper.recv(&timeout).unwrap();
                            break;
                        }
                        i => {
                            oper.recv(v[i]).unwrap();
                            hits.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    })
    .unwrap();

    assert_eq!(hits.load(Ordering::SeqCst), COUNT);
});

both!(ready, |m| {
    const THREADS: usize = 4;
    const COUNT: usize = 1000;
    const TIMEOUT_MS: u64 = 100;

    let v = (0..COUNT).map(|i| after(ms(i as u64 / TIMEOUT_MS / 2))).collect::<Vec<_>>();
    let hits = AtomicUsize::new(0);

    m.scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let v: Vec<&_> = v.iter().collect();

                loop {
                    let timeout = after(ms(TIMEOUT_MS));
                    let mut sel = Select::new();
                    for r in &v {
                        sel.recv(r);
                    }
                    let oper_timeout = sel.recv(&timeout);

                    loop {
                        let i = sel.ready();
                        if i == oper_timeout {
                            timeout.try_recv().unwrap();
                            return;
                        } else if v[i].try_recv().is_ok() {
                            hits.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                    }
                }
            });
        }
    })
    .unwrap();

    assert_eq!(hits.load(Ordering::SeqCst), COUNT);
});

both!(stress_clone, |m| {
    const RUNS: usize = 1000;
    const THREADS: usize = 10;
    const COUNT: usize = 50;

    for i in 0..RUNS {
        let r = after(ms(i as u64));

        m.scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    let r = r.clone();
                    let _ = r.try_recv();

                    for _ in 0..COUNT {
                        drop(r.clone());
                        thread::yield_now();
                    }
                });
            }
        })
        .unwrap();
    }
});

both!(fairness, |_m| {
    const COUNT: usize = 1000;

    for &dur in &[0, 1] {
        let mut hits = [0usize; 2];

        for _ in 0..COUNT {
            gpm::select! {
                recv(after(ms(dur))) -> _ => hits[0] += 1,
                recv(after(ms(dur))) -> _ => hits[1] += 1,
            }
        }

        assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
    }
});

both!(fairness_duplicates, |_m| {
    const COUNT: usize = 1000;

    for &dur in &[0, 1] {
        let mut hits = [0usize; 5];

        for _ in 0..COUNT {
            let r = after(ms(dur));
            gpm::select! {
                recv(r) -> _ => hits[0] += 1,
                recv(r) -> _ => hits[1] += 1,
                recv(r) -> _ => hits[2] += 1,
                recv(r) -> _ => hits[3] += 1,
                recv(r) -> _ => hits[4] += 1,
            }
        }

        assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
    }
});
