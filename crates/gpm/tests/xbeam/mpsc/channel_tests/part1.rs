//! Part 1 of the `channel_tests` module of the `mpsc.rs` port.

use super::*;

both!(smoke, |_m| {
    let (tx, rx) = channel::<i32>();
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
});

both!(drop_full, |_m| {
    let (tx, _rx) = channel::<Box<isize>>();
    tx.send(Box::new(1)).unwrap();
});

both!(drop_full_shared, |_m| {
    let (tx, _rx) = channel::<Box<isize>>();
    drop(tx.clone());
    drop(tx.clone());
    tx.send(Box::new(1)).unwrap();
});

both!(smoke_shared, |_m| {
    let (tx, rx) = channel::<i32>();
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
    let tx = tx.clone();
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
});

both!(smoke_threads, |_m| {
    let (tx, rx) = channel::<i32>();
    let t = thread::spawn(move || {
        tx.send(1).unwrap();
    });
    assert_eq!(rx.recv().unwrap(), 1);
    t.join().unwrap();
});

both!(smoke_port_gone, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(rx);
    assert!(tx.send(1).is_err());
});

both!(smoke_shared_port_gone, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(rx);
    assert!(tx.send(1).is_err())
});

both!(smoke_shared_port_gone2, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(rx);
    let tx2 = tx.clone();
    drop(tx);
    assert!(tx2.send(1).is_err());
});

both!(port_gone_concurrent, |_m| {
    let (tx, rx) = channel::<i32>();
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() {}
    t.join().unwrap();
});

both!(port_gone_concurrent_shared, |_m| {
    let (tx, rx) = channel::<i32>();
    let tx2 = tx.clone();
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() && tx2.send(1).is_ok() {}
    t.join().unwrap();
});

both!(smoke_chan_gone, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(tx);
    assert!(rx.recv().is_err());
});

both!(smoke_chan_gone_shared, |_m| {
    let (tx, rx) = channel::<()>();
    let tx2 = tx.clone();
    drop(tx);
    drop(tx2);
    assert!(rx.recv().is_err());
});

both!(chan_gone_concurrent, |_m| {
    let (tx, rx) = channel::<i32>();
    let t = thread::spawn(move || {
        tx.send(1).unwrap();
        tx.send(1).unwrap();
    });
    while rx.recv().is_ok() {}
    t.join().unwrap();
});

both!(stress, |_m| {
    const COUNT: usize = 100;

    let (tx, rx) = channel::<i32>();
    let t = thread::spawn(move || {
        for _ in 0..COUNT {
            tx.send(1).unwrap();
        }
    });
    for _ in 0..COUNT {
        assert_eq!(rx.recv().unwrap(), 1);
    }
    t.join().unwrap();
});

both!(stress_shared, |_m| {
    let amt: u32 = 100;
    let nthreads: u32 = 4;
    let (tx, rx) = channel::<i32>();

    let t = thread::spawn(move || {
        for _ in 0..amt * nthreads {
            assert_eq!(rx.recv().unwrap(), 1);
        }
        assert!(rx.try_recv().is_err());
    });

    let mut ts = Vec::with_capacity(nthreads as usize);
    for _ in 0..nthreads {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            for _ in 0..amt {
                tx.send(1).unwrap();
            }
        });
        ts.push(t);
    }
    drop(tx);
    t.join().unwrap();
    for t in ts {
        t.join().unwrap();
    }
});

both!(send_from_outside_runtime, |_m| {
    let (tx1, rx1) = channel::<()>();
    let (tx2, rx2) = channel::<i32>();
    let t1 = thread::spawn(move || {
        tx1.send(()).unwrap();
        for _ in 0..40 {
            assert_eq!(rx2.recv().unwrap(), 1);
        }
    });
    rx1.recv().unwrap();
    let t2 = thread::spawn(move || {
        for _ in 0..40 {
            tx2.send(1).unwrap();
        }
    });
    t1.join().unwrap();
    t2.join().unwrap();
});

both!(recv_from_outside_runtime, |_m| {
    let (tx, rx) = channel::<i32>();
    let t = thread::spawn(move || {
        for _ in 0..40 {
            assert_eq!(rx.recv().unwrap(), 1);
        }
    });
    for _ in 0..40 {
        tx.send(1).unwrap();
    }
    t.join().unwrap();
});

both!(no_runtime, |_m| {
    let (tx1, rx1) = channel::<i32>();
    let (tx2, rx2) = channel::<i32>();
    let t1 = thread::spawn(move || {
        assert_eq!(rx1.recv().unwrap(), 1);
        tx2.send(2).unwrap();
    });
    let t2 = thread::spawn(move || {
        tx1.send(1).unwrap();
        assert_eq!(rx2.recv().unwrap(), 2);
    });
    t1.join().unwrap();
    t2.join().unwrap();
});

both!(oneshot_single_thread_close_port_first, |_m| {
    // Simple test of closing without sending
    let (_tx, rx) = channel::<i32>();
    drop(rx);
});

both!(oneshot_single_thread_close_chan_first, |_m| {
    // Simple test of closing without sending
    let (tx, _rx) = channel::<i32>();
    drop(tx);
});

both!(oneshot_single_thread_send_port_close, |_m| {
    // Testing that the sender cleans up the payload if receiver is closed
    let (tx, rx) = channel::<Box<i32>>();
    drop(rx);
    assert!(tx.send(Box::new(0)).is_err());
});

both!(oneshot_single_thread_recv_chan_close, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(tx);
    assert_eq!(rx.recv(), Err(RecvError));
});

both!(oneshot_single_thread_send_then_recv, |_m| {
    let (tx, rx) = channel::<Box<i32>>();
    tx.send(Box::new(10)).unwrap();
    assert!(*rx.recv().unwrap() == 10);
});

both!(oneshot_single_thread_try_send_open, |_m| {
    let (tx, rx) = channel::<i32>();
    assert!(tx.send(10).is_ok());
    assert!(rx.recv().unwrap() == 10);
});

both!(oneshot_single_thread_try_send_closed, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(rx);
    assert!(tx.send(10).is_err());
});

both!(oneshot_single_thread_try_recv_open, |_m| {
    let (tx, rx) = channel::<i32>();
    tx.send(10).unwrap();
    assert!(rx.recv() == Ok(10));
});

both!(oneshot_single_thread_try_recv_closed, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(tx);
    assert!(rx.recv().is_err());
});

both!(oneshot_single_thread_peek_data, |_m| {
    let (tx, rx) = channel::<i32>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(10).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
});

both!(oneshot_single_thread_peek_close, |_m| {
    let (tx, rx) = channel::<i32>();
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
});

both!(oneshot_single_thread_peek_open, |_m| {
    let (_tx, rx) = channel::<i32>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
});

both!(oneshot_multi_task_recv_then_send, |_m| {
    let (tx, rx) = channel::<Box<i32>>();
    let t = thread::spawn(move || {
        assert!(*rx.recv().unwrap() == 10);
    });

    tx.send(Box::new(10)).unwrap();
    t.join().unwrap();
});

both!(oneshot_multi_task_recv_then_close, |_m| {
    let (tx, rx) = channel::<Box<i32>>();
    let t = thread::spawn(move || {
        drop(tx);
    });
    thread::spawn(move || {
        assert_eq!(rx.recv(), Err(RecvError));
    })
    .join()
    .unwrap();
    t.join().unwrap();
});

both!(oneshot_multi_thread_close_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = channel::<i32>();
        let t = thread::spawn(move || {
            drop(rx);
        });
        ts.push(t);
        drop(tx);
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(oneshot_multi_thread_send_close_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(2 * stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = channel::<i32>();
        let t = thread::spawn(move || {
            drop(rx);
        });
        ts.push(t);
        thread::spawn(move || {
            let _ = tx.send(1);
        })
        .join()
        .unwrap();
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(oneshot_multi_thread_recv_close_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(2 * stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = channel::<i32>();
        let t = thread::spawn(move || {
            thread::spawn(move || {
                assert_eq!(rx.recv(), Err(RecvError));
            })
            .join()
            .unwrap();
        });
        ts.push(t);
        let t2 = thread::spawn(move || {
            let t = thread::spawn(move || {
                drop(tx);
            });
            t.join().unwrap();
        });
        ts.push(t2);
    }
    for t in ts {
        t.join().unwrap();
    }
});
