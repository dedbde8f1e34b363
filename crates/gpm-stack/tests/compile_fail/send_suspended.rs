//! Without `unsafe`, a suspended `Coroutine` cannot be resumed on another thread: this job
//! holds a reference to its thread's thread-local across the suspension.
#![forbid(unsafe_code)]

use std::cell::Cell;

use gpm_stack::{Coroutine, Resumed, Stack};

thread_local! {
    static HITS: Cell<u32> = const { Cell::new(0) };
}

fn main() {
    let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
    co.start(Box::new(|s| {
        HITS.with(|hits| {
            s.suspend();
            hits.set(hits.get() + 1);
        })
    }));
    assert!(matches!(co.resume(), Resumed::Suspended));
    std::thread::spawn(move || co.resume()).join().unwrap();
}
