//! Part 3 of crossbeam-channel's `select_macro.rs` port (see `mod.rs`).

use super::*;

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
