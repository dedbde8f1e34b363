//! crossbeam-channel's `tests/array.rs`, ported whole: 27 tests, 26 ported,
//! 1 kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts,
//! except in the `*fairness*` tests, which take its full counts: with Miri's, a
//! statistical bound such as "each of 5 arms wins 10 of 100" fails about 1 run in 100.
//!
//! Kept out:
//! - `recv_in_send`: a send arm's message is evaluated before the select (Go's rule), so
//!   `send(s, panic!())` panics although `default` wins; its second half is list.rs's
//!   `recv_in_send`, ported.
//!
//! crossbeam's own header follows.
//!
//! Tests for the array channel flavor.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{
    any::Any,
    rc::Rc,
    sync::atomic::{AtomicUsize, Ordering},
};

use gpm::chan::{
    Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
    bounded,
};

mod part1;
mod part2;
