//! Part 3 of crossbeam-channel's `select.rs` port (see `mod.rs`).

use super::*;

both!(fairness1, |_m| {
    const COUNT: usize = 10_000;

    let (s1, r1) = bounded::<()>(COUNT);
    let (s2, r2) = unbounded::<()>();

    for _ in 0..COUNT {
        s1.send(()).unwrap();
        s2.send(()).unwrap();
    }

    let hits = vec![Cell::new(0usize); 4];
    for _ in 0..COUNT {
        let after = after(ms(0));
        let tick = tick(ms(0));

        let mut sel = Select::new();
        let oper1 = sel.recv(&r1);
        let oper2 = sel.recv(&r2);
        let oper3 = sel.recv(&after);
        let oper4 = sel.recv(&tick);
        let oper = sel.select();
        match oper.index() {
            i if i == oper1 => {
                oper.recv(&r1).unwrap();
                hits[0].set(hits[0].get() + 1);
            }
            i if i == oper2 => {
                oper.recv(&r2).unwrap();
                hits[1].set(hits[1].get() + 1);
            }
            i if i == oper3 => {
                oper.recv(&after).unwrap();
                hits[2].set(hits[2].get() + 1);
            }
            i if i == oper4 => {
                oper.recv(&tick).unwrap();
                hits[3].set(hits[3].get() + 1);
            }
            _ => unreachable!(),
        }
    }
    assert!(hits.iter().all(|x| x.get() >= COUNT / hits.len() / 2));
});

both!(fairness2, |m| {
    const COUNT: usize = 10_000;

    let (s1, r1) = unbounded::<()>();
    let (s2, r2) = bounded::<()>(1);
    let (s3, r3) = bounded::<()>(0);

    m.scope(|scope| {
        scope.spawn(|| {
            for _ in 0..COUNT {
                let mut sel = Select::new();
                let mut oper1 = None;
                let mut oper2 = None;
                if s1.is_empty() {
                    oper1 = Some(sel.send(&s1));
                }
                if s2.is_empty() {
                    oper2 = Some(sel.send(&s2));
                }
                let oper3 = sel.send(&s3);
                let oper = sel.select();
                match oper.index() {
                    i if Some(i) == oper1 => assert!(oper.send(&s1, ()).is_ok()),
                    i if Some(i) == oper2 => assert!(oper.send(&s2, ()).is_ok()),
                    i if i == oper3 => assert!(oper.send(&s3, ()).is_ok()),
                    _ => unreachable!(),
                }
            }
        });

        let hits = vec![Cell::new(0usize); 3];
        for _ in 0..COUNT {
            let mut sel = Select::new();
            let oper1 = sel.recv(&r1);
            let oper2 = sel.recv(&r2);
            let oper3 = sel.recv(&r3);
            let oper = sel.select();
            match oper.index() {
                i if i == oper1 => {
                    oper.recv(&r1).unwrap();
                    hits[0].set(hits[0].get() + 1);
                }
                i if i == oper2 => {
                    oper.recv(&r2).unwrap();
                    hits[1].set(hits[1].get() + 1);
                }
                i if i == oper3 => {
                    oper.recv(&r3).unwrap();
                    hits[2].set(hits[2].get() + 1);
                }
                _ => unreachable!(),
            }
        }
        assert!(hits.iter().all(|x| x.get() >= COUNT / hits.len() / 50));
    })
    .unwrap();
});

both!(sync_and_clone, |m| {
    const THREADS: usize = 20;

    let (s, r) = &bounded::<usize>(0);

    let mut sel = Select::new();
    let oper1 = sel.recv(r);
    let oper2 = sel.send(s);
    let sel = &sel;

    m.scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || {
                let mut sel = sel.clone();
                let oper = sel.select();
                match oper.index() {
                    ix if ix == oper1 => assert_ne!(oper.recv(r), Ok(i)),
                    ix if ix == oper2 => assert!(oper.send(s, i).is_ok()),
                    _ => unreachable!(),
                }
            });
        }
    })
    .unwrap();

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(send_and_clone, |m| {
    const THREADS: usize = 20;

    let (s, r) = &bounded::<usize>(0);

    let mut sel = Select::new();
    let oper1 = sel.recv(r);
    let oper2 = sel.send(s);

    m.scope(|scope| {
        for i in 0..THREADS {
            let mut sel = sel.clone();
            scope.spawn(move || {
                let oper = sel.select();
                match oper.index() {
                    ix if ix == oper1 => assert_ne!(oper.recv(r), Ok(i)),
                    ix if ix == oper2 => assert!(oper.send(s, i).is_ok()),
                    _ => unreachable!(),
                }
            });
        }
    })
    .unwrap();

    assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
});

both!(reuse, |m| {
    const COUNT: usize = 50;

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

        let mut sel = Select::new();
        let oper1 = sel.recv(&r1);
        let oper2 = sel.send(&s2);

        for i in 0..COUNT {
            for _ in 0..2 {
                let oper = sel.select();
                match oper.index() {
                    ix if ix == oper1 => assert_eq!(oper.recv(&r1), Ok(i)),
                    ix if ix == oper2 => assert!(oper.send(&s2, i).is_ok()),
                    _ => unreachable!(),
                }
            }
            s3.send(()).unwrap();
        }
    })
    .unwrap();
});

// https://github.com/crossbeam-rs/crossbeam/issues/1096
both!(issue_1096, |m| {
    // unbounded recv
    let (tx, rx) = unbounded::<u32>();
    tx.send(123).unwrap();
    let mut select = Select::new();
    select.recv(&rx);
    let operation = select.select();
    assert_eq!(operation.recv(&rx.clone()).unwrap(), 123);

    // unbounded send
    let (tx, rx) = unbounded::<u32>();
    let mut select = Select::new();
    select.send(&tx);
    let operation = select.select();
    operation.send(&tx.clone(), 124).unwrap();
    assert_eq!(rx.recv().unwrap(), 124);

    // bounded(2) recv
    let (tx, rx) = bounded::<u32>(2);
    tx.send(123).unwrap();
    let mut select = Select::new();
    select.recv(&rx);
    let operation = select.select();
    assert_eq!(operation.recv(&rx.clone()).unwrap(), 123);

    // bounded(2) send
    let (tx, rx) = bounded::<u32>(2);
    let mut select = Select::new();
    select.send(&tx);
    let operation = select.select();
    operation.send(&tx.clone(), 124).unwrap();
    assert_eq!(rx.recv().unwrap(), 124);

    // zero recv
    let (tx, rx) = bounded::<u32>(0);
    m.scope(|scope| {
        scope.spawn(|| tx.send(123).unwrap());
        let mut select = Select::new();
        select.recv(&rx);
        let operation = select.select();
        assert_eq!(operation.recv(&rx.clone()).unwrap(), 123);
    })
    .unwrap();

    // zero send
    let (tx, rx) = bounded::<u32>(0);
    m.scope(|scope| {
        scope.spawn(|| assert_eq!(rx.recv().unwrap(), 124));
        let mut select = Select::new();
        select.send(&tx);
        let operation = select.select();
        operation.send(&tx.clone(), 124).unwrap();
    })
    .unwrap();
});

// TODO: should panic instead of hang
// #[should_panic(expected = "dropped `SelectedOperation` without completing the operation")]
both!(uncompleted_select_unbounded, |m| {
    // https://github.com/rust-lang/miri/issues/1371
    if option_env!("MIRI_LEAK_CHECK").is_some() {
        return;
    }
    for i in 0..=1 {
        let barrier = Arc::new(Barrier::new(2));
        let barrier2 = barrier.clone();
        let ready = Arc::new(AtomicBool::new(false));
        let ready2 = ready.clone();
        m.spawn(move || {
            let (s, _r) = unbounded::<Box<u8>>();
            for i in 0..i {
                s.send(Box::new(i)).unwrap();
            }
            let mut sel = Select::new();
            sel.send(&s);
            let op = sel.try_select().unwrap();
            barrier2.wait();
            drop(op);
            ready2.store(true, Ordering::Relaxed);
        });
        barrier.wait();
        m.sleep(ms(5000));
        assert!(!ready.load(Ordering::Relaxed));
    }
});
// TODO: should panic instead of hang
// #[should_panic(expected = "dropped `SelectedOperation` without completing the operation")]
both!(uncompleted_select_bounded, |m| {
    // https://github.com/rust-lang/miri/issues/1371
    if option_env!("MIRI_LEAK_CHECK").is_some() {
        return;
    }
    for i in 0..=2 {
        let barrier = Arc::new(Barrier::new(2));
        let barrier2 = barrier.clone();
        let ready = Arc::new(AtomicBool::new(false));
        let ready2 = ready.clone();
        m.spawn(move || {
            let (s, _r) = bounded::<Box<u8>>(2);
            for i in 0..i {
                s.send(Box::new(i)).unwrap();
            }
            let mut sel = Select::new();
            if i == 2 {
                barrier2.wait();
                sel.send(&s);
                panic!();
            }
            sel.send(&s);
            let op = sel.try_select().unwrap();
            barrier2.wait();
            drop(op);
            ready2.store(true, Ordering::Relaxed);
        });
        barrier.wait();
        m.sleep(ms(5000));
        assert!(!ready.load(Ordering::Relaxed));
    }
});
both!(uncompleted_select_zero, |m| {
    // https://github.com/rust-lang/miri/issues/1371
    if option_env!("MIRI_LEAK_CHECK").is_some() {
        return;
    }
    let barrier = Arc::new(Barrier::new(2));
    let barrier2 = barrier.clone();
    let ready = Arc::new(AtomicBool::new(false));
    let ready2 = ready.clone();
    let (s, r) = bounded::<Box<u8>>(0);
    m.spawn(move || {
        barrier2.wait();
        // TODO: should error instead hang
        r.recv().unwrap();
        ready2.store(true, Ordering::Relaxed);
    });
    barrier.wait();
    m.sleep(ms(1000)); // wait for register of receiver.
    let res = std::panic::catch_unwind(move || {
        let mut sel = Select::new();
        sel.send(&s);
        drop(sel.try_select().unwrap());
    });
    assert_eq!(
        *res.unwrap_err().downcast_ref::<&str>().unwrap(),
        "dropped `SelectedOperation` without completing the operation"
    );
    m.sleep(ms(5000));
    assert!(!ready.load(Ordering::Relaxed));
});

both!(forget_select_unbounded, |m| {
    for i in 0..=1 {
        let (s, r) = unbounded::<Box<u8>>();
        for i in 0..i {
            s.send(Box::new(i)).unwrap();
        }
        let s2 = s.clone();
        let th = m.spawn(move || {
            let mut sel = Select::new();
            sel.send(&s2);
            let oper = sel.select();
            mem::forget(oper);
        });
        m.sleep(ms(50));
        drop(s);
        drop(r);
        th.join();
    }
});
// `forget_select_bounded`: kept out (see the header).
both!(forget_select_zero, |m| {
    let (s, r) = bounded::<Box<u8>>(0);
    let s2 = s.clone();
    let th = m.spawn(move || {
        let mut sel = Select::new();
        sel.send(&s2);
        let oper = sel.select();
        mem::forget(oper);
    });
    m.sleep(ms(50));
    drop(s);
    drop(r);
    th.join();
});
