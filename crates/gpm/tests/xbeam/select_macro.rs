//! crossbeam-channel's `tests/select_macro.rs`, ported whole: 59 tests, 59 ported,
//! none kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts.
//! `#![forbid(unsafe_code)]` is dropped: the shared support builds runtimes with `unsafe`.
//!
//! crossbeam's own header follows.
//!
//! Tests for the `gpm::select!` macro.
#![allow(clippy::match_single_binding)]

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{any::Any, cell::Cell, ops::Deref, time::Instant};

use gpm::chan::{
    Receiver, RecvError, SendError, Sender, TryRecvError, after, bounded, never, tick, unbounded,
};

both!(smoke1, |_m| {
    let (s1, r1) = unbounded::<usize>();
    let (s2, r2) = unbounded::<usize>();

    s1.send(1).unwrap();

    gpm::select! {
        recv(r1) -> v => assert_eq!(v, Ok(1)),
        recv(r2) -> _ => panic!(),
    }

    s2.send(2).unwrap();

    gpm::select! {
        recv(r1) -> _ => panic!(),
        recv(r2) -> v => assert_eq!(v, Ok(2)),
    }
});

both!(smoke2, |_m| {
    let (_s1, r1) = unbounded::<i32>();
    let (_s2, r2) = unbounded::<i32>();
    let (_s3, r3) = unbounded::<i32>();
    let (_s4, r4) = unbounded::<i32>();
    let (s5, r5) = unbounded::<i32>();

    s5.send(5).unwrap();

    gpm::select! {
        recv(r1) -> _ => panic!(),
        recv(r2) -> _ => panic!(),
        recv(r3) -> _ => panic!(),
        recv(r4) -> _ => panic!(),
        recv(r5) -> v => assert_eq!(v, Ok(5)),
    }
});

both!(disconnected, |m| {
    let (s1, r1) = unbounded::<i32>();
    let (s2, r2) = unbounded::<i32>();

    m.scope(|scope| {
        scope.spawn(|| {
            drop(s1);
            m.sleep(ms(500));
            s2.send(5).unwrap();
        });

        gpm::select! {
            recv(r1) -> v => assert!(v.is_err()),
            recv(r2) -> _ => panic!(),
            default(ms(1000)) => panic!(),
        }

        r2.recv().unwrap();
    })
    .unwrap();

    gpm::select! {
        recv(r1) -> v => assert!(v.is_err()),
        recv(r2) -> _ => panic!(),
        default(ms(1000)) => panic!(),
    }

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(500));
            drop(s2);
        });

        gpm::select! {
            recv(r2) -> v => assert!(v.is_err()),
            default(ms(1000)) => panic!(),
        }
    })
    .unwrap();
});

both!(default, |_m| {
    let (s1, r1) = unbounded::<i32>();
    let (s2, r2) = unbounded::<i32>();

    gpm::select! {
        recv(r1) -> _ => panic!(),
        recv(r2) -> _ => panic!(),
        default => {}
    }

    drop(s1);

    gpm::select! {
        recv(r1) -> v => assert!(v.is_err()),
        recv(r2) -> _ => panic!(),
        default => panic!(),
    }

    s2.send(2).unwrap();

    gpm::select! {
        recv(r2) -> v => assert_eq!(v, Ok(2)),
        default => panic!(),
    }

    gpm::select! {
        recv(r2) -> _ => panic!(),
        default => {},
    }

    gpm::select! {
        default => {},
    }
});

both!(timeout, |m| {
    let (_s1, r1) = unbounded::<i32>();
    let (s2, r2) = unbounded::<i32>();

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(1500));
            s2.send(2).unwrap();
        });

        gpm::select! {
            recv(r1) -> _ => panic!(),
            recv(r2) -> _ => panic!(),
            default(ms(1000)) => {},
        }

        gpm::select! {
            recv(r1) -> _ => panic!(),
            recv(r2) -> v => assert_eq!(v, Ok(2)),
            default(ms(1000)) => panic!(),
        }
    })
    .unwrap();

    m.scope(|scope| {
        let (s, r) = unbounded::<i32>();

        scope.spawn(move || {
            m.sleep(ms(500));
            drop(s);
        });

        gpm::select! {
            default(ms(1000)) => {
                gpm::select! {
                    recv(r) -> v => assert!(v.is_err()),
                    default => panic!(),
                }
            }
        }
    })
    .unwrap();
});

both!(default_when_disconnected, |_m| {
    let (_, r) = unbounded::<i32>();

    gpm::select! {
        recv(r) -> res => assert!(res.is_err()),
        default => panic!(),
    }

    let (_, r) = unbounded::<i32>();

    gpm::select! {
        recv(r) -> res => assert!(res.is_err()),
        default(ms(1000)) => panic!(),
    }

    let (s, _) = bounded::<i32>(0);

    gpm::select! {
        send(s, 0) -> res => assert!(res.is_err()),
        default => panic!(),
    }

    let (s, _) = bounded::<i32>(0);

    gpm::select! {
        send(s, 0) -> res => assert!(res.is_err()),
        default(ms(1000)) => panic!(),
    }
});

both!(default_only, |_m| {
    let start = Instant::now();
    gpm::select! {
        default => {}
    }
    let now = Instant::now();
    assert!(now - start <= ms(50));

    let start = Instant::now();
    gpm::select! {
        default(ms(500)) => {}
    }
    let now = Instant::now();
    assert!(now - start >= ms(450));
    assert!(now - start <= ms(550));
});

both!(unblocks, |m| {
    let (s1, r1) = bounded::<i32>(0);
    let (s2, r2) = bounded::<i32>(0);

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(500));
            s2.send(2).unwrap();
        });

        gpm::select! {
            recv(r1) -> _ => panic!(),
            recv(r2) -> v => assert_eq!(v, Ok(2)),
            default(ms(1000)) => panic!(),
        }
    })
    .unwrap();

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(500));
            assert_eq!(r1.recv().unwrap(), 1);
        });

        gpm::select! {
            send(s1, 1) -> _ => {},
            send(s2, 2) -> _ => panic!(),
            default(ms(1000)) => panic!(),
        }
    })
    .unwrap();
});

both!(both_ready, |m| {
    let (s1, r1) = bounded(0);
    let (s2, r2) = bounded(0);

    m.scope(|scope| {
        scope.spawn(|| {
            m.sleep(ms(500));
            s1.send(1).unwrap();
            assert_eq!(r2.recv().unwrap(), 2);
        });

        for _ in 0..2 {
            gpm::select! {
                recv(r1) -> v => assert_eq!(v, Ok(1)),
                send(s2, 2) -> _ => {},
            }
        }
    })
    .unwrap();
});

both!(loop_try, |m| {
    const RUNS: usize = 20;

    for _ in 0..RUNS {
        let (s1, r1) = bounded::<i32>(0);
        let (s2, r2) = bounded::<i32>(0);
        let (s_end, r_end) = bounded::<()>(0);

        m.scope(|scope| {
            scope.spawn(|| {
                loop {
                    gpm::select! {
                        send(s1, 1) -> _ => break,
                        default => {}
                    }

                    gpm::select! {
                        recv(r_end) -> _ => break,
                        default => {}
                    }
                }
            });

            scope.spawn(|| {
                loop {
                    if let Ok(x) = r2.try_recv() {
                        assert_eq!(x, 2);
                        break;
                    }

                    gpm::select! {
                        recv(r_end) -> _ => break,
                        default => {}
                    }
                }
            });

            scope.spawn(|| {
                m.sleep(ms(500));

                gpm::select! {
                    recv(r1) -> v => assert_eq!(v, Ok(1)),
                    send(s2, 2) -> _ => {},
                    default(ms(500)) => panic!(),
                }

                drop(s_end);
            });
        })
        .unwrap();
    }
});

both!(cloning1, |m| {
    m.scope(|scope| {
        let (s1, r1) = unbounded::<i32>();
        let (_s2, r2) = unbounded::<i32>();
        let (s3, r3) = unbounded::<()>();

        scope.spawn(move || {
            r3.recv().unwrap();
            drop(s1.clone());
            assert_eq!(r3.try_recv(), Err(TryRecvError::Empty));
            s1.send(1).unwrap();
            r3.recv().unwrap();
        });

        s3.send(()).unwrap();

        gpm::select! {
            recv(r1) -> _ => {},
            recv(r2) -> _ => {},
        }

        s3.send(()).unwrap();
    })
    .unwrap();
});

both!(cloning2, |m| {
    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let (_s3, _r3) = unbounded::<()>();

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                recv(r1) -> _ => panic!(),
                recv(r2) -> _ => {},
            }
        });

        m.sleep(ms(500));
        drop(s1.clone());
        s2.send(()).unwrap();
    })
    .unwrap();
});

both!(preflight1, |_m| {
    let (s, r) = unbounded();
    s.send(()).unwrap();

    gpm::select! {
        recv(r) -> _ => {}
    }
});

both!(preflight2, |_m| {
    let (s, r) = unbounded();
    drop(s.clone());
    s.send(()).unwrap();
    drop(s);

    gpm::select! {
        recv(r) -> v => assert!(v.is_ok()),
    }
    assert_eq!(r.try_recv(), Err(TryRecvError::Disconnected));
});

both!(preflight3, |_m| {
    let (s, r) = unbounded();
    drop(s.clone());
    s.send(()).unwrap();
    drop(s);
    r.recv().unwrap();

    gpm::select! {
        recv(r) -> v => assert!(v.is_err())
    }
});

both!(duplicate_operations, |_m| {
    let (s, r) = unbounded::<i32>();
    let mut hit = [false; 4];

    while hit.iter().any(|hit| !hit) {
        gpm::select! {
            recv(r) -> _ => hit[0] = true,
            recv(r) -> _ => hit[1] = true,
            send(s, 0) -> _ => hit[2] = true,
            send(s, 0) -> _ => hit[3] = true,
        }
    }
});

both!(nesting, |_m| {
    let (s, r) = unbounded::<i32>();

    gpm::select! {
        send(s, 0) -> _ => {
            gpm::select! {
                recv(r) -> v => {
                    assert_eq!(v, Ok(0));
                    gpm::select! {
                        send(s, 1) -> _ => {
                            gpm::select! {
                                recv(r) -> v => {
                                    assert_eq!(v, Ok(1));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
});

both!(
    #[should_panic(expected = "send panicked")]
    panic_sender,
    |_m| {
        fn get() -> Sender<i32> {
            panic!("send panicked")
        }

        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        {
            gpm::select! {
                send(get(), panic!()) -> _ => {}
            }
        }
    }
);

both!(
    #[should_panic(expected = "recv panicked")]
    panic_receiver,
    |_m| {
        fn get() -> Receiver<i32> {
            panic!("recv panicked")
        }

        gpm::select! {
            recv(get()) -> _ => {}
        }
    }
);

both!(stress_recv, |m| {
    const COUNT: usize = 50;

    let (s1, r1) = unbounded();
    let (s2, r2) = bounded(5);
    let (s3, r3) = bounded(100);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                s1.send(i).unwrap();
                r3.recv().unwrap();

                s2.send(i).unwrap();
                r3.recv().unwrap();
            }
        });

        for i in 0..COUNT {
            for _ in 0..2 {
                gpm::select! {
                    recv(r1) -> v => assert_eq!(v, Ok(i)),
                    recv(r2) -> v => assert_eq!(v, Ok(i)),
                }

                s3.send(()).unwrap();
            }
        }
    })
    .unwrap();
});

both!(stress_send, |m| {
    const COUNT: usize = 100;

    let (s1, r1) = bounded(0);
    let (s2, r2) = bounded(0);
    let (s3, r3) = bounded(100);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                assert_eq!(r1.recv().unwrap(), i);
                assert_eq!(r2.recv().unwrap(), i);
                r3.recv().unwrap();
            }
        });

        for i in 0..COUNT {
            for _ in 0..2 {
                gpm::select! {
                    send(s1, i) -> _ => {},
                    send(s2, i) -> _ => {},
                }
            }
            s3.send(()).unwrap();
        }
    })
    .unwrap();
});

both!(stress_mixed, |m| {
    const COUNT: usize = 100;

    let (s1, r1) = bounded(0);
    let (s2, r2) = bounded(0);
    let (s3, r3) = bounded(100);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                s1.send(i).unwrap();
                assert_eq!(r2.recv().unwrap(), i);
                r3.recv().unwrap();
            }
        });

        for i in 0..COUNT {
            for _ in 0..2 {
                gpm::select! {
                    recv(r1) -> v => assert_eq!(v, Ok(i)),
                    send(s2, i) -> _ => {},
                }
            }
            s3.send(()).unwrap();
        }
    })
    .unwrap();
});

both!(stress_timeout_two_threads, |m| {
    const COUNT: usize = 20;

    let (s, r) = bounded(2);

    m.scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    m.sleep(ms(500));
                }

                loop {
                    gpm::select! {
                        send(s, i) -> _ => break,
                        default(ms(100)) => {}
                    }
                }
            }
        });

        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    m.sleep(ms(500));
                }

                loop {
                    gpm::select! {
                        recv(r) -> v => {
                            assert_eq!(v, Ok(i));
                            break;
                        }
                        default(ms(100)) => {}
                    }
                }
            }
        });
    })
    .unwrap();
});

both!(send_recv_same_channel, |_m| {
    let (s, r) = bounded::<i32>(0);
    gpm::select! {
        send(s, 0) -> _ => panic!(),
        recv(r) -> _ => panic!(),
        default(ms(500)) => {}
    }

    let (s, r) = unbounded::<i32>();
    gpm::select! {
        send(s, 0) -> _ => {},
        recv(r) -> _ => panic!(),
        default(ms(500)) => panic!(),
    }
});

both!(matching, |m| {
    const THREADS: usize = 44;

    let (s, r) = &bounded::<usize>(0);

    m.scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || {
                gpm::select! {
                    recv(r) -> v => assert_ne!(v.unwrap(), i),
                    send(s, i) -> _ => {},
                }
            });
        }
    })
    .unwrap();

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(matching_with_leftover, |m| {
    const THREADS: usize = 55;

    let (s, r) = &bounded::<usize>(0);

    m.scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || {
                gpm::select! {
                    recv(r) -> v => assert_ne!(v.unwrap(), i),
                    send(s, i) -> _ => {},
                }
            });
        }
        s.send(!0).unwrap();
    })
    .unwrap();

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(channel_through_channel, |m| {
    const COUNT: usize = 100;

    type T = Box<dyn Any + Send>;

    for cap in 0..3 {
        let (s, r) = bounded::<T>(cap);

        m.scope(|scope| {
            scope.spawn(move || {
                let mut s = s;

                for _ in 0..COUNT {
                    let (new_s, new_r) = bounded(cap);
                    let new_r: T = Box::new(Some(new_r));

                    gpm::select! {
                        send(s, new_r) -> _ => {}
                    }

                    s = new_s;
                }
            });

            scope.spawn(move || {
                let mut r = r;

                for _ in 0..COUNT {
                    r = gpm::select! {
                        recv(r) -> msg => {
                            msg.unwrap()
                                .downcast_mut::<Option<Receiver<T>>>()
                                .unwrap()
                                .take()
                                .unwrap()
                        }
                    }
                }
            });
        })
        .unwrap();
    }
});

both!(linearizable_default, |m| {
    const COUNT: usize = 100;

    for step in 0..2 {
        let (start_s, start_r) = bounded::<()>(0);
        let (end_s, end_r) = bounded::<()>(0);

        let ((s1, r1), (s2, r2)) = if step == 0 {
            (bounded::<i32>(1), bounded::<i32>(1))
        } else {
            (unbounded::<i32>(), unbounded::<i32>())
        };

        m.scope(|scope| {
            scope.spawn(|| {
                for _ in 0..COUNT {
                    start_s.send(()).unwrap();

                    s1.send(1).unwrap();
                    gpm::select! {
                        recv(r1) -> _ => {}
                        recv(r2) -> _ => {}
                        default => unreachable!()
                    }

                    end_s.send(()).unwrap();
                    let _ = r2.try_recv();
                }
            });

            for _ in 0..COUNT {
                start_r.recv().unwrap();

                s2.send(1).unwrap();
                let _ = r1.try_recv();

                end_r.recv().unwrap();
            }
        })
        .unwrap();
    }
});

both!(linearizable_timeout, |m| {
    const COUNT: usize = 100;

    for step in 0..2 {
        let (start_s, start_r) = bounded::<()>(0);
        let (end_s, end_r) = bounded::<()>(0);

        let ((s1, r1), (s2, r2)) = if step == 0 {
            (bounded::<i32>(1), bounded::<i32>(1))
        } else {
            (unbounded::<i32>(), unbounded::<i32>())
        };

        m.scope(|scope| {
            scope.spawn(|| {
                for _ in 0..COUNT {
                    start_s.send(()).unwrap();

                    s1.send(1).unwrap();
                    gpm::select! {
                        recv(r1) -> _ => {}
                        recv(r2) -> _ => {}
                        default(ms(0)) => unreachable!()
                    }

                    end_s.send(()).unwrap();
                    let _ = r2.try_recv();
                }
            });

            for _ in 0..COUNT {
                start_r.recv().unwrap();

                s2.send(1).unwrap();
                let _ = r1.try_recv();

                end_r.recv().unwrap();
            }
        })
        .unwrap();
    }
});

both!(fairness1, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = bounded::<()>(COUNT);
    let (s2, r2) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }

    let mut hits = [0usize; 4];
    for _ in 0..COUNT {
        gpm::select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(after(ms(0))) -> _ => hits[2] += 1,
            recv(tick(ms(0))) -> _ => hits[3] += 1,
        }
    }
    assert!(hits.iter().all(|x| *x >= COUNT / hits.len() / 2));
});

both!(fairness2, |m| {
    const COUNT: usize = 100;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = bounded::<()>(1);
    let (s3, r3) = bounded::<()>(0);

    m.scope(|scope| {
        scope.spawn(|| {
            let (hole, _r) = bounded(0);

            for _ in 0..COUNT {
                let s1 = if s1.is_empty() { &s1 } else { &hole };
                let s2 = if s2.is_empty() { &s2 } else { &hole };

                gpm::select! {
                    send(s1, ()) -> res => assert!(res.is_ok()),
                    send(s2, ()) -> res => assert!(res.is_ok()),
                    send(s3, ()) -> res => assert!(res.is_ok()),
                }
            }
        });

        let hits = vec![Cell::new(0usize); 3];
        for _ in 0..COUNT {
            gpm::select! {
                recv(r1) -> _ => hits[0].set(hits[0].get() + 1),
                recv(r2) -> _ => hits[1].set(hits[1].get() + 1),
                recv(r3) -> _ => hits[2].set(hits[2].get() + 1),
            }
        }
        assert!(hits.iter().all(|x| x.get() >= COUNT / hits.len() / 50));
    })
    .unwrap();
});

both!(fairness_recv, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = bounded::<()>(COUNT);
    let (s2, r2) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }

    let mut hits = [0usize; 2];
    while hits[0] + hits[1] < COUNT {
        gpm::select! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
        }
    }
    assert!(hits.iter().all(|x| *x >= COUNT / 4));
});

both!(fairness_send, |_m| {
    const COUNT: usize = 100;

    let (s1, _r1) = bounded::<()>(COUNT);
    let (s2, _r2) = unbounded::<()>();

    let mut hits = [0usize; 2];
    for _ in 0..COUNT {
        gpm::select! {
            send(s1, ()) -> _ => hits[0] += 1,
            send(s2, ()) -> _ => hits[1] += 1,
        }
    }
    assert!(hits.iter().all(|x| *x >= COUNT / 4));
});

both!(unfairness, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let (s3, r3) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }
    s3.send(()).unwrap();

    let mut hits = [0usize; 3];
    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
        }
    }
    assert_eq!(hits, [COUNT, 0, 0]);

    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
        }
    }
    assert_eq!(hits, [COUNT, COUNT, 0]);
});

both!(unfairness_timeout, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let (s3, r3) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }
    s3.send(()).unwrap();

    let mut hits = [0usize; 3];
    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
            default(ms(1000)) => unreachable!(),
        }
    }
    assert_eq!(hits, [COUNT, 0, 0]);

    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
            default(ms(1000)) => unreachable!(),
        }
    }
    assert_eq!(hits, [COUNT, COUNT, 0]);
});

both!(unfairness_try, |_m| {
    const COUNT: usize = 100;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let (s3, r3) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }
    s3.send(()).unwrap();

    let mut hits = [0usize; 3];
    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
            default() => unreachable!(),
        }
    }
    assert_eq!(hits, [COUNT, 0, 0]);

    for _ in 0..COUNT {
        gpm::select_biased! {
            recv(r1) -> _ => hits[0] += 1,
            recv(r2) -> _ => hits[1] += 1,
            recv(r3) -> _ => hits[2] += 1,
            default() => unreachable!(),
        }
    }
    assert_eq!(hits, [COUNT, COUNT, 0]);
});

// This is intentional.
both!(
    #[allow(clippy::or_fun_call, clippy::unnecessary_literal_unwrap)]
    references,
    |_m| {
        let (s, r) = unbounded::<i32>();
        gpm::select! {
            send(s, 0) -> _ => {}
            recv(r) -> _ => {}
        }
        gpm::select! {
            send(&&&&s, 0) -> _ => {}
            recv(&&&&r) -> _ => {}
        }
        gpm::select! {
            recv(Some(&r).unwrap_or(&never())) -> _ => {},
            default => {}
        }
        gpm::select! {
            recv(Some(r).unwrap_or(never())) -> _ => {},
            default => {}
        }
    }
);

// This is intentional.
both!(
    #[allow(clippy::never_loop)]
    case_blocks,
    |_m| {
        let (s, r) = unbounded::<i32>();

        gpm::select! {
            recv(r) -> _ => 3.0,
            recv(r) -> _ => loop {
                unreachable!()
            },
            recv(r) -> _ => match 7 + 3 {
                _ => unreachable!()
            },
            default => 7.
        };

        gpm::select! {
            recv(r) -> msg => if msg.is_ok() {
                unreachable!()
            },
            default => ()
        }

        drop(s);
    }
);

// This is intentional.
both!(
    #[allow(clippy::redundant_closure_call)]
    move_handles,
    |_m| {
        let (s, r) = unbounded::<i32>();
        gpm::select! {
            recv((move || r)()) -> _ => {}
            send((move || s)(), 0) -> _ => {}
        }
    }
);

both!(infer_types, |_m| {
    let (s, r) = unbounded();
    gpm::select! {
        recv(r) -> _ => {}
        default => {}
    }
    s.send(()).unwrap();

    let (s, r) = unbounded();
    gpm::select! {
        send(s, ()) -> _ => {}
    }
    r.recv().unwrap();
});

both!(default_syntax, |_m| {
    let (s, r) = bounded::<i32>(0);

    gpm::select! {
        recv(r) -> _ => panic!(),
        default => {}
    }
    gpm::select! {
        send(s, 0) -> _ => panic!(),
        default() => {}
    }
    gpm::select! {
        default => {}
    }
    gpm::select! {
        default() => {}
    }
});

both!(same_variable_name, |_m| {
    let (_, r) = unbounded::<i32>();
    gpm::select! {
        recv(r) -> r => assert!(r.is_err()),
    }
});

both!(handles_on_heap, |_m| {
    let (s, r) = unbounded::<i32>();
    let (s, r) = (Box::new(s), Box::new(r));

    gpm::select! {
        send(*s, 0) -> _ => {}
        recv(*r) -> _ => {}
        default => {}
    }

    drop(s);
    drop(r);
});

both!(once_blocks, |_m| {
    let (s, r) = unbounded::<i32>();

    let once = Box::new(());
    gpm::select! {
        send(s, 0) -> _ => drop(once),
    }

    let once = Box::new(());
    gpm::select! {
        recv(r) -> _ => drop(once),
    }

    let once1 = Box::new(());
    let once2 = Box::new(());
    gpm::select! {
        send(s, 0) -> _ => drop(once1),
        default => drop(once2),
    }

    let once1 = Box::new(());
    let once2 = Box::new(());
    gpm::select! {
        recv(r) -> _ => drop(once1),
        default => drop(once2),
    }

    let once1 = Box::new(());
    let once2 = Box::new(());
    gpm::select! {
        recv(r) -> _ => drop(once1),
        send(s, 0) -> _ => drop(once2),
    }
});

both!(once_receiver, |_m| {
    let (_, r) = unbounded::<i32>();

    let once = Box::new(());
    let get = move || {
        drop(once);
        r
    };

    gpm::select! {
        recv(get()) -> _ => {}
    }
});

both!(once_sender, |_m| {
    let (s, _) = unbounded::<i32>();

    let once = Box::new(());
    let get = move || {
        drop(once);
        s
    };

    gpm::select! {
        send(get(), 5) -> _ => {}
    }
});

both!(parse_nesting, |_m| {
    let (_, r) = unbounded::<i32>();

    gpm::select! {
        recv(r) -> _ => {}
        recv(r) -> _ => {
            gpm::select! {
                recv(r) -> _ => {}
                recv(r) -> _ => {
                    gpm::select! {
                        recv(r) -> _ => {}
                        recv(r) -> _ => {
                            gpm::select! {
                                default => {}
                            }
                        }
                    }
                }
            }
        }
    }
});

both!(evaluate, |_m| {
    let (s, r) = unbounded::<i32>();

    let v = gpm::select! {
        recv(r) -> _ => "foo".into(),
        send(s, 0) -> _ => "bar".to_owned(),
        default => "baz".to_string(),
    };
    assert_eq!(v, "bar");

    let v = gpm::select! {
        recv(r) -> _ => "foo".into(),
        default => "baz".to_string(),
    };
    assert_eq!(v, "foo");

    let v = gpm::select! {
        recv(r) -> _ => "foo".into(),
        default => "baz".to_string(),
    };
    assert_eq!(v, "baz");
});

both!(deref, |_m| {
    use gpm::chan as cc;

    struct Sender<T>(cc::Sender<T>);
    struct Receiver<T>(cc::Receiver<T>);

    impl<T> Deref for Receiver<T> {
        type Target = cc::Receiver<T>;

        fn deref(&self) -> &Self::Target {
            &self.0
        }
    }

    impl<T> Deref for Sender<T> {
        type Target = cc::Sender<T>;

        fn deref(&self) -> &Self::Target {
            &self.0
        }
    }

    let (s, r) = bounded::<i32>(0);
    let (s, r) = (Sender(s), Receiver(r));

    gpm::select! {
        send(s, 0) -> _ => panic!(),
        recv(r) -> _ => panic!(),
        default => {}
    }
});

both!(result_types, |_m| {
    let (s, _) = bounded::<i32>(0);
    let (_, r) = bounded::<i32>(0);

    gpm::select! {
        recv(r) -> res => { let _: Result<i32, RecvError> = res; },
    }
    gpm::select! {
        recv(r) -> res =>  { let _: Result<i32, RecvError> = res; },
        default => {}
    }
    gpm::select! {
        recv(r) -> res =>  { let _: Result<i32, RecvError> = res; },
        default(ms(0)) => {}
    }

    gpm::select! {
        send(s, 0) -> res => { let _: Result<(), SendError<i32>> = res; },
    }
    gpm::select! {
        send(s, 0) -> res =>  { let _: Result<(), SendError<i32>> = res; },
        default => {}
    }
    gpm::select! {
        send(s, 0) -> res =>  { let _: Result<(), SendError<i32>> = res; },
        default(ms(0)) => {}
    }

    gpm::select! {
        send(s, 0) -> res =>  { let _: Result<(), SendError<i32>> = res; },
        recv(r) -> res => { let _: Result<i32, RecvError> = res; },
    }
});

both!(try_recv, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                recv(r) -> _ => panic!(),
                default => {}
            }
            m.sleep(ms(1500));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(7)),
                default => panic!(),
            }
            m.sleep(ms(500));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Err(RecvError)),
                default => panic!(),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            gpm::select! {
                send(s, 7) -> res => res.unwrap(),
            }
        });
    })
    .unwrap();
});

both!(recv, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(7)),
            }
            m.sleep(ms(1000));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(8)),
            }
            m.sleep(ms(1000));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(9)),
            }
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Err(RecvError)),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            gpm::select! {
                send(s, 7) -> res => res.unwrap(),
            }
            gpm::select! {
                send(s, 8) -> res => res.unwrap(),
            }
            gpm::select! {
                send(s, 9) -> res => res.unwrap(),
            }
        });
    })
    .unwrap();
});

both!(recv_timeout, |m| {
    let (s, r) = bounded::<i32>(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                recv(r) -> _ => panic!(),
                default(ms(1000)) => {}
            }
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(7)),
                default(ms(1000)) => panic!(),
            }
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Err(RecvError)),
                default(ms(1000)) => panic!(),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            gpm::select! {
                send(s, 7) -> res => res.unwrap(),
            }
        });
    })
    .unwrap();
});

both!(try_send, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                send(s, 7) -> _ => panic!(),
                default => {}
            }
            m.sleep(ms(1500));
            gpm::select! {
                send(s, 8) -> res => res.unwrap(),
                default => panic!(),
            }
            m.sleep(ms(500));
            gpm::select! {
                send(s, 8) -> res => assert_eq!(res, Err(SendError(8))),
                default => panic!(),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(8)),
            }
        });
    })
    .unwrap();
});

both!(send, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                send(s, 7) -> res => res.unwrap(),
            }
            m.sleep(ms(1000));
            gpm::select! {
                send(s, 8) -> res => res.unwrap(),
            }
            m.sleep(ms(1000));
            gpm::select! {
                send(s, 9) -> res => res.unwrap(),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(7)),
            }
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(8)),
            }
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(9)),
            }
        });
    })
    .unwrap();
});

both!(send_timeout, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                send(s, 7) -> _ => panic!(),
                default(ms(1000)) => {}
            }
            gpm::select! {
                send(s, 8) -> res => res.unwrap(),
                default(ms(1000)) => panic!(),
            }
            gpm::select! {
                send(s, 9) -> res => assert_eq!(res, Err(SendError(9))),
                default(ms(1000)) => panic!(),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1500));
            gpm::select! {
                recv(r) -> v => assert_eq!(v, Ok(8)),
            }
        });
    })
    .unwrap();
});

both!(disconnect_wakes_sender, |m| {
    let (s, r) = bounded(0);

    m.scope(|scope| {
        scope.spawn(move || {
            gpm::select! {
                send(s, ()) -> res => assert_eq!(res, Err(SendError(()))),
            }
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
            gpm::select! {
                recv(r) -> res => assert_eq!(res, Err(RecvError)),
            }
        });
        scope.spawn(move || {
            m.sleep(ms(1000));
            drop(s);
        });
    })
    .unwrap();
});

both!(trailing_comma, |_m| {
    let (s, r) = unbounded::<usize>();

    gpm::select! {
        send(s, 1,) -> _ => {},
        recv(r,) -> _ => {},
        default(ms(1000),) => {},
    }
});
