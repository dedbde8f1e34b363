//! Loom models of the netpoller's per-direction semaphore (`netpoll/desc.rs`): a goroutine
//! waiting for an fd against the poller's edge, a deadline setter, and its park's timer.
//!
//! Modelled, with the real functions: the waiter runs `PollFd::wait`'s goroutine path as
//! its caller loops over it (try the I/O; read the deadline, fail if it passed; else
//! `Sema::wait` with the deadline re-read as its `changed` step), on a real `G` whose park
//! word is the real `ParkState`. The poller (`Poller::poll` on an edge) and the setter
//! (`PollFd::set_deadline`: the new deadline, then the wake-up) both call `Sema::wake`,
//! which is `unblock` and the G's real `ParkState::unpark`; a G it hands back is "readied"
//! onto a one-slot run queue. The park is `park_switch` with the switch taken as one step,
//! as in `loom_park`: the G takes a stored permit (`try_consume`), or the M parks it
//! (`ParkState::park`), arms the timer with the park's token, and sleeps in its real
//! `Parker` until the G is queued. The timer is `run_timers_slow`'s step
//! (`ParkState::timeout`, then `timed_out` and the ready), at any point after the arming;
//! a park it ends returns `false`, and the wait `TimedOut`. The fd's readiness is the
//! kernel's, one SeqCst flag set before the poller sees the edge.
//!
//! The properties: the waiter always ends (an edge before the park left `READY` or found
//! the G; a deadline moved before the park is seen by the re-check or found the G), else
//! the M sleeps forever and loom reports a deadlock; with only an edge it ends with the
//! data, with only a passed deadline it ends with `TimedOut` (it saw the new state); every
//! park is readied exactly once (by the edge, the setter or the timer) and the G is never
//! queued twice; afterwards the word is `NIL` or `READY`, never the G's address. Each
//! model runs with and without a stale permit on the G (an earlier waker's late unpark),
//! which makes the first park return at once with the G still in the word.
//!
//! Not modelled: the three wakers at once (four threads: minutes, not seconds; the edge
//! with each of the others is), the waiter count, two goroutines on one direction (the
//! façade's lock excludes it; `prepare` panics), a close: gpm has no close that races a
//! waiter (a `PollFd` is dropped only when nobody waits on it; a shutdown reaches the
//! waiter as an edge); a close would take the setter's path, `wake(false)` after a state
//! change.
//!
//! The waiter first drops a stale permit (`Sema::clear_ready`, as `NetFd` does before each
//! operation); two models start with one, left by an earlier edge.
//!
//! Teeth: the deadline model deadlocks with `Sema::wait`'s re-check skipped; with `unblock`
//! returning after a plain load when it has nothing to change (the store-buffering race
//! between the setter's deadline and the waiter's G, which this model found in `unblock`
//! before it always wrote the word); with the registration's CAS in `prepare` only Release;
//! with `unblock`'s CAS only Acquire. The edge model deadlocks with `unblock` leaving `NIL`
//! where an edge should leave `READY`, and with `prepare` taking `READY` Relaxed (the
//! retried read may miss the data). With `withdraw` leaving its own G in the word, the G's
//! address is left behind; with `wake` handing back a G its unpark did not take, a G that
//! never parked is readied. The stale-permit edge model deadlocks with
//! `clear_ready`'s CAS Relaxed (the read it precedes may miss the edge's data, and the
//! permit is gone). Not caught: `unblock`'s CAS only Release (its Acquire is for the
//! G's address, on which no data rides: the G's hand-over is `ParkState`'s).

use loom::sync::Arc;

use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use loom::thread;

use crate::g::{G, GRef, GStatus};
use crate::netpoll::desc::{NIL, READY, Sema};
use crate::park::parker::Parker;

/// The deadline: none yet, or moved to the past (the next `wait` fails with `TimedOut`).
const NO_DEADLINE: u32 = 0;
const PASSED: u32 = 1;

/// How the waiter's operation ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Data,
    TimedOut,
}

/// One direction of one fd, its waiting goroutine and that goroutine's M.
struct World {
    g: G,
    sema: Sema,
    /// The fd is readable (the kernel's state): the waiter's read succeeds once it is set.
    data: AtomicBool,
    /// The direction's deadline (`PollFd::deadlines`).
    deadline: AtomicU32,
    /// The park token the M armed a timer with (`1 << 63` set), 0 before the park.
    timer: AtomicU64,
    /// The run queue, one slot: the G readied and not yet run again.
    queued: AtomicUsize,
    /// How many times the G went `PARKED`, and how many times it was readied.
    parks: AtomicUsize,
    readied: AtomicUsize,
    /// The waiter's M, asleep while its G is parked.
    m: Parker,
}

impl World {
    /// Made on the waiter's thread (the `Parker` is that thread's). `stale_ready`: the
    /// word starts `READY`, left by an earlier edge whose data an earlier read consumed.
    fn new(stale_permit: bool, stale_ready: bool) -> Arc<World> {
        let world = Arc::new(World {
            g: G::new(),
            sema: Sema::default(),
            data: AtomicBool::new(false),
            deadline: AtomicU32::new(NO_DEADLINE),
            timer: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
            parks: AtomicUsize::new(0),
            readied: AtomicUsize::new(0),
            m: Parker::new(),
        });
        if stale_ready {
            assert!(world.sema.wake(true).is_none(), "no G waits yet");
        }
        let g = world.gref();
        g.set_status(GStatus::Running);
        if stale_permit {
            assert!(!g.park.unpark(g.park.generation()), "a running G was taken as parked");
        }
        world
    }

    fn gref(&self) -> GRef {
        GRef::from_ptr(&self.g).expect("a G's address")
    }

    /// The goroutine: its read, retried after each `PollFd::wait` until it is not
    /// `WouldBlock` (`gpm::net`'s `NetFd`, which first drops a stale permit holding the
    /// direction: `PollFd::clear_ready`), the wait's goroutine path inlined.
    fn waiter(&self) -> End {
        let g = self.gref();
        self.sema.clear_ready();
        loop {
            // SeqCst, here and in `edge`: the kernel's one order of the fd's state.
            if self.data.load(SeqCst) {
                return End::Data;
            }
            // `PollFd::wait`: the deadline is read once; one already passed fails at once.
            // Acquire, here and in the re-check: as `PollFd::deadline`.
            let deadline = self.deadline.load(Acquire);
            if deadline == PASSED {
                return End::TimedOut;
            }
            let woken =
                self.sema.wait(g, || self.deadline.load(Acquire) != deadline, || self.park(g));
            // Not woken: the park's timer fired, the deadline has passed.
            if woken == Some(false) {
                return End::TimedOut;
            }
        }
    }

    /// `park_switch` (the switch as one step): `true`, a permit woke it; `false`, the timer
    /// the M arms after the switch did.
    fn park(&self, g: GRef) -> bool {
        if g.park.try_consume() {
            return true;
        }
        g.set_status(GStatus::Waiting);
        if let Some(token) = g.park.park() {
            self.parks.fetch_add(1, Relaxed);
            // Release: pairs with the timer's Acquire (the P's timer heap, in `timers.rs`).
            self.timer.store(token | 1 << 63, Release);
            // Off CPU and on no queue: it runs again only once its waker has queued it.
            // Acquire: pairs with the Release in `ready` (a run queue's pop).
            while self.queued.load(Acquire) == 0 {
                self.m.park(None);
            }
            self.queued.fetch_sub(1, Relaxed);
        }
        g.set_status(GStatus::Running);
        if g.timed_out.load(Relaxed) {
            g.timed_out.store(false, Relaxed);
            return false;
        }
        true
    }

    /// A G handed back by `Sema::wake`: the caller owns it and makes it runnable.
    fn ready(&self, g: GRef) {
        assert_eq!(g, self.gref(), "a G that never waited was readied");
        assert_eq!(g.status(), GStatus::Waiting, "a G that is not parked was readied");
        g.set_status(GStatus::Runnable);
        self.readied.fetch_add(1, Relaxed);
        // Release: the G's hand-over, as a run queue's push.
        let before = self.queued.fetch_add(1, Release);
        assert_eq!(before, 0, "the G was queued twice");
        self.m.unpark();
    }

    /// `Poller::poll` on a read edge; the data arrived in the kernel first.
    fn edge(&self) {
        self.data.store(true, SeqCst);
        if let Some(g) = self.sema.wake(true) {
            self.ready(g);
        }
    }

    /// `PollFd::set_deadline` to a time already past: the new value, then the wake-up.
    fn deadline_passes(&self) {
        // Release: as `PollFd::set_deadline`.
        self.deadline.store(PASSED, Release);
        if let Some(g) = self.sema.wake(false) {
            self.ready(g);
        }
    }

    /// The park's timer (`timers::run_timers_slow`), if a park armed it: its deadline has
    /// come.
    fn timer_fires(&self) {
        // Acquire: pairs with the Release in `park`.
        let t = self.timer.load(Acquire);
        let g = self.gref();
        if t != 0 && g.park.timeout(t & !(1 << 63)) {
            // Relaxed: published to the G by the run queue, as there.
            g.timed_out.store(true, Relaxed);
            self.ready(g);
        }
    }

    /// What holds after every run, whoever won.
    fn check_after(&self) {
        let (parks, readied) = (self.parks.load(Relaxed), self.readied.load(Relaxed));
        assert_eq!(parks, readied, "{parks} parks, {readied} wake-ups");
        assert_eq!(self.queued.load(Relaxed), 0, "a G left queued");
        let w = self.sema.word();
        assert!(w == NIL || w == READY, "the word is left at {w:#x} (the G is {:p})", &self.g);
    }
}

/// Runs the waiter on the model's main thread against the given wakers.
fn run(stale_permit: bool, wakers: &'static [fn(&World)]) -> End {
    run_with(stale_permit, false, wakers)
}

/// `run`, the word starting `READY` if `stale_ready`.
fn run_with(stale_permit: bool, stale_ready: bool, wakers: &'static [fn(&World)]) -> End {
    let world = World::new(stale_permit, stale_ready);
    let threads: Vec<_> = wakers
        .iter()
        .map(|&f| {
            let world = world.clone();
            thread::spawn(move || f(&world))
        })
        .collect();
    let end = world.waiter();
    for t in threads {
        t.join().unwrap();
    }
    world.check_after();
    end
}

#[test]
fn edge_racing_the_park_is_never_lost() {
    for stale_permit in [false, true] {
        loom::model(move || {
            assert_eq!(run(stale_permit, &[World::edge]), End::Data);
        });
    }
}

#[test]
fn deadline_moved_during_the_park_is_seen() {
    for stale_permit in [false, true] {
        loom::model(move || {
            assert_eq!(run(stale_permit, &[World::deadline_passes]), End::TimedOut);
        });
    }
}

#[test]
fn edge_and_deadline_together_wake_once() {
    for stale_permit in [false, true] {
        loom::model(move || {
            run(stale_permit, &[World::edge, World::deadline_passes]);
        });
    }
}

#[test]
fn edge_against_the_parks_timer() {
    for stale_permit in [false, true] {
        loom::model(move || {
            run(stale_permit, &[World::edge, World::timer_fires]);
        });
    }
}

/// A permit left by an earlier edge is dropped before the read, and the edge racing the
/// read and the park is still never lost (`Sema::clear_ready` takes only a `READY`, and
/// Acquire: an edge it takes happened before the read, which sees its data).
#[test]
fn stale_readiness_is_dropped_and_a_new_edge_kept() {
    for stale_permit in [false, true] {
        loom::model(move || {
            assert_eq!(run_with(stale_permit, true, &[World::edge]), End::Data);
        });
    }
}

/// With a stale `READY` and a deadline moved: the waiter ends, having seen the deadline.
#[test]
fn stale_readiness_and_a_deadline() {
    loom::model(|| {
        assert_eq!(run_with(false, true, &[World::deadline_passes]), End::TimedOut);
    });
}
