//! Part 2 of the `sync_channel_tests` module of the `mpsc.rs` port.

use super::*;

both!(oneshot_multi_thread_close_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = sync_channel::<i32>(0);
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
    let mut ts = Vec::with_capacity(stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = sync_channel::<i32>(0);
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
        let (tx, rx) = sync_channel::<i32>(0);
        let t = thread::spawn(move || {
            thread::spawn(move || {
                assert_eq!(rx.recv(), Err(RecvError));
            })
            .join()
            .unwrap();
        });
        ts.push(t);
        let t2 = thread::spawn(move || {
            thread::spawn(move || {
                drop(tx);
            });
        });
        ts.push(t2);
    }
    for t in ts {
        t.join().unwrap();
    }
});

both!(oneshot_multi_thread_send_recv_stress, |_m| {
    let stress_factor = stress_factor();
    let mut ts = Vec::with_capacity(stress_factor);
    for _ in 0..stress_factor {
        let (tx, rx) = sync_channel::<Box<i32>>(0);
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
        let (tx, rx) = sync_channel::<Box<i32>>(0);

        if let Some(t) = send(tx, 0) {
            ts.push(t);
        }
        if let Some(t) = recv(rx, 0) {
            ts.push(t);
        }

        fn send(tx: SyncSender<Box<i32>>, i: i32) -> Option<JoinHandle<()>> {
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

both!(recv_a_lot, |_m| {
    const N: usize = 100;

    // Regression test that we don't run out of stack in scheduler context
    let (tx, rx) = sync_channel(N);
    for _ in 0..N {
        tx.send(()).unwrap();
    }
    for _ in 0..N {
        rx.recv().unwrap();
    }
});

both!(shared_chan_stress, |_m| {
    let (tx, rx) = sync_channel(0);
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
    let (tx, rx) = sync_channel::<i32>(0);
    let (total_tx, total_rx) = sync_channel::<i32>(0);

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
    let (tx, rx) = sync_channel::<i32>(0);
    let (count_tx, count_rx) = sync_channel(0);

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
    let _ = tx.try_send(2);
    drop(tx);
    assert_eq!(count_rx.recv().unwrap(), 4);
    t.join().unwrap();
});

both!(try_recv_states, |_m| {
    let (tx1, rx1) = sync_channel::<i32>(1);
    let (tx2, rx2) = sync_channel::<()>(1);
    let (tx3, rx3) = sync_channel::<()>(1);
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
    let (tx, rx) = sync_channel::<()>(0);
    let (tx2, rx2) = sync_channel::<()>(0);
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

both!(send1, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        rx.recv().unwrap();
    });
    assert_eq!(tx.send(1), Ok(()));
    t.join().unwrap();
});

both!(send2, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let t = thread::spawn(move || {
        drop(rx);
    });
    assert!(tx.send(1).is_err());
    t.join().unwrap();
});

both!(send3, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(tx.send(1), Ok(()));
    let t = thread::spawn(move || {
        drop(rx);
    });
    assert!(tx.send(1).is_err());
    t.join().unwrap();
});

both!(send4, |_m| {
    let (tx, rx) = sync_channel::<i32>(0);
    let tx2 = tx.clone();
    let (done, donerx) = channel();
    let done2 = done.clone();
    let t = thread::spawn(move || {
        assert!(tx.send(1).is_err());
        done.send(()).unwrap();
    });
    let t2 = thread::spawn(move || {
        assert!(tx2.send(2).is_err());
        done2.send(()).unwrap();
    });
    drop(rx);
    donerx.recv().unwrap();
    donerx.recv().unwrap();
    t.join().unwrap();
    t2.join().unwrap();
});

both!(try_send1, |_m| {
    let (tx, _rx) = sync_channel::<i32>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
});

both!(try_send2, |_m| {
    let (tx, _rx) = sync_channel::<i32>(1);
    assert_eq!(tx.try_send(1), Ok(()));
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
});

both!(try_send3, |_m| {
    let (tx, rx) = sync_channel::<i32>(1);
    assert_eq!(tx.try_send(1), Ok(()));
    drop(rx);
    assert_eq!(tx.try_send(1), Err(TrySendError::Disconnected(1)));
});

both!(issue_15761, |_m| {
    fn repro() {
        let (tx1, rx1) = sync_channel::<()>(3);
        let (tx2, rx2) = sync_channel::<()>(3);

        let _t = thread::spawn(move || {
            rx1.recv().unwrap();
            tx2.try_send(()).unwrap();
        });

        tx1.try_send(()).unwrap();
        rx2.recv().unwrap();
    }

    for _ in 0..100 {
        repro()
    }
});
