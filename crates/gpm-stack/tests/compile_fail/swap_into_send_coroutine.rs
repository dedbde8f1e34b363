//! A `SendCoroutine` gives no `&mut Coroutine`: safe code cannot swap a coroutine nobody
//! made the promise for into it, and send that.
#![forbid(unsafe_code)]

use gpm_stack::{Coroutine, SendCoroutine};

fn smuggle(send: &mut SendCoroutine, other: &mut Coroutine) {
    std::mem::swap(&mut **send, other);
}

fn main() {
    let _ = smuggle;
}
