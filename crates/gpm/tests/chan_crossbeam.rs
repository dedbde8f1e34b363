//! crossbeam-channel's test files (`list.rs`, `array.rs`, `zero.rs`, `iter.rs`, `mpsc.rs`,
//! `same_channel.rs`), ported in spirit: each body runs on plain threads and on goroutines
//! (`both!`). Counts are small: the behaviour, not the load, is under test. Plus `close`
//! and the destructor-panic rule, which crossbeam-channel's `panic_on_drop` tests check.

mod chan_support;

use gpm::chan::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError, bounded,
    never, unbounded,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

// ---- list.rs ----

both!(list_smoke, |_m| {
    let (s, r) = unbounded();
    s.try_send(7).unwrap();
    assert_eq!(r.try_recv(), Ok(7));
    s.send(8).unwrap();
    assert_eq!(r.recv(), Ok(8));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(r.recv_timeout(MS), Err(RecvTimeoutError::Timeout));
});

both!(list_capacity_len, |_m| {
    let (s, r) = unbounded::<usize>();
    assert_eq!((s.capacity(), r.capacity()), (None, None));
    assert!(s.is_empty() && !s.is_full() && !r.is_full());
    // Cross several blocks (31 messages each) to exercise the index arithmetic of `len`.
    for i in 0..100 {
        s.send(i).unwrap();
        assert_eq!((s.len(), r.len()), (i + 1, i + 1));
    }
    for i in 0..100 {
        assert_eq!(r.recv(), Ok(i));
        assert_eq!(r.len(), 99 - i);
    }
    assert!(r.is_empty());
});

both!(list_recv_blocks, |m| {
    let (s, r) = unbounded();
    let h = m.spawn(move || {
        assert_eq!(r.recv(), Ok(7));
        m.sleep_ms(20);
        assert_eq!(r.recv(), Ok(8));
        m.sleep_ms(20);
        assert_eq!(r.recv(), Ok(9));
        assert_eq!(r.recv(), Err(RecvError));
    });
    m.sleep_ms(20);
    s.send(7).unwrap();
    s.send(8).unwrap();
    s.send(9).unwrap();
    drop(s);
    h.join();
});

both!(list_recv_timeout, |m| {
    let (s, r) = unbounded::<i32>();
    let h = m.spawn(move || {
        assert_eq!(r.recv_timeout(MS), Err(RecvTimeoutError::Timeout));
        assert_eq!(r.recv_timeout(Duration::from_secs(5)), Ok(7));
        assert_eq!(r.recv_timeout(Duration::from_secs(5)), Err(RecvTimeoutError::Disconnected));
    });
    m.sleep_ms(20);
    s.send(7).unwrap();
    drop(s);
    h.join();
});

both!(list_disconnect, |m| {
    let (s, r) = unbounded::<i32>();
    drop(r);
    assert_eq!(s.send(1), Err(SendError(1)));
    assert_eq!(s.try_send(2), Err(TrySendError::Disconnected(2)));
    assert_eq!(s.send_timeout(3, MS), Err(SendTimeoutError::Disconnected(3)));
    assert!(s.is_disconnected());
    let (s, r) = unbounded::<i32>();
    s.send(1).unwrap();
    let h = m.spawn(move || {
        m.sleep_ms(20);
        drop(s);
    });
    assert_eq!(r.recv(), Ok(1));
    assert_eq!(r.recv(), Err(RecvError)); // wakes at the disconnect
    assert!(r.is_disconnected());
    h.join();
});

both!(list_mpmc, |m| {
    const N: usize = 2_000;
    const T: usize = 4;
    let (s, r) = unbounded::<usize>();
    let seen = Arc::new((0..N).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    let mut hs = Vec::new();
    for _ in 0..T {
        let (s, r, seen) = (s.clone(), r.clone(), seen.clone());
        hs.push(m.spawn(move || {
            for i in 0..N / T {
                s.send(i).unwrap();
            }
            drop(s);
            for _ in 0..N / T {
                let v = r.recv().unwrap();
                seen[v].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    hs.into_iter().for_each(|h| h.join());
    for (i, c) in seen.iter().enumerate() {
        assert_eq!(c.load(Ordering::Relaxed), if i < N / T { T } else { 0 }, "value {i}");
    }
    drop(s);
    assert_eq!(r.try_recv(), Err(TryRecvError::Disconnected));
});

both!(list_spsc_order, |m| {
    const N: usize = 5_000;
    let (s, r) = unbounded();
    let h = m.spawn(move || {
        for i in 0..N {
            s.send(i).unwrap();
        }
    });
    for i in 0..N {
        assert_eq!(r.recv(), Ok(i));
    }
    h.join();
});

// Every message is dropped exactly once, whether received, left in the channel when the
// last receiver goes, or left when the senders go last.
both!(list_drops, |_m| {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct D;
    impl Drop for D {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    for (sent, taken, receivers_first) in [(0, 0, true), (40, 10, true), (100, 99, false)] {
        DROPS.store(0, Ordering::Relaxed);
        let (s, r) = unbounded();
        for _ in 0..sent {
            s.send(D).unwrap();
        }
        for _ in 0..taken {
            r.recv().unwrap();
        }
        assert_eq!(DROPS.load(Ordering::Relaxed), taken);
        if receivers_first {
            drop(r);
            assert_eq!(DROPS.load(Ordering::Relaxed), sent);
            drop(s);
        } else {
            drop(s);
            drop(r);
        }
        assert_eq!(DROPS.load(Ordering::Relaxed), sent);
    }
});

/// crossbeam's `panic_on_drop`: the first destructor panic reaches the dropper of the last
/// receiver; the messages after it are leaked, not dropped during the unwind (which would
/// abort the process).
fn panic_on_drop(make: fn() -> (gpm::chan::Sender<Msg>, gpm::chan::Receiver<Msg>)) {
    let (a, b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (s, r) = make();
    s.send(Msg(a.clone())).unwrap();
    s.send(Msg(b.clone())).unwrap();
    drop(s);
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(r)));
    assert_eq!(*res.unwrap_err().downcast_ref::<&str>().unwrap(), "first drop");
    assert_eq!(a.load(Ordering::Relaxed), 1);
    assert_eq!(b.load(Ordering::Relaxed), 0, "the message after the panic is leaked");
}

struct Msg(Arc<AtomicUsize>);
impl Drop for Msg {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        panic!("first drop");
    }
}

#[test]
fn panic_on_drop_bounded() {
    panic_on_drop(|| bounded(2));
}

#[test]
fn panic_on_drop_unbounded() {
    panic_on_drop(unbounded);
}

// ---- array.rs / zero.rs ----

both!(bounded_send_timeout, |m| {
    let (s, r) = bounded(2);
    s.send(1).unwrap();
    s.send(2).unwrap();
    assert_eq!(s.send_timeout(3, MS), Err(SendTimeoutError::Timeout(3)));
    let h = m.spawn(move || {
        m.sleep_ms(20);
        assert_eq!(r.recv(), Ok(1));
        r
    });
    assert_eq!(s.send_timeout(3, Duration::from_secs(5)), Ok(()));
    let r = h.join();
    assert_eq!(r.try_iter().collect::<Vec<_>>(), [2, 3]);
});

both!(zero_rendezvous, |m| {
    let (s, r) = bounded(0);
    assert_eq!(s.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!((s.capacity(), s.len(), s.is_full()), (Some(0), 0, true));
    let h = m.spawn(move || {
        for i in 0..100 {
            s.send(i).unwrap();
        }
    });
    for i in 0..100 {
        assert_eq!(r.recv(), Ok(i));
    }
    h.join();
    assert_eq!(r.recv(), Err(RecvError));
});

// ---- close (Go's close) ----

both!(close_drains_then_disconnects, |m| {
    for make in [bounded::<i32> as fn(usize) -> _, |_| unbounded()] {
        let (s, r) = make(4);
        let s2 = s.clone();
        s.send(1).unwrap();
        s.send(2).unwrap();
        assert!(s2.close());
        assert!(!s.close(), "already closed");
        assert_eq!(s.send(3), Err(SendError(3)));
        assert_eq!(s2.try_send(4), Err(TrySendError::Disconnected(4)));
        assert!(s.is_disconnected() && r.is_disconnected());
        assert_eq!(r.recv(), Ok(1));
        assert_eq!(r.recv(), Ok(2));
        assert_eq!(r.recv(), Err(RecvError));
        // A receiver blocked before the close wakes up.
        let (s, r) = make(0);
        let h = m.spawn(move || r.recv());
        m.sleep_ms(20);
        s.close();
        assert_eq!(h.join(), Err(RecvError));
    }
});

both!(close_fails_blocked_sender, |m| {
    let (s, r) = bounded(1);
    s.send(1).unwrap();
    let s2 = s.clone();
    let h = m.spawn(move || s2.send(2));
    m.sleep_ms(20);
    s.close();
    assert_eq!(h.join(), Err(SendError(2)));
    assert_eq!(r.iter().collect::<Vec<_>>(), [1]);
});

// ---- iter.rs ----

both!(iter_variants, |m| {
    let (s, r) = unbounded();
    let h = m.spawn(move || {
        for i in 0..10 {
            s.send(i).unwrap();
        }
    });
    h.join();
    assert_eq!(r.try_iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(r.iter().take(3).collect::<Vec<_>>(), [3, 4, 5]);
    assert_eq!(r.into_iter().collect::<Vec<_>>(), [6, 7, 8, 9]);
});

// ---- mpsc.rs (std's mpsc tests on crossbeam) ----

both!(mpsc_stress_shared, |m| {
    const AMT: usize = 1_000;
    const NTHREADS: usize = 8;
    let (tx, rx) = unbounded::<i32>();
    let h = m.spawn(move || {
        for _ in 0..AMT * NTHREADS {
            assert_eq!(rx.recv().unwrap(), 1);
        }
        assert!(rx.try_recv().is_err());
    });
    let hs: Vec<_> = (0..NTHREADS)
        .map(|_| {
            let tx = tx.clone();
            m.spawn(move || {
                for _ in 0..AMT {
                    tx.send(1).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    hs.into_iter().for_each(|h| h.join());
    h.join();
});

both!(mpsc_oneshot_recv_before_send, |m| {
    let (tx, rx) = unbounded::<Box<i32>>();
    let h = m.spawn(move || assert_eq!(*rx.recv().unwrap(), 10));
    m.sleep_ms(5);
    tx.send(Box::new(10)).unwrap();
    h.join();
});

// ---- same_channel.rs ----

#[test]
fn same_channel() {
    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = bounded::<()>(1);
    assert!(s1.same_channel(&s1.clone()) && r1.same_channel(&r1.clone()));
    assert!(!s1.same_channel(&s2) && !r1.same_channel(&r2));
    assert!(never::<()>().same_channel(&never()));
    assert!(gpm::chan::Sender::<()>::never().same_channel(&gpm::chan::Sender::never()));
    assert!(!r1.same_channel(&never()));
    let t = gpm::chan::after(MS);
    assert!(t.same_channel(&t.clone()) && !t.same_channel(&gpm::chan::after(MS)));
}

// ---- never.rs ----

both!(never_waits_its_timeout, |_m| {
    let r = never::<i32>();
    let start = Instant::now();
    assert_eq!(r.recv_timeout(Duration::from_millis(20)), Err(RecvTimeoutError::Timeout));
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    assert_eq!((r.len(), r.capacity(), r.is_disconnected()), (0, Some(0), false));
    let s = gpm::chan::Sender::<i32>::never();
    assert_eq!(s.try_send(1), Err(TrySendError::Full(1)));
    assert_eq!(s.send_timeout(2, MS), Err(SendTimeoutError::Timeout(2)));
});
