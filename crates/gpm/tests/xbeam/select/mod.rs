//! crossbeam-channel's `tests/select.rs`, ported whole: 39 tests, 34 ported,
//! 5 kept out.
//!
//! Each test runs on plain threads and on goroutines (`both!`: `name::threads`,
//! `name::goroutines`). crossbeam's `scope` is `m.scope` (std's or `gpm::scope`),
//! `thread::sleep(ms(n))` is `m.sleep(ms(n))`, with `ms` crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`; counts are crossbeam's Miri counts.
//! The `uncompleted_*` tests assert crossbeam's own hangs (its TODOs); they pass as is:
//! gpm leaves the same operations blocked.
//!
//! Kept out:
//! - `sync_and_clone`: gpm's `Select` is neither `Send` nor `Sync` (crossbeam's is both),
//!   so it cannot be shared with or moved to the spawned workers (a gap, not a documented
//!   difference).
//! - `send_and_clone`: gpm's `Select` is neither `Send` nor `Sync` (crossbeam's is both),
//!   so it cannot be shared with or moved to the spawned workers (a gap, not a documented
//!   difference).
//! - `matching`: documented difference: a `Select` send on `bounded(0)` may hand its
//!   message to a receiver other than the one it was paired with, so the sender's own
//!   receive finds it (deadlocks here).
//! - `matching_with_leftover`: as `matching`.
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
