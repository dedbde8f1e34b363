//! crossbeam-channel's `tests/zero.rs`, ported whole: 22 tests, 22 ported,
//! none kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts,
//! except in the `*fairness*` tests, which take its full counts: with Miri's, a
//! statistical bound such as "each of 5 arms wins 10 of 100" fails about 1 run in 100.
//!
//! crossbeam's own header follows.
//!
//! Tests for the zero channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{
    any::Any,
    sync::atomic::{AtomicUsize, Ordering},
};

use gpm::chan::{
    Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
    bounded,
};

both!(smoke, |_m| {
    let (s, r) = bounded(0);
    assert_eq!(s.try_send(7), Err(TrySendError::Full(7)));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(capacity, |_m| {
    let (s, r) = bounded::<()>(0);
    assert_eq!(s.capacity(), Some(0));
    assert_eq!(r.capacity(), Some(0));
});

both!(len_empty_full, |m| {
    let (s, r) = bounded(0);

    assert_eq!(s.len(), 0);
    assert!(s.is_empty());
    assert!(s.is_full());
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(r.is_full());

    m.scope(|scope| {
        scope.spawn(|| s.send(0).unwrap());
        scope.spawn(|| r.recv().unwrap());
    })
    .unwrap();

    assert_eq!(s.len(), 0);
    assert!(s.is_empty());
    assert!(s.is_full());
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(r.is_full());
});

both!(try_recv, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
            m.sleep(ms(1500));
            assert_eq!(r.try_recv(), Ok(7));
            m.sleep(ms(500));
            assert_eq!(r.try_recv(), Err(TryRecvError::Disconnected));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            s.send(7).unwrap();
        });
    })
    .unwrap();
});

both!(recv, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(r.recv(), Ok(7));
            m.sleep(ms(1000));
            assert_eq!(r.recv(), Ok(8));
            m.sleep(ms(1000));
            assert_eq!(r.recv(), Ok(9));
            assert_eq!(r.recv(), Err(RecvError));
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            s.send(7).unwrap();
            s.send(8).unwrap();
            s.send(9).unwrap();
        });
    })
    .unwrap();
});

both!(recv_timeout, |m| {
    let (s, r) = bounded::<i32>(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(r.recv_timeout(ms(1000)), Err(RecvTimeoutError::Timeout));
            assert_eq!(r.recv_timeout(ms(1000)), Ok(7));
            assert_eq!(r.recv_timeout(ms(1000)), Err(RecvTimeoutError::Disconnected));
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            s.send(7).unwrap();
        });
    })
    .unwrap();
});

both!(try_send, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.try_send(7), Err(TrySendError::Full(7)));
            m.sleep(ms(1500));
            assert_eq!(s.try_send(8), Ok(()));
            m.sleep(ms(500));
            assert_eq!(s.try_send(9), Err(TrySendError::Disconnected(9)));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            assert_eq!(r.recv(), Ok(8));
        });
    })
    .unwrap();
});

both!(send, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            s.send(7).unwrap();
            m.sleep(ms(1000));
            s.send(8).unwrap();
            m.sleep(ms(1000));
            s.send(9).unwrap();
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            assert_eq!(r.recv(), Ok(7));
            assert_eq!(r.recv(), Ok(8));
            assert_eq!(r.recv(), Ok(9));
        });
    })
    .unwrap();
});

both!(send_timeout, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.send_timeout(7, ms(1000)), Err(SendTimeoutError::Timeout(7)));
            assert_eq!(s.send_timeout(8, ms(1000)), Ok(()));
            assert_eq!(s.send_timeout(9, ms(1000)), Err(SendTimeoutError::Disconnected(9)));
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            assert_eq!(r.recv(), Ok(8));
        });
    })
    .unwrap();
});

both!(len, |m| {
    const COUNT: usize = 50;

    let (s, r) = bounded(0);

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                assert_eq!(r.recv(), Ok(i));
                assert_eq!(r.len(), 0);
            }
        });

        scope.spawn(|| {
            for i in 0..COUNT {
                s.send(i).unwrap();
                assert_eq!(s.len(), 0);
            }
        });
    })
    .unwrap();

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);
});

both!(disconnect_wakes_sender, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.send(()), Err(SendError(())));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            drop(r);
        });
    })
    .unwrap();
});

both!(disconnect_wakes_receiver, |m| {
    let (s, r) = bounded::<()>(0);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(r.recv(), Err(RecvError));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            drop(s);
        });
    })
    .unwrap();
});

both!(spsc, |m| {
    const COUNT: usize = 50;

    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            for i in 0..COUNT {
                assert_eq!(r.recv(), Ok(i));
            }
            assert_eq!(r.recv(), Err(RecvError));
        });
        scope.spawn(move || {
            for i in 0..COUNT {
                s.send(i).unwrap();
            }
        });
    })
    .unwrap();
});

both!(mpmc, |m| {
    const COUNT: usize = 50;
    const THREADS: usize = 4;

    let (s, r) = bounded::<usize>(0);
    let v = (0..COUNT).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>();

    m.scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..COUNT {
                    let n = r.recv().unwrap();
                    v[n].fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        for _ in 0..THREADS {
            scope.spawn(|| {
                for i in 0..COUNT {
                    s.send(i).unwrap();
                }
            });
        }
    })
    .unwrap();

    for c in v {
        assert_eq!(c.load(Ordering::SeqCst), THREADS);
    }
});

both!(stress_oneshot, |m| {
    const COUNT: usize = 50;

    for _ in 0..COUNT {
        let (s, r) = bounded(0);

        m.scope(|scope| {
            scope.spawn(|| r.recv().unwrap());
            scope.spawn(|| s.send(0).unwrap());
        })
        .unwrap();
    }
});

both!(stress_iter, |m| {
    const COUNT: usize = 50;

    let (request_s, request_r) = bounded(0);
    let (response_s, response_r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            let mut count = 0;
            loop {
                for x in response_r.try_iter() {
                    count += x;
                    if count == COUNT {
                        return;
                    }
                }
                let _ = request_s.try_send(());
            }
        });

        for _ in request_r.iter() {
            if response_s.send(1).is_err() {
                break;
            }
        }
    })
    .unwrap();
});

both!(stress_timeout_two_threads, |m| {
    const COUNT: usize = 100;

    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    m.sleep(ms(50));
                }
                loop {
                    if let Ok(()) = s.send_timeout(i, ms(10)) {
                        break;
                    }
                }
            }
        });

        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    m.sleep(ms(50));
                }
                loop {
                    if let Ok(x) = r.recv_timeout(ms(10)) {
                        assert_eq!(x, i);
                        break;
                    }
                }
            }
        });
    })
    .unwrap();
});

both!(
    #[serial]
    drops,
    |m| {
        const RUNS: usize = 20;
        const STEPS: usize = 100;

        static DROPS: AtomicUsize = AtomicUsize::new(0);

        #[derive(Debug, PartialEq)]
        struct DropCounter;

        impl Drop for DropCounter {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::SeqCst);
            }
        }

        let mut rng = fastrand::Rng::new();

        for _ in 0..RUNS {
            let steps = rng.usize(0..STEPS);

            DROPS.store(0, Ordering::SeqCst);
            let (s, r) = bounded::<DropCounter>(0);

            m.scope(|scope| {
                scope.spawn(|| {
                    for _ in 0..steps {
                        r.recv().unwrap();
                    }
                });

                scope.spawn(|| {
                    for _ in 0..steps {
                        s.send(DropCounter).unwrap();
                    }
                });
            })
            .unwrap();

            assert_eq!(DROPS.load(Ordering::SeqCst), steps);
            drop(s);
            drop(r);
            assert_eq!(DROPS.load(Ordering::SeqCst), steps);
        }
    }
);

both!(fairness, |m| {
    const COUNT: usize = 10_000;

    let (s1, r1) = bounded::<()>(0);
    let (s2, r2) = bounded::<()>(0);

    m.scope(|scope| {
        scope.spawn(|| {
            let mut hits = [0usize; 2];
            for _ in 0..COUNT {
                gpm::select! {
                    recv(r1) -> _ => hits[0] += 1,
                    recv(r2) -> _ => hits[1] += 1,
                }
            }
            assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
        });

        let mut hits = [0usize; 2];
        for _ in 0..COUNT {
            gpm::select! {
                send(s1, ()) -> _ => hits[0] += 1,
                send(s2, ()) -> _ => hits[1] += 1,
            }
        }
        assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
    })
    .unwrap();
});

both!(fairness_duplicates, |m| {
    const COUNT: usize = 10_000;

    let (s, r) = bounded::<()>(0);

    m.scope(|scope| {
        scope.spawn(|| {
            let mut hits = [0usize; 5];
            for _ in 0..COUNT {
                gpm::select! {
                    recv(r) -> _ => hits[0] += 1,
                    recv(r) -> _ => hits[1] += 1,
                    recv(r) -> _ => hits[2] += 1,
                    recv(r) -> _ => hits[3] += 1,
                    recv(r) -> _ => hits[4] += 1,
                }
            }
            assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
        });

        let mut hits = [0usize; 5];
        for _ in 0..COUNT {
            gpm::select! {
                send(s, ()) -> _ => hits[0] += 1,
                send(s, ()) -> _ => hits[1] += 1,
                send(s, ()) -> _ => hits[2] += 1,
                send(s, ()) -> _ => hits[3] += 1,
                send(s, ()) -> _ => hits[4] += 1,
            }
        }
        assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
    })
    .unwrap();
});

both!(recv_in_send, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(100));
            r.recv()
        });

        scope.spawn(|| {
            m.sleep(ms(500));
            s.send(()).unwrap();
        });

        gpm::select! {
            send(s, r.recv().unwrap()) -> _ => {}
        }
    })
    .unwrap();
});

both!(channel_through_channel, |m| {
    const COUNT: usize = 50;

    type T = Box<dyn Any + Send>;

    let (s, r) = bounded::<T>(0);

    m.scope(|scope| {
        scope.spawn(move || {
            let mut s = s;

            for _ in 0..COUNT {
                let (new_s, new_r) = bounded(0);
                let new_r: T = Box::new(Some(new_r));

                s.send(new_r).unwrap();
                s = new_s;
            }
        });

        scope.spawn(move || {
            let mut r = r;

            for _ in 0..COUNT {
                r = r.recv().unwrap().downcast_mut::<Option<Receiver<T>>>().unwrap().take().unwrap()
            }
        });
    })
    .unwrap();
});
