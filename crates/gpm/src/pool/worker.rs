//! A worker: a goroutine that runs a job, goes back onto its pool's idle queue, and parks
//! until the next job (or an order to exit) lands in its `Slot` (ants' `goWorker`, with the
//! channel replaced by a one-message slot and park/unpark).
//!
//! The slot is written by whoever took the worker off the idle queue — one caller only,
//! since taking happens under the pool's lock — and read by the worker; its permit-based
//! park tolerates the unpark arriving before the park. A worker whose goroutine is
//! cancelled (its runtime dropped) marks its slot `gone`, so a job handed to it later
//! comes back to the caller, who counts it lost instead of leaving it in a slot nobody
//! reads.

use super::core::Core;
use crate::park::{Unparker, WaitReason, park};
use crate::shim::Lock;
use std::sync::Arc;

/// What a worker is told.
pub(crate) enum Msg<J> {
    /// Run this job.
    Run(J),
    /// Return (purge, `tune` down, `release`); `running` already counts it out.
    Exit,
}

/// A worker's mailbox.
pub(crate) struct Slot<J> {
    cell: Lock<Cell<J>>,
    /// The worker goroutine's.
    unparker: Unparker,
}

struct Cell<J> {
    msg: Option<Msg<J>>,
    /// The worker was cancelled: nobody will read `msg` again.
    gone: bool,
}

impl<J> Slot<J> {
    fn new() -> Slot<J> {
        Slot { cell: Lock::new(Cell { msg: None, gone: false }), unparker: crate::park::unparker() }
    }

    /// Caller side (it took the worker off the idle queue): delivers `msg` and wakes the
    /// worker; `Err(msg)` if the worker is gone.
    pub(crate) fn hand(&self, msg: Msg<J>) -> Result<(), Msg<J>> {
        {
            let mut cell = self.cell.lock();
            if cell.gone {
                return Err(msg);
            }
            debug_assert!(cell.msg.is_none(), "Slot::hand: a worker was handed two messages");
            cell.msg = Some(msg);
        }
        self.unparker.unpark();
        Ok(())
    }

    /// Worker side: parks until a message is there.
    fn wait(&self) -> Msg<J> {
        loop {
            if let Some(msg) = self.cell.lock().msg.take() {
                return msg;
            }
            park(WaitReason::Park);
        }
    }

    /// Worker side, cancelled: no message will be read; the one delivered, if any.
    fn close(&self) -> Option<Msg<J>> {
        let mut cell = self.cell.lock();
        cell.gone = true;
        cell.msg.take()
    }
}

/// Where the worker is, for the cleanup of a cancelled one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Running a job or going back: counted in `running`, not on the idle queue.
    Busy,
    /// On the idle queue, or taken off it by someone with a message for it.
    Idle,
}

/// The worker goroutine's body.
pub(crate) fn run<J: Send + 'static>(core: Arc<Core<J>>, first: J) {
    let slot = Arc::new(Slot::new());
    let mut guard = Cancelled { core: &core, slot: &slot, phase: Phase::Busy };
    let mut job = first;
    loop {
        core.run_job(job);
        if !core.revert(&slot) {
            break;
        }
        guard.phase = Phase::Idle;
        match slot.wait() {
            Msg::Run(next) => job = next,
            Msg::Exit => break,
        }
        guard.phase = Phase::Busy;
    }
    std::mem::forget(guard);
    core.exited();
}

/// Dropped only while the worker's stack unwinds (its runtime cancelled it at a park):
/// counts the worker out exactly once, whoever else holds a claim on it.
struct Cancelled<'a, J: Send + 'static> {
    core: &'a Core<J>,
    slot: &'a Arc<Slot<J>>,
    phase: Phase,
}

impl<J: Send + 'static> Drop for Cancelled<'_, J> {
    fn drop(&mut self) {
        match self.phase {
            Phase::Busy => self.core.drop_busy(),
            Phase::Idle if self.core.unqueue(self.slot) => drop(self.slot.close()),
            // Taken off the queue: a job that arrived is ours to count; one still on its way
            // comes back to its sender (`hand`); an `Exit` was counted by its sender.
            Phase::Idle => match self.slot.close() {
                Some(Msg::Run(job)) => self.core.lost(job),
                Some(Msg::Exit) | None => {}
            },
        }
        self.core.exited();
    }
}
