//! crossbeam-channel's `tests/list.rs`, ported whole: 26 tests, 26 ported,
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
//! Tests for the list channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{
    any::Any,
    sync::atomic::{AtomicUsize, Ordering},
};

use gpm::chan::{
    Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
    unbounded,
};

both!(smoke, |_m| {
    let (s, r) = unbounded();
    s.try_send(7).unwrap();
    assert_eq!(r.try_recv(), Ok(7));

    s.send(8).unwrap();
    assert_eq!(r.recv(), Ok(8));

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(r.recv_timeout(ms(1000)), Err(RecvTimeoutError::Timeout));
});

both!(capacity, |_m| {
    let (s, r) = unbounded::<()>();
    assert_eq!(s.capacity(), None);
    assert_eq!(r.capacity(), None);
});

both!(len_empty_full, |_m| {
    let (s, r) = unbounded();

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

    r.recv().unwrap();

    assert_eq!(s.len(), 0);
    assert!(s.is_empty());
    assert!(!s.is_full());
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(!r.is_full());
});

both!(try_recv, |m| {
    let (s, r) = unbounded();

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
    let (s, r) = unbounded();

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
    let (s, r) = unbounded::<i32>();

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

both!(recv_timeout_nonempty_expired, |_m| {
    let (s, r) = unbounded::<i32>();
    s.send(5).unwrap();
    // A non-empty channel yields an already-available message even with a zero (elapsed) timeout.
    assert_eq!(r.recv_timeout(ms(0)), Ok(5));
    assert_eq!(r.recv_timeout(ms(0)), Err(RecvTimeoutError::Timeout));
});

both!(try_send, |_m| {
    const COUNT: usize = 50;

    let (s, r) = unbounded();
    for i in 0..COUNT {
        assert_eq!(s.try_send(i), Ok(()));
    }

    drop(r);
    assert_eq!(s.try_send(777), Err(TrySendError::Disconnected(777)));
});

both!(send, |_m| {
    const COUNT: usize = 50;

    let (s, r) = unbounded();
    for i in 0..COUNT {
        assert_eq!(s.send(i), Ok(()));
    }

    drop(r);
    assert_eq!(s.send(777), Err(SendError(777)));
});

both!(send_timeout, |_m| {
    const COUNT: usize = 50;

    let (s, r) = unbounded();
    for i in 0..COUNT {
        assert_eq!(s.send_timeout(i, ms(i as u64)), Ok(()));
    }

    drop(r);
    assert_eq!(s.send_timeout(777, ms(0)), Err(SendTimeoutError::Disconnected(777)));
});

both!(send_after_disconnect, |_m| {
    let (s, r) = unbounded();

    s.send(1).unwrap();
    s.send(2).unwrap();
    s.send(3).unwrap();

    drop(r);

    assert_eq!(s.send(4), Err(SendError(4)));
    assert_eq!(s.try_send(5), Err(TrySendError::Disconnected(5)));
    assert_eq!(s.send_timeout(6, ms(0)), Err(SendTimeoutError::Disconnected(6)));
});

both!(recv_after_disconnect, |_m| {
    let (s, r) = unbounded();

    s.send(1).unwrap();
    s.send(2).unwrap();
    s.send(3).unwrap();

    drop(s);

    assert_eq!(r.recv(), Ok(1));
    assert_eq!(r.recv(), Ok(2));
    assert_eq!(r.recv(), Ok(3));
    assert_eq!(r.recv(), Err(RecvError));
});

both!(len, |_m| {
    let (s, r) = unbounded();

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);

    for i in 0..50 {
        s.send(i).unwrap();
        assert_eq!(s.len(), i + 1);
    }

    for i in 0..50 {
        r.recv().unwrap();
        assert_eq!(r.len(), 50 - i - 1);
    }

    assert_eq!(s.len(), 0);
    assert_eq!(r.len(), 0);
});

both!(disconnect_wakes_receiver, |m| {
    let (s, r) = unbounded::<()>();

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

    let (s, r) = unbounded();

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
    const COUNT: usize = 100;
    const THREADS: usize = 4;

    let (s, r) = unbounded::<usize>();
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

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

    for c in v {
        assert_eq!(c.load(Ordering::SeqCst), THREADS);
    }
});

both!(stress_oneshot, |m| {
    const COUNT: usize = 100;

    for _ in 0..COUNT {
        let (s, r) = unbounded();

        m.scope(|scope| {
            scope.spawn(|| r.recv().unwrap());
            scope.spawn(|| s.send(0).unwrap());
        })
        .unwrap();
    }
});

both!(stress_iter, |m| {
    const COUNT: usize = 100;

    let (request_s, request_r) = unbounded();
    let (response_s, response_r) = unbounded();

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

    let (s, r) = unbounded();

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    m.sleep(ms(50));
                }
                s.send(i).unwrap();
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
            let additional = rng.usize(0..STEPS / 10);

            DROPS.store(0, Ordering::SeqCst);
            let (s, r) = unbounded::<DropCounter>();

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
                s.try_send(DropCounter).unwrap();
            }

            assert_eq!(DROPS.load(Ordering::SeqCst), steps);
            drop(s);
            drop(r);
            assert_eq!(DROPS.load(Ordering::SeqCst), steps + additional);
        }
    }
);

both!(linearizable, |m| {
    const COUNT: usize = 100;
    const THREADS: usize = 4;

    let (s, r) = unbounded();

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
    const COUNT: usize = 10_000;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }

    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        gpm::select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
        }
    }
    assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
});

both!(fairness_duplicates, |_m| {
    const COUNT: usize = 10_000;

    let (s, r) = unbounded();

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

both!(recv_in_send, |_m| {
    let (s, r) = unbounded();
    s.send(()).unwrap();

    gpm::select! {
        send(s, assert_eq!(r.recv(), Ok(()))) -> _ => {}
    }
});

both!(channel_through_channel, |m| {
    const COUNT: usize = 100;

    type T = Box<dyn Any + Send>;

    let (s, r) = unbounded::<T>();

    m.scope(|scope| {
        scope.spawn(move || {
            let mut s = s;

            for _ in 0..COUNT {
                let (new_s, new_r) = unbounded();
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

// If `Block` is created on the stack, the array of slots will multiply this `BigStruct` and
// probably overflow the thread stack. It's now directly created on the heap to avoid this.
//
// On goroutines the body runs with a 1 MiB stack: a goroutine's stack does not grow (256 KiB
// by default, where crossbeam's test thread has 2 MiB), and a 32 KiB message passed by value
// through `send`'s frames, several copies deep when they are not inlined, overflows it.
both!(stack_overflow, |m| {
    const N: usize = 32_768;
    struct BigStruct {
        _data: [u8; N],
    }

    let body = || {
        let (sender, receiver) = unbounded::<BigStruct>();
        sender.send(BigStruct { _data: [0u8; N] }).unwrap();

        for _data in receiver.try_iter() {}
    };
    match m {
        chan_support::both::Mode::Threads => body(),
        chan_support::both::Mode::Goroutines => {
            gpm::Builder::new().stack_size(1 << 20).go(body).unwrap().join().unwrap()
        }
    }
});
