//! Nor can it travel another way: boxed, through a channel, to a thread that resumes it.
#![forbid(unsafe_code)]

use std::sync::mpsc;

use gpm_stack::{Coroutine, Stack};

fn main() {
    let (tx, rx) = mpsc::channel::<Box<Coroutine>>();
    let resumer = std::thread::spawn(move || {
        for mut co in rx {
            co.resume();
        }
    });
    let mut co = Box::new(Coroutine::new(Stack::new(64 * 1024).unwrap()));
    co.start(Box::new(|s| s.suspend()));
    co.resume();
    tx.send(co).unwrap();
    drop(tx);
    resumer.join().unwrap();
}
