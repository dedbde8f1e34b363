//! Loom model of spinning and parking of Ms (`spinning.rs`): no lost wake-up between an M
//! that runs out of work and a submitter that publishes some.
//!
//! Modelled, with the real functions: the work is a real `gpm_queue::Global` (its `push`,
//! its Relaxed `is_empty` and `pop`, loom's mutex and atomic under `--cfg gpm_loom`); the
//! submitter is `Sched::wake_if_needed`'s gate, `SpinState::should_wake` (the fence and the
//! spinner-slot CAS), then `startm`'s steps: take the idle P (`p_left_idle`) or give the
//! slot back (`cancel_wake`). The M, spinning or not, runs `SpinState::give_up_and_recheck`
//! exactly as `find_runnable` does (P onto the idle list and `p_went_idle`, `end_spinning`
//! or the bare fence, the re-check of the global queue), then either takes the P back
//! (`resume_spinning` if it spun) or parks in its real `Parker` until handed the P; with
//! the P it pops the work and, if it spins, `end_spinning` (`reset_spinning`).
//!
//! The property: the work is taken exactly once and every counter returns to its start (no
//! spinner, no idle P). A lost wake-up (the M parked with the work unseen and the submitter
//! believing a spinner would see it) leaves the M parked forever: loom reports a deadlock.
//!
//! Not modelled: several Ms or submitters, stealing from other Ps, timers, the idle-M list
//! (`startm` hands the P straight to the one M: `handed` stands for `nextp`, published by
//! the `Parker`'s Release/Acquire), the unfenced `should_wake_local` (its race is allowed to
//! cost parallelism; see `spinning.rs`), `try_begin_spinning`'s limit.
//!
//! Teeth: with the fence in `SpinState::end_spinning` removed, the spinning variant
//! deadlocks; with the bare fence in `give_up_and_recheck` removed, the non-spinning one
//! does.

use loom::sync::Arc;

use gpm_queue::Global;
use loom::sync::Mutex;
use loom::sync::atomic::{AtomicBool, Ordering::*};
use loom::thread;

use crate::park::parker::Parker;
use crate::spinning::SpinState;

/// One P, its idle list, the counters, the global queue, and the one M's parker.
struct World {
    spin: SpinState,
    /// The P is on the idle list (Go's `sched.pidle`, one entry).
    idle: Mutex<bool>,
    global: Global<u32>,
    /// `startm` handed the P to the M (its `nextp`).
    handed: AtomicBool,
    parker: Parker,
}

impl World {
    /// `Sched::pidleput`: onto the list, then counted.
    fn pidleput(&self) {
        *self.idle.lock().unwrap() = true;
        self.spin.p_went_idle();
    }

    /// `Sched::pidleget`: off the list, then uncounted.
    fn pidleget(&self) -> bool {
        let got = std::mem::replace(&mut *self.idle.lock().unwrap(), false);
        if got {
            self.spin.p_left_idle();
        }
        got
    }

    /// The submitter: publish, then `wake_if_needed` with `startm(None, true)`.
    fn submit(&self) {
        self.global.push(1);
        if self.spin.should_wake() {
            if self.pidleget() {
                // Release (in `unpark`): the M's Acquire park sees `handed`.
                self.handed.store(true, Relaxed);
                self.parker.unpark();
            } else {
                self.spin.cancel_wake();
            }
        }
    }

    /// The M, holding the P with nothing found (the re-check's caller in `find_runnable`).
    /// Returns how many items it took once it held the P again.
    fn m_runs_out_of_work(&self, was_spinning: bool) -> usize {
        let work = self.spin.give_up_and_recheck(
            was_spinning,
            || self.pidleput(),
            || !self.global.is_empty(),
        );
        let spinning = if work && self.pidleget() {
            if was_spinning {
                self.spin.resume_spinning();
            }
            was_spinning
        } else {
            // `stopm`: park, then look for a handed P (`take_nextp`), until there is one; it
            // comes with the spinner slot. The park comes first, as there: its Acquire is
            // what makes the submitter's writes visible.
            loop {
                self.parker.park(None);
                if self.handed.swap(false, Relaxed) {
                    break true;
                }
            }
        };
        let taken = usize::from(self.global.pop().is_some());
        if spinning {
            // `reset_spinning`: found work; the next wake-up has no more work to find.
            self.spin.end_spinning();
        }
        taken
    }
}

#[test]
fn m_running_out_of_work_never_misses_a_submit() {
    for was_spinning in [true, false] {
        loom::model(move || {
            let world = Arc::new(World {
                spin: SpinState::new(0),
                idle: Mutex::new(false),
                global: Global::new(),
                handed: AtomicBool::new(false),
                parker: Parker::new(),
            });
            if was_spinning {
                world.spin.resume_spinning();
            }
            let submitter = {
                let world = world.clone();
                thread::spawn(move || world.submit())
            };
            let taken = world.m_runs_out_of_work(was_spinning);
            submitter.join().unwrap();
            assert_eq!(taken, 1, "the M did not take the work");
            assert!(world.global.pop().is_none(), "work left queued");
            assert_eq!(world.spin.spinning(), 0, "spinner count left behind");
            assert_eq!(world.spin.idle_ps(), 0, "idle P count left behind");
        });
    }
}
