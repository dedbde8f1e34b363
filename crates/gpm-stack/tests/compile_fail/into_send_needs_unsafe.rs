//! The `Send` form of a coroutine with a job is made only with the `unsafe` promise of
//! `Coroutine::into_send`.
#![forbid(unsafe_code)]

use gpm_stack::{Coroutine, Stack};

fn main() {
    let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
    co.start(Box::new(|s| s.suspend()));
    co.resume();
    let co = co.into_send();
    std::thread::spawn(move || drop(co)).join().unwrap();
}
