//! Loom models of who frees a finished goroutine's task (`joinstate.rs`): the goroutine
//! finishing against its handle joining (registering, parking until released), detaching,
//! or registering and then abandoning the wait (a joiner unwound).
//!
//! Modelled, with the real `JoinState` (`finish`, `release`, `wait`, `is_done`,
//! `is_released`, `detach`, `abandon`): the task's result and waiter are loom cells and the
//! free is a write to a third, so a read after the free, or a free not ordered after the
//! other party's last read, is a race loom reports; the models count exactly one free. The
//! task around the state (`spawn/mod.rs`'s `Packet`) is reduced to those three cells, and the
//! joiner parks as a thread (loom's `park`), not as a goroutine.
//!
//! The cancelling handle (`abort.rs`) is modelled too: it pins the task, touches the G (a
//! read of a cell the goroutine writes when it goes on to its G's next life), and unpins
//! or, if the goroutine finished meanwhile, acks on the G; the goroutine that met the pin
//! waits for the ack. A touch of the G after the goroutine went on is a race loom reports.
//!
//! Teeth: with `finish`'s swap made `Relaxed`, loom reports the race on the result.
//! Not caught: `release` moved before the goroutine's read of the waiter (loom's clocks
//! advance only at atomic operations, so a plain read right after the store looks ordered
//! before it).

use loom::sync::Arc;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering::*};
use loom::thread;

use crate::joinstate::{JoinState, Left};

/// A task as `spawn.rs` keeps it, reduced to what the free protocol orders.
struct ModelTask {
    state: JoinState,
    result: UnsafeCell<Option<u32>>,
    /// The joiner's thread, written before it registers.
    waiter: UnsafeCell<Option<thread::Thread>>,
    /// Written by whoever frees; a touch of the task after it is a race.
    freed: UnsafeCell<bool>,
    frees: AtomicUsize,
    /// The G (outlives the task): its `ACK` bit, and a cell the goroutine writes when it
    /// goes on to its next life.
    ack: loom::sync::atomic::AtomicBool,
    next_life: UnsafeCell<bool>,
}

impl ModelTask {
    fn new() -> Arc<ModelTask> {
        Arc::new(ModelTask {
            state: JoinState::new(),
            result: UnsafeCell::new(None),
            waiter: UnsafeCell::new(None),
            freed: UnsafeCell::new(false),
            frees: AtomicUsize::new(0),
            ack: loom::sync::atomic::AtomicBool::new(false),
            next_life: UnsafeCell::new(false),
        })
    }

    fn free(&self) {
        self.freed.with_mut(|f| {
            // SAFETY: loom checks that nobody else touches the task now.
            assert!(!unsafe { *f }, "task freed twice");
            // SAFETY: as above.
            unsafe { *f = true };
        });
        self.frees.fetch_add(1, Relaxed);
    }

    fn alive(&self) {
        // SAFETY: a read of the free marker; loom reports it racing a free.
        self.freed.with(|f| assert!(!unsafe { *f }, "task used after its free"));
    }

    /// The goroutine's finish (`Packet::finish`).
    fn finish(&self) {
        self.alive();
        // SAFETY: only the finisher writes the result, before `DONE`.
        self.result.with_mut(|r| unsafe { *r = Some(7) });
        match self.state.finish() {
            Left::Joiner => {
                self.alive();
                // SAFETY: the joiner wrote it before registering and frees after RELEASED.
                let t = self.waiter.with(|w| unsafe { (*w).clone() });
                self.state.release();
                t.expect("a registered joiner left its thread").unpark();
            }
            Left::Nobody => self.free(),
            Left::Handle => {}
            Left::Pinned => {
                while !self.ack.load(Acquire) {
                    thread::yield_now();
                }
            }
        }
        // The G goes on to its next life (`abort::reset` and the next job).
        // SAFETY: loom checks that no cancelling handle touches the G now.
        self.next_life.with_mut(|n| unsafe { *n = true });
    }

    /// `JoinHandle::abort`: pin, touch the G, unpin or ack.
    fn abort(&self) {
        if !self.state.pin() {
            return;
        }
        // SAFETY: a read of the G's life marker; loom reports it racing the next life.
        self.next_life.with(|n| assert!(!unsafe { *n }, "the G was touched in its next life"));
        if !self.state.unpin() {
            self.ack.store(true, Release);
        }
    }

    /// The handle taking the result and freeing (after `DONE`, or `RELEASED` if registered).
    fn take_and_free(&self) {
        self.alive();
        // SAFETY: the finisher wrote it before DONE and is done with the task.
        assert_eq!(self.result.with_mut(|r| unsafe { (*r).take() }), Some(7));
        self.free();
    }
}

/// A handle that cancels the goroutine racing its finish, then joins or detaches.
#[test]
fn abort_racing_the_finish_touches_only_this_life() {
    for join in [true, false] {
        loom::model(move || {
            let task = ModelTask::new();
            let g = {
                let task = task.clone();
                thread::spawn(move || task.finish())
            };
            task.abort();
            if join {
                if !task.state.is_done() {
                    // SAFETY: only the joiner writes the waiter, before registering.
                    task.waiter.with_mut(|w| unsafe { *w = Some(thread::current()) });
                    if task.state.wait() {
                        while !task.state.is_released() {
                            thread::park();
                        }
                    }
                }
                task.take_and_free();
            } else if !task.state.detach() {
                task.take_and_free();
            }
            g.join().unwrap();
            assert_eq!(task.frees.load(Relaxed), 1, "exactly one free");
        });
    }
}

/// How the handle ends.
#[derive(Clone, Copy)]
enum HandleEnd {
    Join,
    Detach,
    /// Register, then unwind out of the wait without parking.
    Abandon,
}

#[test]
fn task_freed_once_after_every_use() {
    for end in [HandleEnd::Join, HandleEnd::Detach, HandleEnd::Abandon] {
        loom::model(move || {
            let task = ModelTask::new();
            let g = {
                let task = task.clone();
                thread::spawn(move || task.finish())
            };
            match end {
                HandleEnd::Join => {
                    if !task.state.is_done() {
                        // SAFETY: only the joiner writes the waiter, before registering.
                        task.waiter.with_mut(|w| unsafe { *w = Some(thread::current()) });
                        if task.state.wait() {
                            while !task.state.is_released() {
                                thread::park();
                            }
                        }
                    }
                    task.take_and_free();
                }
                HandleEnd::Detach => {
                    if !task.state.detach() {
                        task.take_and_free();
                    }
                }
                HandleEnd::Abandon => {
                    // SAFETY: as in `Join`.
                    task.waiter.with_mut(|w| unsafe { *w = Some(thread::current()) });
                    if task.state.wait() {
                        if !task.state.abandon() {
                            task.take_and_free();
                        }
                    } else {
                        task.take_and_free();
                    }
                }
            }
            g.join().unwrap();
            assert_eq!(task.frees.load(Relaxed), 1, "exactly one free");
        });
    }
}
