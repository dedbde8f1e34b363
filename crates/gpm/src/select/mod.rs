//! `select!`: wait on several channel operations at once, as Go's `select` (with
//! crossbeam-channel's syntax), and its runtime core [`run`].
//!
//! The macro only builds one arm object per operation (on the caller's stack) and calls
//! [`run`] with a slice of them; everything else is ordinary code:
//! 1. poll every arm once, in a random order (Go's `pollorder`: a random ready arm wins);
//! 2. if none is ready and the select may block, register a queue entry for every arm on
//!    its channel, all pointing at one `Waiter` on this stack, then park. A completer on any
//!    channel claims the waiter with a CAS, so exactly one arm completes; the others' entries
//!    become stale and are removed before `run` returns;
//! 3. if an arm turns out ready while registering, abort the wait and poll again
//!    (crossbeam's approach; it avoids locking every channel at once as Go's `sellock` does).
//!
//! A select never pairs with itself: while registering it skips its own entries (a send and
//! a receive on one unbuffered channel in one select cannot complete each other). A
//! non-blocking select polls twice before taking `default`, so an arm that was ready
//! throughout the first pass's window is not missed (Go's TestNonblockSelectRace).
//! No thread or goroutine is spawned per arm.
//!
//! Deviation from crossbeam-channel: a `send` arm's message expression is evaluated before
//! the select runs (Go's rule), and dropped if another arm wins.

mod arms;
mod dyn_ops;
mod dynamic;
mod error;
mod macros;

pub use arms::{RecvArm, SendArm};
pub use dynamic::{Select, SelectedOperation};
pub use error::{ReadyTimeoutError, SelectTimeoutError, TryReadyError, TrySelectError};

use crate::shim::{WaitReason, park_deadline, preempt_point, random_below};
use crate::waiter::{Outcome, Waiter};
use arms::ArmImpl;
use std::time::{Duration, Instant};

/// The most arms one `select!` may have (a dynamic [`Select`] has no limit).
// doc(hidden): the limit is stated in `select!`'s docs; the constant is the macro's.
#[doc(hidden)]
pub const MAX_ARMS: usize = 32;

/// How long a select may wait (built by the `select!` macro).
// doc(hidden): called by the `select!` expansion only; users have `select!` and `Select`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Wait {
    /// No `default` arm: wait for an operation.
    Block,
    /// `default =>`: do not wait.
    NoWait,
    /// `default(timeout) =>`: wait at most this long.
    Timeout(Duration),
    /// Wait until this instant at the latest (`None`: forever).
    Until(Option<Instant>),
}

/// One `select!` arm, type-erased (built by the `select!` macro).
// doc(hidden): called by the `select!` expansion only; users have `select!` and `Select`.
#[doc(hidden)]
pub struct Op<'a> {
    arm: &'a mut (dyn ArmImpl + 'a),
}

/// Runs a select over `ops`: returns the index of the completed arm (its result is in the
/// arm), or `None` when `wait` allowed giving up (`default`) and nothing was ready.
/// `biased`: poll in the arms' order (`select_biased!`), not a random one.
// doc(hidden): called by the `select!` expansion only; users have `select!` and `Select`.
#[doc(hidden)]
#[track_caller]
pub fn run(ops: &mut [Op<'_>], wait: Wait, biased: bool) -> Option<usize> {
    let order = Order::new(ops.len(), biased);
    run_arms(&mut OpSlice(ops), &order, wait)
}

/// What the select loop needs from a set of arms: the macro's slice of [`Op`]s, or a
/// dynamic [`Select`]'s operations.
pub(crate) trait Arms {
    fn arm(&mut self, i: usize) -> &mut dyn ArmImpl;
}

/// The macro's arms.
struct OpSlice<'x, 'a>(&'x mut [Op<'a>]);

impl Arms for OpSlice<'_, '_> {
    fn arm(&mut self, i: usize) -> &mut dyn ArmImpl {
        &mut *self.0[i].arm
    }
}

/// The poll order: a random permutation of the arms (Go's `pollorder`), or their own order.
pub(crate) struct Order {
    small: [u32; MAX_ARMS],
    large: Vec<u32>,
    n: usize,
}

impl Order {
    pub(crate) fn new(n: usize, biased: bool) -> Self {
        let mut o = Self { small: [0; MAX_ARMS], large: Vec::new(), n };
        if n > MAX_ARMS {
            o.large = vec![0; n];
        }
        let v = if n > MAX_ARMS { &mut o.large[..] } else { &mut o.small[..n] };
        for (i, x) in v.iter_mut().enumerate() {
            *x = i as u32;
        }
        if !biased {
            // Fisher–Yates.
            for i in (1..n).rev() {
                v.swap(i, random_below(i + 1));
            }
        }
        o
    }

    fn get(&self) -> &[u32] {
        if self.n > MAX_ARMS { &self.large } else { &self.small[..self.n] }
    }
}

/// The select loop over the arms in `order`.
#[track_caller]
pub(crate) fn run_arms(arms: &mut dyn Arms, order: &Order, wait: Wait) -> Option<usize> {
    let order = order.get();
    let deadline = match wait {
        Wait::Timeout(d) => Instant::now().checked_add(d),
        Wait::Until(d) => d,
        Wait::Block | Wait::NoWait => None,
    };
    if let Some(i) = poll(order, arms) {
        preempt_point();
        return Some(i);
    }
    loop {
        let timed = matches!(wait, Wait::Timeout(_) | Wait::Until(_));
        if matches!(wait, Wait::NoWait) || timed && deadline.is_some_and(|d| Instant::now() >= d) {
            return poll(order, arms);
        }
        if order.is_empty() {
            // `select! {}` (or only a timeout): nothing can ever complete.
            while park_deadline(WaitReason::Select, deadline) {}
            return None;
        }
        match block(order, arms, deadline) {
            Blocked::Done(i) => return Some(i),
            // The select's own deadline: a last look, as at the top of the loop. (Not by
            // the clock: a park may time out a little early, and under loom no time passes.)
            Blocked::TimedOut => return poll(order, arms),
            // Woken without a result (a timer arm's due time, a lost race): poll again.
            Blocked::Again => {
                if let Some(i) = poll(order, arms) {
                    return Some(i);
                }
            }
        }
    }
}

fn poll(order: &[u32], arms: &mut dyn Arms) -> Option<usize> {
    order.iter().map(|&i| i as usize).find(|&i| arms.arm(i).try_now())
}

/// How a blocked select ended.
enum Blocked {
    /// Arm `i` completed.
    Done(usize),
    /// The park reached the select's own deadline.
    TimedOut,
    /// Nothing completed: an arm turned ready while registering, a timer arm's due time
    /// came, or a wake-up's operation was completed by another party first.
    Again,
}

/// Registers every arm, parks, and unregisters (Go's `selectgo` passes 2 and 3).
#[track_caller]
fn block(order: &[u32], arms: &mut dyn Arms, deadline: Option<Instant>) -> Blocked {
    let waiter = Waiter::new();
    let mut park_until = deadline;
    let mut reg = Registration { order, arms: &mut *arms, waiter: &waiter, count: 0 };
    let mut ready = false;
    for &i in order {
        let i = i as usize;
        let arm = reg.arms.arm(i);
        if let Some(d) = arm.deadline() {
            park_until = Some(park_until.map_or(d, |p| p.min(d)));
        }
        if arm.register(&waiter, i) {
            ready = true;
            waiter.try_abort();
            break;
        }
        reg.count += 1;
        if !waiter.is_waiting() {
            break; // already completed through an earlier arm
        }
    }
    if !ready {
        waiter.wait(WaitReason::Select, park_until);
    }
    drop(reg); // unregisters every arm
    match waiter.outcome().expect("select: unsettled after unregistering") {
        Outcome::Done(i) => {
            let i = i & !crate::chan::list::WATCH_BIT;
            if arms.arm(i).complete() { Blocked::Done(i) } else { Blocked::Again }
        }
        Outcome::Aborted if !ready && deadline.is_some() && park_until == deadline => {
            Blocked::TimedOut
        }
        Outcome::Aborted => Blocked::Again,
    }
}

/// The registered arms of a blocked select. Dropping it (normally, or unwinding out of a
/// park) aborts the wait if still pending and removes every entry, taking each channel's
/// lock — after which a claimer that beat the abort has finished, so the outcome is settled.
struct Registration<'r> {
    order: &'r [u32],
    arms: &'r mut dyn Arms,
    waiter: &'r Waiter,
    count: usize,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.waiter.try_abort();
        for &i in &self.order[..self.count] {
            self.arms.arm(i as usize).unregister();
        }
    }
}
