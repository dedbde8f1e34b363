//! crossbeam-channel's `select.rs`, `select_macro.rs`, `ready.rs`, `after.rs`, `tick.rs`
//! and `golang.rs` select cases, ported in spirit: each body runs on plain threads and on
//! goroutines (`both!`), with small counts.

mod chan_support;

use gpm::chan::{
    Receiver, RecvError, Select, SelectTimeoutError, Sender, TryReadyError, TrySelectError, after,
    at, bounded, never, tick, unbounded,
};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

// ---- select_macro.rs ----

both!(macro_unbounded_arms, |m| {
    let (s1, r1) = unbounded::<i32>();
    let (s2, r2) = unbounded::<i32>();
    let h = m.spawn(move || {
        m.sleep_ms(20);
        s2.send(2).unwrap();
        (s1, s2)
    });
    gpm::select! {
        recv(r1) -> _ => panic!("nothing on r1"),
        recv(r2) -> v => assert_eq!(v, Ok(2)),
    }
    let (s1, _s2) = h.join();
    drop(s1);
    gpm::select! {
        recv(r1) -> v => assert_eq!(v, Err(RecvError)),
        recv(r2,) -> _ => panic!("r2 is empty and still connected"),
    }
});

both!(macro_default_forms, |_m| {
    let (s, r) = bounded::<i32>(1);
    gpm::select! {
        recv(r) -> _ => panic!(),
        default() => {}
    }
    gpm::select! {
        recv(r) -> _ => panic!(),
        default(MS,) => {}
    }
    gpm::select! {
        send(s, 1,) -> res => res.unwrap(),
        default => panic!("room in the buffer"),
    }
    assert_eq!(r.recv(), Ok(1));
});

both!(macro_optional_channels, |_m| {
    let (s, r) = bounded::<i32>(1);
    s.send(1).unwrap();
    let some: Option<Receiver<i32>> = Some(r);
    let none: Option<Receiver<i32>> = None;
    let out: Option<Sender<i32>> = None;
    for _ in 0..10 {
        gpm::select! {
            recv(none.as_ref().unwrap_or(&never())) -> _ => panic!("a disabled arm"),
            send(out.as_ref().unwrap_or(&Sender::never()), 5) -> _ => panic!("a disabled arm"),
            default(MS) => {}
        }
    }
    gpm::select! {
        recv(some.as_ref().unwrap_or(&never())) -> v => assert_eq!(v, Ok(1)),
        recv(none.as_ref().unwrap_or(&never())) -> _ => panic!(),
    }
});

both!(macro_biased_order, |_m| {
    let (s1, r1) = unbounded();
    let (s2, r2) = unbounded();
    for _ in 0..50 {
        s1.send(1).unwrap();
        s2.send(2).unwrap();
        gpm::select_biased! {
            recv(r1) -> v => assert_eq!(v, Ok(1)),
            recv(r2) -> _ => panic!("the first ready arm wins"),
        }
        r2.recv().unwrap();
    }
});

// Go's random choice: both arms of an always-ready select are taken.
both!(macro_fairness, |_m| {
    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = unbounded::<()>();
    let mut hits = [0; 2];
    for _ in 0..400 {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
        gpm::select! {
            recv(r1) -> _ => { hits[0] += 1; r2.recv().unwrap(); }
            recv(r2) -> _ => { hits[1] += 1; r1.recv().unwrap(); }
        }
    }
    assert!(hits.iter().all(|&h| h > 50), "{hits:?}");
});

both!(macro_timer_arms, |_m| {
    let start = Instant::now();
    let timeout = after(Duration::from_millis(30));
    let t = tick(Duration::from_millis(10));
    let mut ticks = 0;
    loop {
        gpm::select! {
            recv(t) -> v => { assert!(v.unwrap() <= Instant::now()); ticks += 1; }
            recv(timeout) -> v => { assert!(v.unwrap() >= start + Duration::from_millis(30)); break; }
        }
    }
    assert!((1..=4).contains(&ticks), "{ticks} ticks in 30 ms of 10 ms");
    assert!(start.elapsed() >= Duration::from_millis(30));
});

// ---- after.rs / tick.rs ----

both!(after_once, |_m| {
    let start = Instant::now();
    let r = after(Duration::from_millis(20));
    assert_eq!(r.try_recv(), Err(gpm::chan::TryRecvError::Empty));
    let when = r.recv().unwrap();
    assert!(when >= start + Duration::from_millis(20) && Instant::now() >= when);
    assert_eq!(
        r.recv_timeout(Duration::from_millis(10)),
        Err(gpm::chan::RecvTimeoutError::Timeout)
    );
    assert_eq!(r.capacity(), Some(1));
    let r = at(Instant::now());
    assert!(r.recv_timeout(Duration::from_secs(5)).is_ok());
});

both!(tick_repeats, |m| {
    let r = tick(Duration::from_millis(5));
    let mut last = Instant::now();
    for _ in 0..5 {
        let t = r.recv().unwrap();
        assert!(t >= last);
        last = t;
    }
    // A slow reader gets one message for the ticks it missed.
    m.sleep_ms(30);
    assert!(r.try_recv().is_ok());
    assert!(r.try_recv().is_err());
});

// ---- select.rs (dynamic Select) ----

both!(dyn_recv_vec, |m| {
    let chans: Vec<_> = (0..40).map(|_| unbounded::<usize>()).collect();
    let senders: Vec<_> = chans.iter().map(|(s, _)| s.clone()).collect();
    let h = m.spawn(move || {
        for (i, s) in senders.iter().enumerate().rev() {
            s.send(i).unwrap();
        }
    });
    let mut sel = Select::new();
    for (_, r) in &chans {
        sel.recv(r);
    }
    let mut got = Vec::new();
    for _ in 0..40 {
        let oper = sel.select();
        let i = oper.index();
        got.push(oper.recv(&chans[i].1).unwrap());
        assert_eq!(got.last(), Some(&i));
    }
    got.sort_unstable();
    assert_eq!(got, (0..40).collect::<Vec<_>>());
    h.join();
});

both!(dyn_try_and_timeout, |_m| {
    let (s, r) = bounded::<i32>(0);
    let mut sel = Select::new();
    let i = sel.recv(&r);
    assert!(matches!(sel.try_select(), Err(TrySelectError)));
    let start = Instant::now();
    assert!(matches!(sel.select_timeout(Duration::from_millis(20)), Err(SelectTimeoutError)));
    assert!(start.elapsed() >= Duration::from_millis(20));
    drop(s);
    let oper = sel.try_select().unwrap();
    assert_eq!(oper.index(), i);
    assert_eq!(oper.recv(&r), Err(RecvError));
});

both!(dyn_send_reserves, |m| {
    let (s, r) = bounded::<i32>(1);
    let mut sel = Select::new();
    let i = sel.send(&s);
    let oper = sel.select();
    assert_eq!(oper.index(), i);
    // The place is promised: another sender finds the channel full.
    assert!(s.try_send(9).is_err());
    oper.send(&s, 1).unwrap();
    assert!(matches!(sel.try_select(), Err(TrySelectError)));
    let h = m.spawn(move || {
        m.sleep_ms(20);
        (r.recv().unwrap(), r)
    });
    let oper = sel.select(); // waits in the watch queue until the receive frees a place
    oper.send(&s, 2).unwrap();
    let (first, r) = h.join();
    assert_eq!((first, r.recv()), (1, Ok(2)));
});

both!(dyn_send_unbuffered, |m| {
    let (s, r) = bounded::<i32>(0);
    let h = m.spawn(move || r.recv());
    let mut sel = Select::new();
    sel.send(&s);
    let oper = sel.select();
    oper.send(&s, 5).unwrap();
    assert_eq!(h.join(), Ok(5));
});

// Two dynamic selects meet on an unbuffered channel: one receiving, one sending.
both!(dyn_select_meets_select, |m| {
    let (s, r) = bounded::<usize>(0);
    let s2 = s.clone();
    let h = m.spawn(move || {
        for i in 0..20 {
            let mut sel = Select::new();
            sel.send(&s2);
            sel.select().send(&s2, i).unwrap();
        }
    });
    for i in 0..20 {
        let mut sel = Select::new();
        sel.recv(&r);
        assert_eq!(sel.select().recv(&r), Ok(i));
    }
    h.join();
    drop(s);
});

both!(dyn_remove_and_biased, |_m| {
    let (s1, r1) = unbounded::<i32>();
    let (s2, r2) = unbounded::<i32>();
    s1.send(1).unwrap();
    s2.send(2).unwrap();
    let mut sel = Select::new_biased();
    let a = sel.recv(&r1);
    let b = sel.recv(&r2);
    assert_eq!(sel.try_ready(), Ok(a));
    sel.remove(a);
    let oper = sel.select();
    assert_eq!(oper.index(), b);
    assert_eq!(oper.recv(&r2), Ok(2));
});

#[test]
#[should_panic(expected = "without completing")]
fn dyn_dropped_uncompleted_panics() {
    let (s, _r) = unbounded::<i32>();
    let mut sel = Select::new();
    sel.send(&s);
    let oper = sel.select();
    drop(oper);
}

#[test]
#[should_panic(expected = "not the one selected")]
fn dyn_wrong_channel_panics() {
    let (s, r) = unbounded::<i32>();
    let (_s2, r2) = unbounded::<i32>();
    s.send(1).unwrap();
    let mut sel = Select::new();
    sel.recv(&r);
    let _ = sel.select().recv(&r2);
}

// ---- ready.rs ----

both!(ready_does_not_consume, |m| {
    let (s, r) = bounded::<i32>(0);
    let (s2, r2) = unbounded::<i32>();
    let mut sel = Select::new();
    let a = sel.recv(&r);
    let b = sel.recv(&r2);
    assert_eq!(sel.try_ready(), Err(TryReadyError));
    assert!(sel.ready_timeout(Duration::from_millis(10)).is_err());
    let h = m.spawn(move || {
        m.sleep_ms(20);
        s2.send(3).unwrap();
        s.send(4).unwrap();
    });
    assert_eq!(sel.ready(), b);
    assert_eq!(r2.try_recv(), Ok(3), "ready() left the message");
    assert_eq!(sel.ready(), a); // a sender blocked on the unbuffered channel
    assert_eq!(r.recv(), Ok(4));
    h.join();
});

both!(ready_send_side, |_m| {
    let (s, r) = bounded::<i32>(1);
    let mut sel = Select::new();
    let i = sel.send(&s);
    assert_eq!(sel.ready(), i);
    s.send(1).unwrap();
    assert_eq!(sel.try_ready(), Err(TryReadyError));
    drop(r);
    assert_eq!(sel.ready(), i, "a disconnected send is ready (it fails at once)");
});

// ---- golang.rs (select cases) ----

// Go's TestSelectStress-like: senders and receivers over a mix of flavors through select.
both!(golang_select_mixed, |m| {
    const N: usize = 300;
    let (s0, r0) = bounded::<usize>(0);
    let (s1, r1) = bounded::<usize>(3);
    let (s2, r2) = unbounded::<usize>();
    let h = m.spawn(move || {
        for i in 0..N {
            gpm::select! {
                send(s0, i) -> r => r.unwrap(),
                send(s1, i) -> r => r.unwrap(),
                send(s2, i) -> r => r.unwrap(),
            }
        }
        (s0, s1, s2) // disconnected arms would be ready: keep them until the end
    });
    let mut sum = 0;
    for _ in 0..N {
        gpm::select! {
            recv(r0) -> v => sum += v.unwrap(),
            recv(r1) -> v => sum += v.unwrap(),
            recv(r2) -> v => sum += v.unwrap(),
        }
    }
    drop(h.join());
    assert_eq!(sum, N * (N - 1) / 2);
});
