//! Part 1 of the `sync_channel_tests` module of the `mpsc.rs` port.

use super::*;

both!(smoke, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
});

both!(drop_full, |_m| {
    let (tx, _rx) = sync_channel::<Box<isize>>(1);
    tx.send(Box::new(1)).unwrap();
});

both!(smoke_shared, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
    let tx = tx.clone();
    tx.send(1).unwrap();
    assert_eq!(rx.recv().unwrap(), 1);
});

both!(recv_timeout, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(rx.recv_timeout(ms(1)), Err(RecvTimeoutError::Timeout));
    tx.send(1).unwrap();
    assert_eq!(rx.recv_timeout(ms(1)), Ok(1));
});

both!(smoke_threads, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        tx.send(1).unwrap();
    });
    assert_eq!(rx.recv().unwrap(), 1);
    t.join().unwrap();
});

both!(smoke_port_gone, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(rx);
    assert!(tx.send(1).is_err());
});

both!(smoke_shared_port_gone2, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(rx);
    let tx2 = tx.clone();
    drop(tx);
    assert!(tx2.send(1).is_err());
});

both!(port_gone_concurrent, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() {}
    t.join().unwrap();
});

both!(port_gone_concurrent_shared, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let tx2 = tx.clone();
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    while tx.send(1).is_ok() && tx2.send(1).is_ok() {}
    t.join().unwrap();
});

both!(smoke_chan_gone, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(tx);
    assert!(rx.recv().is_err());
});

both!(smoke_chan_gone_shared, |_m| {
    let (tx, rx) = sync_channel::<()>(0);
    let tx2 = tx.clone();
    drop(tx);
    drop(tx2);
    assert!(rx.recv().is_err());
});

both!(chan_gone_concurrent, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        tx.send(1).unwrap();
        tx.send(1).unwrap();
    });
    while rx.recv().is_ok() {}
    t.join().unwrap();
});

both!(stress, |_m| {
    const N: usize = 100;

    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        for _ in 0..N {
            tx.send(1).unwrap();
        }
    });
    for _ in 0..N {
        assert_eq!(rx.recv().unwrap(), 1);
    }
    t.join().unwrap();
});

both!(stress_recv_timeout_two_threads, |_m| {
    const N: usize = 100;

    let (tx, rx) = sync_channel::<i32>(0);

    let t = thread::spawn(move || {
        for _ in 0..N {
            tx.send(1).unwrap();
        }
    });

    let mut recv_count = 0;
    loop {
        match rx.recv_timeout(ms(1)) {
            Ok(v) => {
                assert_eq!(v, 1);
                recv_count += 1;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }

    assert_eq!(recv_count, N);
    t.join().unwrap();
});

both!(stress_recv_timeout_shared, |_m| {
    const AMT: u32 = 100;
    const NTHREADS: u32 = 8;
    let (tx, rx) = sync_channel::<i32>(0);
    let (dtx, drx) = sync_channel::<()>(0);

    let t = thread::spawn(move || {
        let mut recv_count = 0;
        loop {
            match rx.recv_timeout(ms(10)) {
                Ok(v) => {
                    assert_eq!(v, 1);
                    recv_count += 1;
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }

        assert_eq!(recv_count, AMT * NTHREADS);
        assert!(rx.try_recv().is_err());

        dtx.send(()).unwrap();
    });

    let mut ts = Vec::with_capacity(NTHREADS as usize);
    for _ in 0..NTHREADS {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            for _ in 0..AMT {
                tx.send(1).unwrap();
            }
        });
        ts.push(t);
    }

    drop(tx);

    drx.recv().unwrap();
    for t in ts {
        t.join().unwrap();
    }
    t.join().unwrap();
});

both!(stress_shared, |_m| {
    const AMT: u32 = 100;
    const NTHREADS: u32 = 8;
    let (tx, rx) = sync_channel::<i32>(0);
    let (dtx, drx) = sync_channel::<()>(0);

    let t = thread::spawn(move || {
        for _ in 0..AMT * NTHREADS {
            assert_eq!(rx.recv().unwrap(), 1);
        }
        assert!(rx.try_recv().is_err());
        dtx.send(()).unwrap();
    });

    let mut ts = Vec::with_capacity(NTHREADS as usize);
    for _ in 0..NTHREADS {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            for _ in 0..AMT {
                tx.send(1).unwrap();
            }
        });
        ts.push(t);
    }
    drop(tx);
    drx.recv().unwrap();
    for t in ts {
        t.join().unwrap();
    }
    t.join().unwrap();
});

both!(oneshot_single_thread_close_port_first, |_m| {
    // Simple test of closing without sending
    let (_tx, rx) = sync_channel::<i32>(0);
    drop(rx);
});

both!(oneshot_single_thread_close_chan_first, |_m| {
    // Simple test of closing without sending
    let (tx, _rx) = sync_channel::<i32>(0);
    drop(tx);
});

both!(oneshot_single_thread_send_port_close, |_m| {
    // Testing that the sender cleans up the payload if receiver is closed
    let (tx, rx) = sync_channel::<Box<i32>>(0);
    drop(rx);
    assert!(tx.send(Box::new(0)).is_err());
});

both!(oneshot_single_thread_recv_chan_close, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(tx);
    assert_eq!(rx.recv(), Err(RecvError));
});

both!(oneshot_single_thread_send_then_recv, |_m| {
    let (tx, rx) = sync_channel::<Box<i32>>(1);
    tx.send(Box::new(10)).unwrap();
    assert!(*rx.recv().unwrap() == 10);
});

both!(oneshot_single_thread_try_send_open, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(tx.try_send(10), Ok(()));
    assert!(rx.recv().unwrap() == 10);
});

both!(oneshot_single_thread_try_send_closed, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(rx);
    assert_eq!(tx.try_send(10), Err(TrySendError::Disconnected(10)));
});

both!(oneshot_single_thread_try_send_closed2, |_m| {
    let (tx, _rx) = sync_channel::<i32>(0);
    assert_eq!(tx.try_send(10), Err(TrySendError::Full(10)));
});

both!(oneshot_single_thread_try_recv_open, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(10).unwrap();
    assert!(rx.recv() == Ok(10));
});

both!(oneshot_single_thread_try_recv_closed, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(tx);
    assert!(rx.recv().is_err());
});

both!(oneshot_single_thread_try_recv_closed_with_data, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    tx.send(10).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(10));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
});

both!(oneshot_single_thread_peek_data, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(10).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
});

both!(oneshot_single_thread_peek_close, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
});

both!(oneshot_single_thread_peek_open, |_m| {
    let (_tx, rx) = sync_channel::<i32>(0);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
});

both!(oneshot_multi_task_recv_then_send, |_m| {
    let (tx, rx) = sync_channel::<Box<i32>>(0);
    let t = thread::spawn(move || {
        assert!(*rx.recv().unwrap() == 10);
    });

    tx.send(Box::new(10)).unwrap();
    t.join().unwrap();
});

both!(oneshot_multi_task_recv_then_close, |_m| {
    let (tx, rx) = sync_channel::<Box<i32>>(0);
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
