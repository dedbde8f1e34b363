//! The single-thread runtime (`Runtime::single_thread`, safe): its goroutines never leave
//! its one thread. The three ways safe code broke a migrating runtime (a thread-local read
//! on both sides of a park, a `StdoutLock` held across a park, an `Rc` shared with a
//! thread-local held across a park) run here with no corruption, and every goroutine sees
//! the same thread before and after every park. Also: `blocking` runs on a helper while the
//! others go on, a hog is flagged but its thread not handed on, `lock_os_thread` only
//! counts. CI runs this file in `--release` too.

mod chan_support;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::ThreadId;

use chan_support::deadline;
use gpm::Runtime;

const GOROUTINES: usize = 32;
const ROUNDS: usize = 200;

/// Runs `body(i)` in `GOROUTINES` goroutines of a fresh single-thread runtime; each body
/// returns the thread ids it saw at each of its parks (before, after). Asserts they all
/// match the runtime's one thread.
fn on_one_thread(body: fn(usize) -> Vec<(ThreadId, ThreadId)>) {
    deadline(60, move || {
        let rt = Runtime::single_thread().expect("runtime");
        let (home, seen) = rt.block_on(move || {
            let hs: Vec<_> = (0..GOROUTINES).map(|i| gpm::go(move || body(i))).collect();
            let seen: Vec<_> = hs.into_iter().map(|h| h.join().expect("goroutine")).collect();
            (std::thread::current().id(), seen)
        });
        assert_ne!(home, std::thread::current().id(), "block_on ran on the caller's thread");
        let mut parks = 0;
        for (g, s) in seen.iter().enumerate() {
            for (k, &(before, after)) in s.iter().enumerate() {
                assert_eq!(before, after, "goroutine {g} moved at its park {k}");
                assert_eq!(before, home, "goroutine {g} ran off the runtime's thread");
                parks += 1;
            }
        }
        assert!(parks >= GOROUTINES * ROUNDS, "only {parks} parks observed");
    });
}

thread_local! {
    static B: Cell<Option<Box<u64>>> = const { Cell::new(None) };
    static RC: RefCell<Rc<RefCell<Vec<u64>>>> = RefCell::new(Rc::new(RefCell::new(Vec::new())));
}

/// Takes the thread-local's box and puts back a new one: a stale slot address used on
/// another thread frees one box twice.
#[inline(never)]
fn bump(b: &Cell<Option<Box<u64>>>) {
    let v = b.take().map_or(0, |x| *x);
    b.set(Some(Box::new(v + 1)));
}

#[test]
fn thread_local_on_both_sides_of_a_park() {
    on_one_thread(|_| {
        let mut seen = Vec::new();
        for _ in 0..ROUNDS {
            B.with(bump);
            let before = std::thread::current().id();
            gpm::yield_now();
            seen.push((before, std::thread::current().id()));
            B.with(bump);
        }
        seen
    });
    // Every bump landed in the one thread's slot: 2 per round per goroutine.
}

#[test]
fn thread_local_borrowed_across_a_park() {
    on_one_thread(|_| {
        let mut seen = Vec::new();
        B.with(|b| {
            for _ in 0..ROUNDS {
                bump(b);
                let before = std::thread::current().id();
                gpm::yield_now();
                seen.push((before, std::thread::current().id()));
                bump(b);
            }
        });
        seen
    });
}

#[test]
fn stdout_lock_held_across_a_park() {
    on_one_thread(|i| {
        let mut seen = Vec::new();
        for r in 0..ROUNDS {
            let out = std::io::stdout();
            let mut held = out.lock();
            let before = std::thread::current().id();
            gpm::yield_now();
            seen.push((before, std::thread::current().id()));
            if r % 50 == 0 {
                writeln!(held, "goroutine {i} round {r}").expect("stdout");
            }
            drop(held);
            if r % 50 == 25 {
                println!("goroutine {i} round {r}, unlocked");
            }
        }
        seen
    });
}

#[test]
fn rc_from_a_thread_local_held_across_a_park() {
    on_one_thread(|i| {
        let mut seen = Vec::new();
        for r in 0..ROUNDS {
            // As `rand::thread_rng()`: a clone of a thread-local `Rc`, used after a park.
            let shared = RC.with(|rc| rc.borrow().clone());
            shared.borrow_mut().push(i as u64);
            let before = std::thread::current().id();
            gpm::yield_now();
            seen.push((before, std::thread::current().id()));
            let mut v = shared.borrow_mut();
            v.push(r as u64);
            if v.len() > 1024 {
                v.clear();
            }
        }
        seen
    });
}

/// A goroutine inside `blocking` waits for one that runs meanwhile: the call runs on a
/// helper thread, and the runtime's thread goes on.
#[test]
fn blocking_runs_on_a_helper_while_the_others_go_on() {
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let (home, helper, got) = rt.block_on(|| {
            let (tx, rx) = std::sync::mpsc::channel::<u32>();
            let blocked = gpm::go(move || {
                // Blocks its thread until the goroutine below sends.
                gpm::blocking(move || (std::thread::current().id(), rx.recv().expect("send")))
            });
            gpm::yield_now();
            gpm::go(move || tx.send(7).expect("recv")).join().expect("sender");
            let (helper, got) = blocked.join().expect("blocked");
            (std::thread::current().id(), helper, got)
        });
        assert_eq!(got, 7);
        assert_ne!(helper, home, "blocking ran on the runtime's thread");
        // A panic in the call comes back in the goroutine.
        let r = rt.block_on(|| gpm::go(|| gpm::blocking(|| panic!("in blocking"))).join());
        let msg = r.expect_err("panic resumed").downcast::<&str>().expect("str payload");
        assert_eq!(*msg, "in blocking");
    });
}

/// A goroutine with no scheduling point keeps the thread (there is no other to hand the
/// rest to), is flagged by sysmon, and yields at its next scheduling point; nothing runs
/// on another thread meanwhile.
#[test]
fn hog_is_flagged_not_handed_off() {
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let ran = Arc::new(AtomicUsize::new(0));
        let ids = rt.block_on({
            let ran = ran.clone();
            move || {
                let stop = Arc::new(AtomicBool::new(false));
                let other = {
                    let (ran, stop) = (ran.clone(), stop.clone());
                    gpm::go(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                        stop.store(true, Ordering::SeqCst);
                        std::thread::current().id()
                    })
                };
                // Spin 30 ms past sysmon's 10 + 10 ms without a scheduling point: on a
                // migrating runtime its P would be handed to another M, which would run
                // `other` on another thread.
                let t = std::time::Instant::now();
                while t.elapsed() < std::time::Duration::from_millis(30) {
                    std::hint::spin_loop();
                }
                assert_eq!(ran.load(Ordering::SeqCst), 0, "ran while the hog held the thread");
                gpm::yield_now(); // the scheduling point: `other` runs now
                assert!(stop.load(Ordering::SeqCst));
                (std::thread::current().id(), other.join().expect("other"))
            }
        });
        assert_eq!(ids.0, ids.1);
        let stats = rt.stats();
        assert_eq!(stats.threads, 1, "{stats:?}");
        assert_eq!(stats.retakes + stats.handoffs, 0, "{stats:?}");
    });
}

/// `lock_os_thread` only counts; a goroutine that returns locked does not end the thread.
#[test]
fn lock_os_thread_counts_and_keeps_the_thread() {
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let first = rt.block_on(|| {
            gpm::go(|| {
                gpm::lock_os_thread();
                gpm::lock_os_thread();
                gpm::yield_now();
                gpm::unlock_os_thread();
                std::thread::current().id() // returns still locked once
            })
            .join()
            .expect("locked")
        });
        let after = rt.block_on(|| gpm::go(|| std::thread::current().id()).join().expect("next"));
        assert_eq!(first, after);
        assert_eq!(rt.stats().threads, 1);
    });
}

/// A destructor that parks while a panic unwinds its goroutine: the goroutine is not
/// pinned to a second thread (there is none), and the others go on meanwhile.
#[test]
fn park_during_unwind_stays_on_the_thread() {
    struct ParkOnDrop(gpm::chan::Receiver<()>, Arc<AtomicUsize>);
    impl Drop for ParkOnDrop {
        fn drop(&mut self) {
            let _ = self.0.recv();
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        rt.block_on(move || {
            let (tx, rx) = gpm::chan::bounded(0);
            let h = gpm::go(move || {
                let _guard = ParkOnDrop(rx, d);
                panic!("unwind through a parking destructor");
            });
            gpm::yield_now();
            tx.send(()).expect("the destructor receives");
            assert!(h.join().is_err());
        });
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        assert_eq!(rt.stats().threads, 1);
    });
}

/// The channel, select and sync tests' shapes on a single-thread runtime: a ping-pong, a
/// fan-in under `select!`, a mutex hammer, a wait group, with plain threads on the other
/// side of some of them.
#[test]
fn channels_select_and_sync() {
    deadline(60, || {
        let rt = Runtime::single_thread().expect("runtime");
        let (to_main, from_g) = gpm::chan::bounded::<u64>(0);
        rt.go(move || {
            for i in 0..1000 {
                to_main.send(i).expect("main receives");
            }
        });
        assert_eq!(from_g.iter().sum::<u64>(), 499_500);
        let total = rt.block_on(|| {
            let (a_tx, a_rx) = gpm::chan::bounded::<u64>(4);
            let (b_tx, b_rx) = gpm::chan::bounded::<u64>(0);
            // Each sender hands its `Sender` back through its join, so neither channel
            // closes while the other still has values to deliver.
            let a = gpm::go(move || {
                (0..500).for_each(|i| a_tx.send(i).expect("a"));
                a_tx
            });
            let b = gpm::go(move || {
                (500..1000).for_each(|i| b_tx.send(i).expect("b"));
                b_tx
            });
            let (mut sum, mut n) = (0, 0);
            while n < 1000 {
                gpm::select! {
                    recv(a_rx) -> v => { sum += v.expect("a open"); n += 1 },
                    recv(b_rx) -> v => { sum += v.expect("b open"); n += 1 },
                }
            }
            drop((a.join().expect("a"), b.join().expect("b")));
            let m = Arc::new(gpm::sync::Mutex::new(0u64));
            let wg = gpm::sync::WaitGroup::new();
            for _ in 0..8 {
                let (m, wg) = (m.clone(), wg.clone());
                wg.add(1);
                gpm::go(move || {
                    for _ in 0..100 {
                        let mut g = m.lock();
                        *g += 1;
                        gpm::yield_now(); // a guard of gpm's Mutex may be held across a park
                        *g += 1;
                    }
                    wg.done();
                });
            }
            wg.wait();
            sum + *m.lock()
        });
        assert_eq!(total, 499_500 + 1600);
    });
}

/// Dropping the runtime cancels its parked goroutines on the runtime's own thread: their
/// destructors see the thread (and its thread-locals) they ran on.
#[test]
fn cancelled_goroutines_unwind_on_the_runtime_thread() {
    struct Record(ThreadId, Arc<std::sync::Mutex<Vec<(ThreadId, ThreadId, u64)>>>);
    impl Drop for Record {
        fn drop(&mut self) {
            let v = B.with(|b| b.take().map_or(0, |x| *x));
            self.1.lock().expect("record").push((self.0, std::thread::current().id(), v));
        }
    }
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = gpm::chan::bounded::<()>(0);
        let started = Arc::new(AtomicUsize::new(0));
        for _ in 0..8 {
            let (log, rx, started) = (log.clone(), rx.clone(), started.clone());
            rt.go(move || {
                B.with(bump); // this thread's slot now holds a box
                let _r = Record(std::thread::current().id(), log);
                started.fetch_add(1, Ordering::SeqCst);
                let _ = rx.recv(); // parked until cancelled
            });
        }
        while started.load(Ordering::SeqCst) < 8 {
            std::thread::yield_now();
        }
        drop(rt);
        drop(tx);
        let log = log.lock().expect("log");
        assert_eq!(log.len(), 8, "every destructor ran");
        for &(ran_on, dropped_on, _) in log.iter() {
            assert_eq!(ran_on, dropped_on, "a goroutine was unwound on another thread");
        }
    });
}

/// A goroutine parked in a destructor during a panic is leaked at drop, not unwound: if
/// that destructor is inside `blocking`, the call on its helper may still borrow the
/// runtime thread's thread-locals, so the thread (and the drop) waits for the call.
#[test]
fn drop_waits_for_a_leaked_goroutines_blocking_call() {
    struct InBlocking(Option<std::sync::mpsc::Receiver<()>>, Arc<AtomicBool>, Arc<AtomicBool>);
    impl Drop for InBlocking {
        fn drop(&mut self) {
            let (rx, done) = (self.0.take().expect("once"), self.1.clone());
            // After the panic hook (a backtrace takes a while): the unwind is under way.
            self.2.store(true, Ordering::SeqCst);
            gpm::blocking(move || {
                let _ = rx.recv();
                done.store(true, Ordering::SeqCst);
            });
        }
    }
    deadline(30, || {
        let rt = Runtime::single_thread().expect("runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let entered = Arc::new(AtomicBool::new(false));
        {
            let (done, entered) = (done.clone(), entered.clone());
            rt.go(move || {
                let _d = InBlocking(Some(rx), done, entered);
                panic!("unwinds into a destructor that calls blocking");
            });
        }
        while !entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let dropper = {
            let done = done.clone();
            std::thread::spawn(move || {
                drop(rt);
                done.load(Ordering::SeqCst)
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        tx.send(()).expect("the blocking call receives");
        assert!(dropper.join().expect("drop"), "drop returned before the blocking call ended");
    });
}
