//! A Go-style goroutine dump: `Runtime::dump()` lists every live goroutine with its id,
//! name, state, wait reason, how long it has waited and where it was spawned;
//! `Runtime::stats()` counts them and shows the scheduler's queues and threads;
//! `Runtime::schedtrace()` is the line `GPM_DEBUG=schedtrace=MS` prints periodically.
//!
//! The program parks named goroutines in every kind of wait (channel receive and send,
//! select, sleep, Mutex, WaitGroup, join, a blocking call), prints the dump, then drops the
//! runtime with some of them still parked: dropping a `Runtime` cancels its unfinished
//! goroutines by unwinding their stacks, so their destructors run and their `join`
//! returns `Err(Cancelled)`.
//!
//! Run: `cargo run --release -p gpm --example goroutine_dump`
//! (try also `GPM_DEBUG=schedtrace=100 cargo run --release -p gpm --example goroutine_dump`)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gpm::chan::bounded;
use gpm::sync::{Mutex, WaitGroup};

/// Counts its drops: shows that a cancelled goroutine's stack is unwound.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The goroutines of the demo, by what they wait for.
struct Parked {
    receiver: gpm::JoinHandle<Option<u32>>,
    sender: gpm::JoinHandle<bool>,
    selector: gpm::JoinHandle<Option<u32>>,
    locker: gpm::JoinHandle<()>,
    waiter: gpm::JoinHandle<()>,
    syscaller: gpm::JoinHandle<bool>,
    spinner: gpm::JoinHandle<()>,
    sleeper: gpm::JoinHandle<()>,
    joiner: gpm::JoinHandle<Option<Option<u32>>>,
}

/// What the parked goroutines wait on; `main` keeps these to end the waits.
struct Ends {
    never: gpm::chan::Sender<u32>,
    never2: gpm::chan::Sender<u32>,
    full: gpm::chan::Receiver<u32>,
    lock: Arc<Mutex<u32>>,
    wg: WaitGroup,
    os: std::sync::mpsc::Sender<()>,
    stop: Arc<AtomicBool>,
}

/// Spawns the demo's goroutines. Runs as a goroutine (under `block_on`), so
/// `gpm::Builder::go` spawns on the same runtime and records these lines as the places
/// the goroutines were created.
fn spawn_all(dropped: Arc<AtomicUsize>, lock: Arc<Mutex<u32>>) -> (Parked, Ends) {
    let named = |name: &str| gpm::Builder::new().name(name);
    let (never, never_rx) = bounded::<u32>(0); // nobody ever sends on it
    let (never2, never2_rx) = bounded::<u32>(0);
    let (full_tx, full) = bounded::<u32>(0); // nobody receives until the end
    let wg = WaitGroup::new();
    wg.add(1);
    let (os, os_rx) = std::sync::mpsc::channel::<()>();
    let stop = Arc::new(AtomicBool::new(false));

    let r = never_rx.clone();
    let receiver = named("receiver").go(move || r.recv().ok()).unwrap();
    let sender = named("sender").go(move || full_tx.send(7).is_ok()).unwrap();
    let (a, b) = (never_rx.clone(), never2_rx);
    let selector = named("selector")
        .go(move || {
            gpm::select! {
                recv(a) -> v => v.ok(),
                recv(b) -> v => v.ok(),
            }
        })
        .unwrap();
    // The main thread holds `lock`, so this one parks.
    let l = lock.clone();
    let locker = named("locker").go(move || *l.lock() += 1).unwrap();
    let w = wg.clone();
    let waiter = named("waiter").go(move || w.wait()).unwrap();
    // A std channel blocks the thread: inside `blocking` the goroutine shows as "syscall"
    // and its P is handed to another thread.
    let syscaller =
        named("syscaller").go(move || gpm::blocking(move || os_rx.recv().is_ok())).unwrap();
    let s = stop.clone();
    let spinner = named("spinner")
        .go(move || {
            while !s.load(Ordering::Relaxed) {
                gpm::yield_now(); // always runnable or running
            }
        })
        .unwrap();
    // The runtime's drop will cancel this one.
    let d = DropGuard(dropped.clone());
    let sleeper = named("sleeper")
        .go(move || {
            let _guard = d;
            gpm::sleep(Duration::from_secs(3600));
        })
        .unwrap();
    let d = DropGuard(dropped);
    let joiner = named("joiner")
        .go(move || {
            let _guard = d;
            // Unnamed: the dump shows only where it was created.
            let inner = gpm::go(move || never_rx.recv().ok());
            inner.join().ok()
        })
        .unwrap();
    let parked =
        Parked { receiver, sender, selector, locker, waiter, syscaller, spinner, sleeper, joiner };
    (parked, Ends { never, never2, full, lock, wg, os, stop })
}

fn main() -> std::io::Result<()> {
    // SAFETY: the demo goroutines park on channels, locks and timers, holding no thread-local
    // and no thread-bound value across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(2).name("dump-demo").build() }?;
    let dropped = Arc::new(AtomicUsize::new(0));
    let lock = Arc::new(Mutex::new(0u32));
    let held = lock.lock(); // a plain thread can hold a gpm Mutex
    let (d, l) = (dropped.clone(), lock.clone());
    let (p, ends) = rt.block_on(move || spawn_all(d, l));

    // Let everyone reach its wait: 8 waiting (the joiner's inner goroutine included), 1
    // in a blocking call.
    let start = Instant::now();
    loop {
        let s = rt.stats();
        if s.waiting >= 8 && s.syscall >= 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "goroutines did not park: {s:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20)); // so the dump shows some wait time

    let dump = rt.dump();
    println!("{dump}");
    let stats = rt.stats();
    println!("{stats:#?}");
    println!("{}", rt.schedtrace());
    for expected in [
        "[chan receive, ",
        "[chan send, ",
        "[select, ",
        "[sync.Mutex.Lock, ",
        "[sync.WaitGroup.Wait, ",
        "[sleep, ",
        "[join, ",
        "[syscall]",
        "name: receiver",
        "name: spinner",
        "created at crates/gpm/examples/goroutine_dump.rs:",
    ] {
        assert!(dump.contains(expected), "the dump lacks {expected:?}");
    }

    // End the waits we own.
    let Ends { never, never2, full, lock, wg, os, stop } = ends;
    drop(full); // the sender's send fails: no receiver left
    drop(held);
    wg.done();
    os.send(()).expect("the syscaller waits");
    stop.store(true, Ordering::Relaxed);
    drop((never, never2)); // closed: receiver, selector, joiner's inner goroutine see Err
    assert_eq!(p.receiver.join().expect("receiver"), None);
    assert!(!p.sender.join().expect("sender"), "the receivers are gone");
    assert_eq!(p.selector.join().expect("selector"), None);
    p.locker.join().expect("locker");
    assert_eq!(*lock.lock(), 1);
    p.waiter.join().expect("waiter");
    assert!(p.syscaller.join().expect("syscaller"));
    p.spinner.join().expect("spinner");
    assert_eq!(p.joiner.join().expect("joiner"), Some(None));
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "the joiner's guard");

    // The sleeper sleeps for an hour: dropping the runtime cancels it.
    drop(rt);
    assert_eq!(dropped.load(Ordering::SeqCst), 2, "the sleeper's stack was unwound");
    let payload = p.sleeper.join().expect_err("a cancelled goroutine's join is an Err");
    assert!(payload.downcast_ref::<gpm::Cancelled>().is_some());
    println!("dropped the runtime: the sleeping goroutine was cancelled, its destructors ran");
    Ok(())
}
