//! Part 1 of crossbeam-channel's `select_macro.rs` port (see `mod.rs`).

use super::*;

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
