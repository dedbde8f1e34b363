//! crossbeam-channel's `tests/select_macro.rs`, ported whole: 59 tests, 59 ported,
//! none kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts,
//! except in the `*fairness*` tests, which take its full counts: with Miri's, a
//! statistical bound such as "each of 5 arms wins 10 of 100" fails about 1 run in 100.
//! `#![forbid(unsafe_code)]` is dropped: the shared support builds runtimes with `unsafe`.
//!
//! crossbeam's own header follows.
//!
//! Tests for the `gpm::select!` macro.
#![allow(clippy::match_single_binding)]

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{any::Any, cell::Cell, ops::Deref, time::Instant};

use gpm::chan::{
    Receiver, RecvError, SendError, Sender, TryRecvError, after, bounded, never, tick, unbounded,
};

mod part1;
mod part2;
mod part3;
