//! `gpm::pool` under load: a million tasks through a pool of 1,000 workers, submitted from
//! four plain threads and four goroutines at once. Every task must run exactly once, every
//! closure must be dropped exactly once, `running()` sampled meanwhile must never exceed the
//! capacity, and after `release_timeout` nothing of the pool may be left: no worker, no
//! task in flight, no blocked submitter, no goroutine. A second test races the purge (a
//! 1 ms expiry) and `tune` against the submitters.

mod chan_support;

use chan_support::deadline;
use gpm::pool::{Options, Pool};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// Counts its drops: a task closure that is leaked or dropped twice shows in the total.
struct Payload(Arc<AtomicUsize>);

impl Drop for Payload {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

/// The two tests share the default runtime; one at a time, so each can count the
/// goroutines it leaves behind.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Run {
    pool: Pool,
    ran: Vec<AtomicU8>,
    drops: Arc<AtomicUsize>,
}

/// Submits tasks `from..to` (task `i` marks `ran[i]`), yielding now and then.
fn submit_range(run: &Run, from: usize, to: usize, this: &Arc<Run>) {
    for i in from..to {
        let (me, payload) = (this.clone(), Payload(run.drops.clone()));
        run.pool
            .submit(move || {
                let _payload = payload;
                me.ran[i].fetch_add(1, Relaxed);
                if i % 97 == 0 {
                    gpm::yield_now();
                }
            })
            .unwrap_or_else(|e| panic!("submit of task {i}: {e}"));
    }
}

/// Runs `n` tasks through `pool` from 4 threads and 4 goroutines, with `poke` called in a
/// loop on a sampler thread meanwhile; returns the largest `running()` it saw.
fn drive(pool: Pool, n: usize, poke: impl Fn(&Pool) + Send + 'static) -> (Arc<Run>, usize) {
    let ran = (0..n).map(|_| AtomicU8::new(0)).collect();
    let run = Arc::new(Run { pool, ran, drops: Arc::new(AtomicUsize::new(0)) });
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (run, stop) = (run.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut max = 0;
            while !stop.load(Relaxed) {
                max = max.max(run.pool.running());
                poke(&run.pool);
                std::thread::yield_now();
            }
            max
        })
    };
    let chunk = n / 8;
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let run = run.clone();
            std::thread::spawn(move || submit_range(&run, t * chunk, (t + 1) * chunk, &run))
        })
        .collect();
    let goroutines: Vec<_> = (4..8)
        .map(|t| {
            let run = run.clone();
            let to = if t == 7 { n } else { (t + 1) * chunk };
            gpm::go(move || submit_range(&run, t * chunk, to, &run))
        })
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    goroutines.into_iter().for_each(|h| h.join().unwrap());
    run.pool.wait();
    stop.store(true, Relaxed);
    (run.clone(), sampler.join().unwrap())
}

/// Checks the exactly-once and nothing-left properties after `drive`.
fn check_and_release(run: &Run, n: usize, baseline: usize) {
    let twice = run.ran.iter().position(|r| r.load(Relaxed) != 1);
    if let Some(i) = twice {
        panic!("task {i} ran {} times", run.ran[i].load(Relaxed));
    }
    run.pool.release_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(run.pool.running(), 0);
    assert_eq!(run.pool.in_flight(), 0);
    assert_eq!(run.pool.waiting(), 0);
    assert_eq!(run.drops.load(Relaxed), n, "every task closure dropped exactly once");
    // The goroutines counted out by release_timeout are returning now.
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while gpm::num_goroutines() > baseline {
        assert!(std::time::Instant::now() < until, "pool goroutines left behind");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn million_tasks_from_threads_and_goroutines() {
    deadline(120, || {
        // SAFETY: the tasks hold no thread-local and no std lock guard across a park.
        unsafe { gpm::init() };
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        const N: usize = 1_000_000;
        const CAP: usize = 1_000;
        let baseline = gpm::num_goroutines();
        let (run, max) = drive(Pool::new(CAP).unwrap(), N, |_| {});
        assert!(max <= CAP, "running() = {max} sampled above the capacity {CAP}");
        check_and_release(&run, N, baseline);
    });
}

#[test]
fn purge_and_tune_race_the_submitters() {
    deadline(120, || {
        // SAFETY: as above.
        unsafe { gpm::init() };
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        const N: usize = 200_000;
        let baseline = gpm::num_goroutines();
        let pool = Options::new().capacity(64).expiry(Duration::from_millis(1)).build().unwrap();
        let flip = AtomicUsize::new(0);
        let (run, max) = drive(pool, N, move |pool| {
            // Capacity between 16 and 64: never above 64, so `running() <= 64` must hold.
            let k = flip.fetch_add(1, Relaxed);
            if k.is_multiple_of(64) {
                pool.tune(16 + (k / 64) % 49).unwrap();
            }
        });
        assert!(max <= 64, "running() = {max} above every capacity the pool had");
        check_and_release(&run, N, baseline);
    });
}
