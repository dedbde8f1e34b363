//! crossbeam-channel's `tests/array.rs`, ported whole: 27 tests, 26 ported,
//! 1 kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts.
//!
//! Kept out:
//! - `recv_in_send`: a send arm's message is evaluated before the select (Go's rule), so
//!   `send(s, panic!())` panics although `default` wins; its second half is list.rs's
//!   `recv_in_send`, ported.
//!
//! crossbeam's own header follows.
//!
//! Tests for the array channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{
    any::Any,
    rc::Rc,
    sync::atomic::{AtomicUsize, Ordering},
};

use gpm::chan::{
    Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
    bounded,
};

both!(smoke, |_m| {
    let (s, r) = bounded(1);
    s.send(7).unwrap();
    assert_eq!(r.try_recv(), Ok(7));

    s.send(8).unwrap();
    assert_eq!(r.recv(), Ok(8));

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(r.recv_timeout(ms(1000)), Err(RecvTimeoutError::Timeout));
});

both!(capacity, |_m| {
    for i in 1..10 {
        let (s, r) = bounded::<()>(i);
        assert_eq!(s.capacity(), Some(i));
        assert_eq!(r.capacity(), Some(i));
    }
});

both!(len_empty_full, |_m| {
    let (s, r) = bounded(2);

    assert_eq!(s.len(), 0);
    assert!(s.is_empty());
    assert!(!s.is_full());
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(!r.is_full());

    s.send(()).unwrap();

    assert_eq!(s.len(), 1);
    assert!(!s.is_empty());
    assert!(!s.is_full());
    assert_eq!(r.len(), 1);
    assert!(!r.is_empty());
    assert!(!r.is_full());

    s.send(()).unwrap();

    assert_eq!(s.len(), 2);
    assert!(!s.is_empty());
    assert!(s.is_full());
    assert_eq!(r.len(), 2);
    assert!(!r.is_empty());
    assert!(r.is_full());

    r.recv().unwrap();

    assert_eq!(s.len(), 1);
    assert!(!s.is_empty());
    assert!(!s.is_full());
    assert_eq!(r.len(), 1);
    assert!(!r.is_empty());
    assert!(!r.is_full());
});

both!(try_recv, |m| {
    let (s, r) = bounded(100);

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
    let (s, r) = bounded(100);

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
    let (s, r) = bounded::<i32>(100);

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
    let (s, r) = bounded(1);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.try_send(1), Ok(()));
            assert_eq!(s.try_send(2), Err(TrySendError::Full(2)));
            m.sleep(ms(1500));
            assert_eq!(s.try_send(3), Ok(()));
            m.sleep(ms(500));
            assert_eq!(s.try_send(4), Err(TrySendError::Disconnected(4)));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            assert_eq!(r.try_recv(), Ok(1));
            assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
            assert_eq!(r.recv(), Ok(3));
        });
    })
    .unwrap();
});

both!(send, |m| {
    let (s, r) = bounded(1);

    m.scope(|scope| {
        scope.spawn(|| {
            s.send(7).unwrap();
            m.sleep(ms(1000));
            s.send(8).unwrap();
            m.sleep(ms(1000));
            s.send(9).unwrap();
            m.sleep(ms(1000));
            s.send(10).unwrap();
        });
        scope.spawn(|| {
            m.sleep(ms(1500));
            assert_eq!(r.recv(), Ok(7));
            assert_eq!(r.recv(), Ok(8));
            assert_eq!(r.recv(), Ok(9));
        });
    })
    .unwrap();
});

both!(send_timeout, |m| {
    let (s, r) = bounded(2);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.send_timeout(1, ms(1000)), Ok(()));
            assert_eq!(s.send_timeout(2, ms(1000)), Ok(()));
            assert_eq!(s.send_timeout(3, ms(500)), Err(SendTimeoutError::Timeout(3)));
            m.sleep(ms(1000));
            assert_eq!(s.send_timeout(4, ms(1000)), Ok(()));
            m.sleep(ms(1000));
            assert_eq!(s.send(5), Err(SendError(5)));
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            assert_eq!(r.recv(), Ok(1));
            m.sleep(ms(1000));
            assert_eq!(r.recv(), Ok(2));
            assert_eq!(r.recv(), Ok(4));
        });
    })
    .unwrap();
});

both!(send_after_disconnect, |_m| {
    let (s, r) = bounded(100);

    s.send(1).unwrap();
    s.send(2).unwrap();
    s.send(3).unwrap();

    drop(r);

    assert_eq!(s.send(4), Err(SendError(4)));
    assert_eq!(s.try_send(5), Err(TrySendError::Disconnected(5)));
    assert_eq!(s.send_timeout(6, ms(500)), Err(SendTimeoutError::Disconnected(6)));
});

both!(recv_after_disconnect, |_m| {
    let (s, r) = bounded(100);

    s.send(1).unwrap();
    s.send(2).unwrap();
    s.send(3).unwrap();

    drop(s);

    assert_eq!(r.recv(), Ok(1));
    assert_eq!(r.recv(), Ok(2));
    assert_eq!(r.recv(), Ok(3));
    assert_eq!(r.recv(), Err(RecvError));
});

both!(len, |m| {
    const COUNT: usize = 50;
    const CAP: usize = 50;

    let (s, r) = bounded(CAP);

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);

    for _ in 0..CAP / 10 {
        for i in 0..50 {
            s.send(i).unwrap();
            assert_eq!(s.len(), i + 1);
        }

        for i in 0..50 {
            r.recv().unwrap();
            assert_eq!(r.len(), 50 - i - 1);
        }
    }

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);

    for i in 0..CAP {
        s.send(i).unwrap();
        assert_eq!(s.len(), i + 1);
    }

    for _ in 0..CAP {
        r.recv().unwrap();
    }

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                assert_eq!(r.recv(), Ok(i));
                let len = r.len();
                assert!(len <= CAP);
            }
        });

        scope.spawn(|| {
            for i in 0..COUNT {
                s.send(i).unwrap();
                let len = s.len();
                assert!(len <= CAP);
            }
        });
    })
    .unwrap();

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);
});

both!(disconnect_wakes_sender, |m| {
    let (s, r) = bounded(1);

    m.scope(|scope| {
        scope.spawn(move || {
            assert_eq!(s.send(()), Ok(()));
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
    let (s, r) = bounded::<()>(1);

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
    const COUNT: usize = 100;

    let (s, r) = bounded(3);

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

    let (s, r) = bounded::<usize>(3);
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
    const COUNT: usize = 100;

    for _ in 0..COUNT {
        let (s, r) = bounded(1);

        m.scope(|scope| {
            scope.spawn(|| r.recv().unwrap());
            scope.spawn(|| s.send(0).unwrap());
        })
        .unwrap();
    }
});

both!(stress_iter, |m| {
    const COUNT: usize = 100;

    let (request_s, request_r) = bounded(1);
    let (response_s, response_r) = bounded(1);

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
                request_s.send(()).unwrap();
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

    let (s, r) = bounded(2);

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
        const RUNS: usize = 10;
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
            let additional = rng.usize(0..50);

            DROPS.store(0, Ordering::SeqCst);
            let (s, r) = bounded::<DropCounter>(50);

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

            for _ in 0..additional {
                s.send(DropCounter).unwrap();
            }

            assert_eq!(DROPS.load(Ordering::SeqCst), steps);
            drop(s);
            drop(r);
            assert_eq!(DROPS.load(Ordering::SeqCst), steps + additional);
        }
    }
);

both!(linearizable, |m| {
    const COUNT: usize = 50;
    const THREADS: usize = 4;

    let (s, r) = bounded(THREADS);

    m.scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..COUNT {
                    s.send(0).unwrap();
                    r.try_recv().unwrap();
                }
            });
        }
    })
    .unwrap();
});

both!(fairness, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = bounded::<()>(COUNT);
    let (s2, r2) = bounded::<()>(COUNT);

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }

    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        gpm::select! {
            recv(r1) -> _  => hits[0] += 1,
            recv(r2) -> _  => hits[1] += 1,
        }
    }
    assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
});

both!(fairness_duplicates, |_m| {
    const COUNT: usize = 100;

    let (s, r) = bounded::<()>(COUNT);

    for _ in 0..COUNT {
        s.send(()).unwrap();
    }

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

// `recv_in_send`: kept out (see the header).

both!(channel_through_channel, |m| {
    const COUNT: usize = 100;

    type T = Box<dyn Any + Send>;

    let (s, r) = bounded::<T>(1);

    m.scope(|scope| {
        scope.spawn(move || {
            let mut s = s;

            for _ in 0..COUNT {
                let (new_s, new_r) = bounded(1);
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

both!(panic_on_drop, |_m| {
    struct Msg1<'a>(&'a mut bool);
    impl Drop for Msg1<'_> {
        fn drop(&mut self) {
            if *self.0 && !std::thread::panicking() {
                panic!("double drop");
            } else {
                *self.0 = true;
            }
        }
    }

    struct Msg2<'a>(&'a mut bool);
    impl Drop for Msg2<'_> {
        fn drop(&mut self) {
            if *self.0 {
                panic!("double drop");
            } else {
                *self.0 = true;
                panic!("first drop");
            }
        }
    }

    // normal
    let (s, r) = bounded(2);
    let (mut a, mut b) = (false, false);
    s.send(Msg1(&mut a)).unwrap();
    s.send(Msg1(&mut b)).unwrap();
    drop(s);
    drop(r);
    assert!(a);
    assert!(b);

    if option_env!("MIRI_LEAK_CHECK").is_some() || option_env!("ASAN_OPTIONS").is_some() {
        return;
    }

    // panic on drop
    let (s, r) = bounded(2);
    let (mut a, mut b) = (false, false);
    s.send(Msg2(&mut a)).unwrap();
    s.send(Msg2(&mut b)).unwrap();
    drop(s);
    let res = std::panic::catch_unwind(move || {
        drop(r);
    });
    assert_eq!(*res.unwrap_err().downcast_ref::<&str>().unwrap(), "first drop");
    assert!(a);
    // Elements after the panicked element will leak.
    assert!(!b);
});

both!(drop_unreceived, |_m| {
    let (tx, rx) = bounded::<Rc<()>>(1);
    let msg = Rc::new(());
    let weak = Rc::downgrade(&msg);
    assert!(tx.send(msg).is_ok());
    drop(rx);
    // Messages should be dropped immediately when the last receiver is destroyed.
    assert!(weak.upgrade().is_none());
    drop(tx);
});
