//! crossbeam-channel's `tests/never.rs`, ported whole: 7 tests, 7 ported,
//! none kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts.
//!
//! crossbeam's own header follows.
//!
//! Tests for the never channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::time::Instant;

use gpm::chan::{never, tick, unbounded};

both!(smoke, |_m| {
    gpm::select! {
        recv(never::<i32>()) -> _ => panic!(),
        default => {}
    }
});

both!(optional, |_m| {
    let (s, r) = unbounded::<i32>();
    s.send(1).unwrap();
    s.send(2).unwrap();

    let mut r = Some(&r);
    gpm::select! {
        recv(r.unwrap_or(&never())) -> _ => {}
        default => panic!(),
    }

    r = None;
    gpm::select! {
        recv(r.unwrap_or(&never())) -> _ => panic!(),
        default => {}
    }
});

both!(tick_n, |_m| {
    let mut r = tick(ms(100));
    let mut step = 0;

    loop {
        gpm::select! {
            recv(r) -> _ => step += 1,
            default(ms(500)) => break,
        }

        if step == 10 {
            r = never();
        }
    }

    assert_eq!(step, 10);
});

both!(capacity, |_m| {
    let r = never::<i32>();
    assert_eq!(r.capacity(), Some(0));
});

both!(len_empty_full, |_m| {
    let r = never::<i32>();
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    assert!(r.is_full());
});

both!(try_recv, |m| {
    let r = never::<i32>();
    assert!(r.try_recv().is_err());

    m.sleep(ms(100));
    assert!(r.try_recv().is_err());
});

both!(recv_timeout, |_m| {
    let start = Instant::now();
    let r = never::<i32>();

    assert!(r.recv_timeout(ms(100)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(100));
    assert!(now - start <= ms(150));

    assert!(r.recv_timeout(ms(100)).is_err());
    let now = Instant::now();
    assert!(now - start >= ms(200));
    assert!(now - start <= ms(250));
});
