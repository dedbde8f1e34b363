//! crossbeam-channel's `tests/ready.rs`, ported whole: 24 tests, 23 ported,
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
//! - `fairness2`: documented difference: a blocked `Select` send on `bounded(0)` waits to
//!   see a blocked receiver and is not itself a waiting sender, so the receiving side's
//!   `ready()` + `try_recv` never pairs with it (deadlocks here).
//!
//! crossbeam's own header follows.
//!
//! Tests for channel readiness using the `Select` struct.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{any::Any, cell::Cell, time::Instant};

use gpm::chan::{Receiver, Select, TryRecvError, TrySendError, after, bounded, tick, unbounded};

mod part1;
mod part2;
