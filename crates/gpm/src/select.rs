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

use crate::chan::waitq::Slot;
use crate::chan::{Receiver, RecvError, SendError, Sender, TryRecvError, TrySendError, wake};
use crate::shim::{WaitReason, park_deadline, preempt_point, random_below};
use crate::waiter::{Outcome, Waiter};
use std::time::{Duration, Instant};

/// The most arms one `select!` may have.
pub const MAX_ARMS: usize = 32;

/// How long a select may wait (built by the `select!` macro).
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Wait {
    /// No `default` arm: wait for an operation.
    Block,
    /// `default =>`: do not wait.
    NoWait,
    /// `default(timeout) =>`: wait at most this long.
    Timeout(Duration),
}

/// One `select!` arm, type-erased (built by the `select!` macro).
#[doc(hidden)]
pub struct Op<'a> {
    arm: &'a mut (dyn ArmImpl + 'a),
}

trait ArmImpl {
    /// Tries the operation without blocking; on success stores the result in the arm.
    fn try_now(&mut self) -> bool;
    /// Queues an entry for `waiter` as arm `index`, unless the channel is ready now (then
    /// `true` and nothing queued).
    fn register(&self, waiter: &Waiter, index: usize) -> bool;
    /// Removes this arm's entry from its channel's queue, if still queued there.
    fn unregister(&self);
    /// The waiter completed on this arm: turn the slot into the result.
    fn complete(&mut self);
}

/// A `recv(r) -> v` arm.
#[doc(hidden)]
pub struct RecvArm<'a, T> {
    rx: &'a Receiver<T>,
    slot: Slot<T>,
    result: Option<Result<T, RecvError>>,
}

/// A `send(s, m) -> res` arm.
#[doc(hidden)]
pub struct SendArm<'a, T> {
    tx: &'a Sender<T>,
    /// The message until it is sent; it stays here if the receivers disconnect.
    slot: Slot<T>,
    result: Option<Result<(), SendError<T>>>,
}

impl<'a, T> RecvArm<'a, T> {
    /// An arm receiving from `rx`.
    pub fn new(rx: &'a Receiver<T>) -> Self {
        Self { rx, slot: Slot::new(None), result: None }
    }

    /// The type-erased arm for [`run`].
    pub fn op(&mut self) -> Op<'_> {
        Op { arm: self }
    }

    /// The selected arm's result.
    pub fn take(&mut self) -> Result<T, RecvError> {
        self.result.take().expect("select!: arm taken without completing")
    }
}

impl<'a, T> SendArm<'a, T> {
    /// An arm sending `value` on `tx`.
    pub fn new(tx: &'a Sender<T>, value: T) -> Self {
        Self { tx, slot: Slot::new(Some(value)), result: None }
    }

    /// The type-erased arm for [`run`].
    pub fn op(&mut self) -> Op<'_> {
        Op { arm: self }
    }

    /// The selected arm's result.
    pub fn take(&mut self) -> Result<(), SendError<T>> {
        self.result.take().expect("select!: arm taken without completing")
    }

    fn take_value(&mut self) -> Option<T> {
        // SAFETY: `&mut self` and no registration outstanding: this is the slot's only user.
        self.slot.with_mut(|p| unsafe { (*p).take() })
    }
}

impl<T> ArmImpl for RecvArm<'_, T> {
    fn try_now(&mut self) -> bool {
        let mut inner = self.rx.chan().lock();
        let result = match inner.try_recv() {
            Ok((value, woken)) => {
                drop(inner);
                wake(&woken);
                Ok(value)
            }
            Err(TryRecvError::Disconnected) => Err(RecvError),
            Err(TryRecvError::Empty) => return false,
        };
        self.result = Some(result);
        true
    }

    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        let mut inner = self.rx.chan().lock();
        if inner.recv_ready(waiter) {
            return true;
        }
        // SAFETY: the arm (with its slot) and the waiter stay in place until `run` has
        // unregistered every arm (`Registration` does so on every exit path).
        unsafe { inner.recvq.push(waiter, index, &self.slot) };
        false
    }

    fn unregister(&self) {
        self.rx.chan().lock().recvq.remove(&self.slot);
    }

    fn complete(&mut self) {
        // SAFETY: the waiter is DONE and every entry unregistered: the slot is ours again.
        let got = self.slot.with_mut(|p| unsafe { (*p).take() });
        self.result = Some(got.ok_or(RecvError));
    }
}

impl<T> ArmImpl for SendArm<'_, T> {
    fn try_now(&mut self) -> bool {
        let value = self.take_value().expect("select!: send arm without a value");
        let mut inner = self.tx.chan().lock();
        let result = match inner.try_send(value) {
            Ok(woken) => {
                drop(inner);
                wake(&woken);
                Ok(())
            }
            Err(TrySendError::Disconnected(v)) => Err(SendError(v)),
            Err(TrySendError::Full(v)) => {
                drop(inner);
                // SAFETY: as in `take_value`.
                self.slot.with_mut(|p| unsafe { *p = Some(v) });
                return false;
            }
        };
        self.result = Some(result);
        true
    }

    fn register(&self, waiter: &Waiter, index: usize) -> bool {
        let mut inner = self.tx.chan().lock();
        if inner.send_ready(waiter) {
            return true;
        }
        // SAFETY: as for `RecvArm::register`.
        unsafe { inner.sendq.push(waiter, index, &self.slot) };
        false
    }

    fn unregister(&self) {
        self.tx.chan().lock().sendq.remove(&self.slot);
    }

    fn complete(&mut self) {
        self.result = Some(match self.take_value() {
            None => Ok(()),
            Some(v) => Err(SendError(v)),
        });
    }
}

/// Runs a select over `ops`: returns the index of the completed arm (its result is in the
/// arm), or `None` when `wait` allowed giving up (`default`) and nothing was ready.
#[doc(hidden)]
pub fn run(ops: &mut [Op<'_>], wait: Wait) -> Option<usize> {
    assert!(ops.len() <= MAX_ARMS, "select!: more than {MAX_ARMS} arms");
    let deadline = match wait {
        Wait::Timeout(d) => Instant::now().checked_add(d),
        Wait::Block | Wait::NoWait => None,
    };
    let order = random_order(ops.len());
    let order = &order[..ops.len()];
    if let Some(i) = poll(ops, order) {
        preempt_point();
        return Some(i);
    }
    loop {
        match wait {
            Wait::NoWait => return poll(ops, order),
            Wait::Timeout(_) if deadline.is_some_and(|d| Instant::now() >= d) => {
                return poll(ops, order);
            }
            _ => {}
        }
        if ops.is_empty() {
            // `select! {}` (or only a timeout): nothing can ever complete.
            while park_deadline(WaitReason::Select, deadline) {}
            return None;
        }
        match block(ops, order, deadline) {
            Blocked::Done(i) => return Some(i),
            Blocked::TimedOut => return None,
            Blocked::Ready => {
                if let Some(i) = poll(ops, order) {
                    return Some(i);
                }
            }
        }
    }
}

fn poll(ops: &mut [Op<'_>], order: &[u8]) -> Option<usize> {
    order.iter().map(|&i| usize::from(i)).find(|&i| ops[i].arm.try_now())
}

/// A random permutation of `0..n` (Fisher–Yates).
fn random_order(n: usize) -> [u8; MAX_ARMS] {
    let mut order = [0u8; MAX_ARMS];
    for (i, o) in order.iter_mut().enumerate().take(n) {
        *o = i as u8;
    }
    for i in (1..n).rev() {
        order.swap(i, random_below(i + 1));
    }
    order
}

enum Blocked {
    Done(usize),
    TimedOut,
    /// An arm became ready while registering: poll again.
    Ready,
}

/// Registers every arm, parks, and unregisters (Go's `selectgo` passes 2 and 3).
fn block(ops: &mut [Op<'_>], order: &[u8], deadline: Option<Instant>) -> Blocked {
    let waiter = Waiter::new();
    let mut reg = Registration { ops, order, waiter: &waiter, count: 0 };
    let mut ready = false;
    for &i in order {
        let i = usize::from(i);
        if reg.ops[i].arm.register(&waiter, i) {
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
        waiter.wait(WaitReason::Select, deadline);
    }
    let ops = reg.finish();
    match waiter.outcome().expect("select: unsettled after unregistering") {
        Outcome::Done(i) => {
            ops[i].arm.complete();
            Blocked::Done(i)
        }
        Outcome::Aborted if ready => Blocked::Ready,
        Outcome::Aborted => Blocked::TimedOut,
    }
}

/// The registered arms of a blocked select. Dropping it (normally, or unwinding out of a
/// park) aborts the wait if still pending and removes every entry, taking each channel's
/// lock — after which a claimer that beat the abort has finished, so the outcome is settled.
struct Registration<'r, 'a> {
    ops: &'r mut [Op<'a>],
    order: &'r [u8],
    waiter: &'r Waiter,
    count: usize,
}

impl<'r, 'a> Registration<'r, 'a> {
    fn finish(mut self) -> &'r mut [Op<'a>] {
        self.unregister_all();
        let ops = std::mem::take(&mut self.ops);
        std::mem::forget(self);
        ops
    }

    fn unregister_all(&mut self) {
        self.waiter.try_abort();
        for &i in &self.order[..self.count] {
            self.ops[usize::from(i)].arm.unregister();
        }
        self.count = 0;
    }
}

impl Drop for Registration<'_, '_> {
    fn drop(&mut self) {
        self.unregister_all();
    }
}

/// Waits on several channel operations and runs the arm of the one that completes, as Go's
/// `select` (crossbeam-channel's syntax):
///
/// ```
/// use std::time::Duration;
/// let (tx1, rx1) = gpm::chan::bounded::<i32>(1);
/// let (tx2, rx2) = gpm::chan::bounded::<&str>(1);
/// tx2.send("hi").unwrap();
/// gpm::select! {
///     recv(rx1) -> v => panic!("nothing was sent on rx1: {v:?}"),
///     recv(rx2) -> v => assert_eq!(v, Ok("hi")),
///     send(tx1, 7) -> res => res.unwrap(),
///     default(Duration::from_secs(1)) => panic!("two arms were ready"),
/// }
/// ```
///
/// Arms: `recv(r) -> v => body` (`v: Result<T, RecvError>`), `send(s, msg) -> res => body`
/// (`res: Result<(), SendError<T>>`), at most one of `default => body` (run if no operation
/// is ready now) or `default(timeout) => body` (run if none becomes ready within
/// `timeout`). Without `default` the select blocks (parks the goroutine). When several
/// operations are ready, one is picked at random. A channel whose other side is gone is
/// ready (its arm gets the `Err`). The same channel may appear in several arms; a send and
/// a receive on one channel in one select never complete each other. Channel and message
/// expressions are evaluated once, in order, before waiting (a send arm's message is
/// dropped if another arm wins). At most 32 operation arms.
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__gpm_select_parse!([] [] [] [(0usize __gpm_arm0) (1usize __gpm_arm1) (2usize __gpm_arm2) (3usize __gpm_arm3) (4usize __gpm_arm4) (5usize __gpm_arm5) (6usize __gpm_arm6) (7usize __gpm_arm7) (8usize __gpm_arm8) (9usize __gpm_arm9) (10usize __gpm_arm10) (11usize __gpm_arm11) (12usize __gpm_arm12) (13usize __gpm_arm13) (14usize __gpm_arm14) (15usize __gpm_arm15) (16usize __gpm_arm16) (17usize __gpm_arm17) (18usize __gpm_arm18) (19usize __gpm_arm19) (20usize __gpm_arm20) (21usize __gpm_arm21) (22usize __gpm_arm22) (23usize __gpm_arm23) (24usize __gpm_arm24) (25usize __gpm_arm25) (26usize __gpm_arm26) (27usize __gpm_arm27) (28usize __gpm_arm28) (29usize __gpm_arm29) (30usize __gpm_arm30) (31usize __gpm_arm31)] $($tokens)*)
    };
}

/// `select!`'s parser: `[statements] [arms] [default] [labels] input...`.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_parse {
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*]) => {
        $crate::__gpm_select_emit!([$($init)*] [$($arm)*] [$($def)*])
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*] , $($rest:tt)*) => {
        $crate::__gpm_select_parse!([$($init)*] [$($arm)*] [$($def)*] [$($labels)*] $($rest)*)
    };
    // recv(r) -> v => body
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        recv($r:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!(
            [$($init)* let $l: &$crate::chan::Receiver<_> = &$r;
                let mut $l = $crate::select::RecvArm::new($l);]
            [$($arm)* ($l $idx $p, $body)] [$($def)*] [$($labels)*] $($rest)*)
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        recv($r:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!(
            [$($init)* let $l: &$crate::chan::Receiver<_> = &$r;
                let mut $l = $crate::select::RecvArm::new($l);]
            [$($arm)* ($l $idx $p, { $body })] [$($def)*] [$($labels)*] $($($rest)*)?)
    };
    // send(s, m) -> res => body
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        send($s:expr, $m:expr) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!(
            [$($init)* let $l: &$crate::chan::Sender<_> = &$s;
                let mut $l = $crate::select::SendArm::new($l, $m);]
            [$($arm)* ($l $idx $p, $body)] [$($def)*] [$($labels)*] $($rest)*)
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        send($s:expr, $m:expr) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!(
            [$($init)* let $l: &$crate::chan::Sender<_> = &$s;
                let mut $l = $crate::select::SendArm::new($l, $m);]
            [$($arm)* ($l $idx $p, { $body })] [$($def)*] [$($labels)*] $($($rest)*)?)
    };
    // default => body / default(timeout) => body
    ([$($init:tt)*] [$($arm:tt)*] [] [$($labels:tt)*] default => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!([$($init)*] [$($arm)*]
            [($crate::select::Wait::NoWait) $body] [$($labels)*] $($rest)*)
    };
    ([$($init:tt)*] [$($arm:tt)*] [] [$($labels:tt)*] default => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!([$($init)*] [$($arm)*]
            [($crate::select::Wait::NoWait) { $body }] [$($labels)*] $($($rest)*)?)
    };
    ([$($init:tt)*] [$($arm:tt)*] [] [$($labels:tt)*]
        default($t:expr) => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!([$($init)*] [$($arm)*]
            [($crate::select::Wait::Timeout($t)) $body] [$($labels)*] $($rest)*)
    };
    ([$($init:tt)*] [$($arm:tt)*] [] [$($labels:tt)*]
        default($t:expr) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!([$($init)*] [$($arm)*]
            [($crate::select::Wait::Timeout($t)) { $body }] [$($labels)*] $($($rest)*)?)
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)+] [$($labels:tt)*] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [] recv $($rest:tt)*) => {
        ::core::compile_error!("select!: more than 32 operation arms")
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [] send $($rest:tt)*) => {
        ::core::compile_error!("select!: more than 32 operation arms")
    };
    ([$($init:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*] $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "select!: expected `recv(r) -> v => ..`, `send(s, m) -> res => ..`, ",
            "`default => ..` or `default(timeout) => ..`, found: ",
            ::core::stringify!($($rest)+)
        ))
    };
}

/// `select!`'s code generator.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_emit {
    ([$($init:tt)*] [$(($l:ident $idx:tt $p:pat, $body:tt))*] []) => {
        $crate::__gpm_select_emit!(@go [$($init)*] [$(($l $idx $p, $body))*]
            ($crate::select::Wait::Block) { ::core::unreachable!("select!: blocking select returned nothing") })
    };
    ([$($init:tt)*] [$(($l:ident $idx:tt $p:pat, $body:tt))*] [($($w:tt)*) $dbody:tt]) => {
        $crate::__gpm_select_emit!(@go [$($init)*] [$(($l $idx $p, $body))*] ($($w)*) $dbody)
    };
    (@go [$($init:tt)*] [$(($l:ident $idx:tt $p:pat, $body:tt))*] ($($w:tt)*) $dbody:tt) => {{
        $($init)*
        match $crate::select::run(&mut [$($l.op()),*], $($w)*) {
            $( ::core::option::Option::Some($idx) => {
                let $p = $l.take();
                $body
            } )*
            _ => $dbody
        }
    }};
}
