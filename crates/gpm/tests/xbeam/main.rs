//! crossbeam-channel's own test files, ported whole to gpm's channels: one module per
//! crossbeam file (each module's header gives its counts and every test kept out, with the
//! reason), every body run on plain threads and on goroutines (`both!`). One test binary,
//! not fourteen: each would link gpm on its own.

#[macro_use]
#[path = "../chan_support/mod.rs"]
mod chan_support;

mod after;
mod array;
mod golang;
mod iter;
mod list;
mod mpsc;
mod never;
mod ready;
mod same_channel;
mod select;
mod select_macro;
mod thread_locals;
mod tick;
mod zero;
