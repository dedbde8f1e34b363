//! Part 2 of the `channel_tests` module of the `mpsc.rs` port.

use super::*;

both!(oneshot_multi_thread_send_recv_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = channel::<Box<isize>>();
        let t = thread::spawn(move || {
            tx.send(Box::new(10)).unwrap();
        });
        ts.push(t);
        assert!(*rx.recv().unwrap() == 10);
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(stream_send_recv_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(2 * stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = channel();

        if let Some(t) = send(tx, 0) {
            ts.push(t);
        }
        if let Some(t2) = recv(rx, 0) {
            ts.push(t2);
        }

        fn send(tx: Sender<Box<i32>>, i: i32) -> Option<JoinHandle<()>> {
            if i == 10 {
                return None;
            }

            Some(thread::spawn(move || {
                tx.send(Box::new(i)).unwrap();
                send(tx, i + 1);
            }))
        }

        fn recv(rx: Receiver<Box<i32>>, i: i32) -> Option<JoinHandle<()>> {
            if i == 10 {
                return None;
            }

            Some(thread::spawn(move || {
                assert!(*rx.recv().unwrap() == i);
                recv(rx, i + 1);
            }))
        }
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(oneshot_single_thread_recv_timeout, |_m| {
    let (tx, rx) = channel();
    tx.send(()).unwrap();
    assert_eq!(rx.recv_timeout(ms(1)), Ok(()));
    assert_eq!(rx.recv_timeout(ms(1)), Err(RecvTimeoutError::Timeout));
    tx.send(()).unwrap();
    assert_eq!(rx.recv_timeout(ms(1)), Ok(()));
});

both!(stress_recv_timeout_two_threads, |_m| {
    let (tx, rx) = channel();
    let stress = stress_factor() + 100;
    let timeout = ms(100);

    let t = thread::spawn(move || {
        for i in 0..stress {
            if i % 2 == 0 {
                thread::sleep(timeout * 2);
            }
            tx.send(1usize).unwrap();
        }
    });

    let mut recv_count = 0;
    loop {
        match rx.recv_timeout(timeout) {
            Ok(n) => {
                assert_eq!(n, 1usize);
                recv_count += 1;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }

    assert_eq!(recv_count, stress);
    t.join().unwrap()
});

both!(recv_timeout_upgrade, |_m| {
    let (tx, rx) = channel::<()>();
    let timeout = ms(1);
    let _tx_clone = tx.clone();

    let start = Instant::now();
    assert_eq!(rx.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
    assert!(Instant::now() >= start + timeout);
});

both!(stress_recv_timeout_shared, |_m| {
    let (tx, rx) = channel();
    let stress = stress_factor() + 100;

    let mut ts = Vec::with_capacity(stress);
    for i in 0..stress {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            thread::sleep(ms(i as u64 * 10));
            tx.send(1usize).unwrap();
        });
        ts.push(t);
    }

    drop(tx);

    let mut recv_count = 0;
    loop {
        match rx.recv_timeout(ms(10)) {
            Ok(n) => {
                assert_eq!(n, 1usize);
                recv_count += 1;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }

    assert_eq!(recv_count, stress);
    for t in ts {
        t.join().unwrap();
    }
});

both!(recv_a_lot, |_m| {
    const N: usize = 50;

    // Regression test that we don't run out of stack in scheduler context
    let (tx, rx) = channel();
    for _ in 0..N {
        tx.send(()).unwrap();
    }
    for _ in 0..N {
        rx.recv().unwrap();
    }
});

both!(shared_recv_timeout, |_m| {
    let (tx, rx) = channel();
    let total = 5;
    let mut ts = Vec::with_capacity(total);
    for _ in 0..total {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            tx.send(()).unwrap();
        });
        ts.push(t);
    }

    for _ in 0..total {
        rx.recv().unwrap();
    }

    assert_eq!(rx.recv_timeout(ms(1)), Err(RecvTimeoutError::Timeout));
    tx.send(()).unwrap();
    assert_eq!(rx.recv_timeout(ms(1)), Ok(()));
    for t in ts {
        t.join().unwrap();
    }
});

both!(shared_chan_stress, |_m| {
    let (tx, rx) = channel();
    let total = stress_factor() + 100;
    let mut ts = Vec::with_capacity(total);
    for _ in 0..total {
        let tx = tx.clone();
        let t = thread::spawn(move || {
            tx.send(()).unwrap();
        });
        ts.push(t);
    }

    for _ in 0..total {
        rx.recv().unwrap();
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(test_nested_recv_iter, |_m| {
    let (tx, rx) = channel::<i32>();
    let (total_tx, total_rx) = channel::<i32>();

    let t = thread::spawn(move || {
        let mut acc = 0;
        for x in rx.iter() {
            acc += x;
        }
        total_tx.send(acc).unwrap();
    });

    tx.send(3).unwrap();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    assert_eq!(total_rx.recv().unwrap(), 6);
    t.join().unwrap();
});

both!(test_recv_iter_break, |_m| {
    let (tx, rx) = channel::<i32>();
    let (count_tx, count_rx) = channel();

    let t = thread::spawn(move || {
        let mut count = 0;
        for x in rx.iter() {
            if count >= 3 {
                break;
            } else {
                count += x;
            }
        }
        count_tx.send(count).unwrap();
    });

    tx.send(2).unwrap();
    tx.send(2).unwrap();
    tx.send(2).unwrap();
    let _ = tx.send(2);
    drop(tx);
    assert_eq!(count_rx.recv().unwrap(), 4);
    t.join().unwrap();
});

both!(test_recv_try_iter, |_m| {
    let (request_tx, request_rx) = channel();
    let (response_tx, response_rx) = channel();

    // Request `x`s until we have `6`.
    let t = thread::spawn(move || {
        let mut count = 0;
        loop {
            for x in response_rx.try_iter() {
                count += x;
                if count == 6 {
                    return count;
                }
            }
            request_tx.send(()).unwrap();
        }
    });

    for _ in request_rx.iter() {
        if response_tx.send(2).is_err() {
            break;
        }
    }

    assert_eq!(t.join().unwrap(), 6);
});

both!(test_recv_into_iter_owned, |_m| {
    let mut iter = {
        let (tx, rx) = channel::<i32>();
        tx.send(1).unwrap();
        tx.send(2).unwrap();

        rx.into_iter()
    };
    assert_eq!(iter.next().unwrap(), 1);
    assert_eq!(iter.next().unwrap(), 2);
    assert!(iter.next().is_none());
});

both!(test_recv_into_iter_borrowed, |_m| {
    let (tx, rx) = channel::<i32>();
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    drop(tx);
    let mut iter = (&rx).into_iter();
    assert_eq!(iter.next().unwrap(), 1);
    assert_eq!(iter.next().unwrap(), 2);
    assert!(iter.next().is_none());
});

both!(try_recv_states, |_m| {
    let (tx1, rx1) = channel::<i32>();
    let (tx2, rx2) = channel::<()>();
    let (tx3, rx3) = channel::<()>();
    let t = thread::spawn(move || {
        rx2.recv().unwrap();
        tx1.send(1).unwrap();
        tx3.send(()).unwrap();
        rx2.recv().unwrap();
        drop(tx1);
        tx3.send(()).unwrap();
    });

    assert_eq!(rx1.try_recv(), Err(TryRecvError::Empty));
    tx2.send(()).unwrap();
    rx3.recv().unwrap();
    assert_eq!(rx1.try_recv(), Ok(1));
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Empty));
    tx2.send(()).unwrap();
    rx3.recv().unwrap();
    assert_eq!(rx1.try_recv(), Err(TryRecvError::Disconnected));
    t.join().unwrap();
});

// This bug used to end up in a livelock inside of the Receiver destructor
// because the internal state of the Shared packet was corrupted
both!(destroy_upgraded_shared_port_when_sender_still_active, |_m| {
    let (tx, rx) = channel();
    let (tx2, rx2) = channel();
    let t = thread::spawn(move || {
        rx.recv().unwrap(); // wait on a oneshot
        drop(rx); // destroy a shared
        tx2.send(()).unwrap();
    });
    // make sure the other thread has gone to sleep
    for _ in 0..5000 {
        thread::yield_now();
    }

    // upgrade to a shared chan and send a message
    let tx2 = tx.clone();
    drop(tx);
    tx2.send(()).unwrap();

    // wait for the child thread to exit before we exit
    rx2.recv().unwrap();
    t.join().unwrap();
});

both!(issue_32114, |_m| {
    let (tx, _) = channel();
    let _ = tx.send(123);
    assert_eq!(tx.send(123), Err(SendError(123)));
});
