//! An `IdleCoroutine` moves between threads freely because it cannot run a job: a job
//! started on it could suspend and be sent on.
#![forbid(unsafe_code)]

use gpm_stack::IdleCoroutine;

fn start_and_suspend(idle: &mut IdleCoroutine) {
    idle.start(Box::new(|s| s.suspend()));
    idle.resume();
}

fn main() {
    let _ = start_and_suspend;
}
