//! crossbeam-channel's `tests/select.rs`, ported whole: 39 tests, 38 ported,
//! 1 kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts,
//! except in the `*fairness*` tests, which take its full counts: with Miri's, a
//! statistical bound such as "each of 5 arms wins 10 of 100" fails about 1 run in 100.
//! The `uncompleted_*` tests assert crossbeam's own hangs (its TODOs); they pass as is:
//! gpm leaves the same operations blocked.
//!
//! Kept out:
//! - `forget_select_bounded`: it asserts crossbeam's own defect (its `TODO: should not
//!   hang`): dropping the channel's last handles while a forgotten `SelectedOperation`
//!   holds a reserved place hangs in crossbeam; gpm does not hang there, so the assertion
//!   `!ready` fails.
//!
//! crossbeam's own header follows.
//!
//! Tests for channel selection using the `Select` struct.

use crate::both;
use crate::chan_support;

use chan_support::scope::ms;

use std::{
    any::Any,
    cell::Cell,
    mem,
    sync::{
        Arc, Barrier,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use gpm::chan::{Receiver, Select, TryRecvError, after, bounded, tick, unbounded};

mod part1;
mod part2;
mod part3;
