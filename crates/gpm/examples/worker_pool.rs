//! A worker pool: WORKERS goroutines pull jobs from one channel and push results on
//! another; a `WaitGroup` tells when they have all finished. Each job reads a file through
//! `gpm::blocking`, with a simulated slow disk (a `std::thread::sleep`).
//!
//! Why `blocking`: reading a file blocks the *thread* (there is no file netpoller), and a
//! goroutine's thread is an M holding one of the runtime's few Ps. Inside `blocking(f)`
//! the P is marked "in a syscall"; if `f` takes long, sysmon retakes the P and hands it to
//! another M (starting one if needed), so the P keeps running the other goroutines — here,
//! the other workers, who enter their own blocking reads. With 2 Ps, far more than 2
//! workers are then waiting on the disk at once (Go's entersyscall / handoffp).
//! Without `blocking` (try it: call the closure directly), each read keeps its P, only
//! `procs` reads are in flight, and the run takes about 4× longer (≈320 ms instead of
//! ≈85 ms on a 2-core machine). sysmon retakes a P from a goroutine that runs without a
//! scheduling point only after two 10 ms slices, too late to help here.
//!
//! Meanwhile the main thread — a plain thread, not a goroutine — samples
//! `Runtime::stats()` to show the hand-off happening: goroutines in `syscall`, threads.
//!
//! Run: `cargo run --release -p gpm --example worker_pool`

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gpm::chan::{Receiver, Sender, bounded};
use gpm::sync::WaitGroup;

const PROCS: usize = 2;
const WORKERS: usize = 8;
const JOBS: usize = 32;
/// The simulated disk's latency per read.
const DISK_LATENCY: Duration = Duration::from_millis(20);

struct Job {
    id: usize,
    path: PathBuf,
}

struct Outcome {
    id: usize,
    worker: usize,
    checksum: u64,
}

/// FNV-1a, a checksum simple enough to write here.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Writes JOBS files into `dir`; returns each file's path and checksum.
fn make_files(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    std::fs::create_dir_all(dir)?;
    (0..JOBS)
        .map(|i| {
            let path = dir.join(format!("job-{i}.txt"));
            let text: String = (0..=i).map(|k| format!("line {k} of file {i}\n")).collect();
            std::fs::write(&path, &text)?;
            Ok((path, fnv1a(text.as_bytes())))
        })
        .collect()
}

/// One worker: takes jobs until the job channel is closed and drained.
fn worker(me: usize, jobs: Receiver<Job>, results: Sender<Outcome>, wg: WaitGroup) {
    for job in &jobs {
        // The blocking part runs on this goroutine's thread, which cannot run any other
        // goroutine meanwhile; `blocking` lets the runtime move the P elsewhere.
        let bytes = gpm::blocking(|| {
            std::thread::sleep(DISK_LATENCY); // a slow disk
            std::fs::read(&job.path)
        })
        .expect("read a job file");
        // Back with a P: the CPU part runs like any goroutine code.
        let checksum = fnv1a(&bytes);
        results.send(Outcome { id: job.id, worker: me, checksum }).expect("collector alive");
    }
    wg.done();
}

/// Runs the pool over `files` and returns the outcomes (in completion order).
fn run_pool(files: Vec<(PathBuf, u64)>) -> Vec<Outcome> {
    let (job_tx, job_rx) = bounded::<Job>(0);
    // Room for every result: workers never wait for the collector.
    let (res_tx, res_rx) = bounded::<Outcome>(JOBS);
    let wg = WaitGroup::new();
    for w in 0..WORKERS {
        wg.add(1);
        let (jobs, results, wg) = (job_rx.clone(), res_tx.clone(), wg.clone());
        gpm::Builder::new()
            .name(format!("worker-{w}"))
            .go(move || worker(w, jobs, results, wg))
            .expect("spawn a worker");
    }
    drop((job_rx, res_tx)); // only the workers hold these now
    for (id, (path, _)) in files.into_iter().enumerate() {
        job_tx.send(Job { id, path }).expect("workers alive");
    }
    drop(job_tx); // close: each worker's `for job in &jobs` ends after the last job
    wg.wait(); // parks this goroutine until every worker has called `done`
    // Every worker is done and has dropped its Sender: the channel is closed, and
    // `iter` drains the buffered results and ends.
    res_rx.iter().collect()
}

fn main() -> io::Result<()> {
    let dir = std::env::temp_dir().join(format!("gpm-worker-pool-{}", std::process::id()));
    let files = make_files(&dir)?;
    let expected: Vec<u64> = files.iter().map(|(_, sum)| *sum).collect();

    // SAFETY: the workers only receive jobs, compute and send results: no thread-local, no
    // thread-bound value across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(PROCS).build() }?;
    let start = Instant::now();
    let pool = rt.go(move || run_pool(files));
    // The main thread samples the scheduler while the pool runs.
    let (mut max_syscall, mut max_threads) = (0, 0);
    while !pool.is_finished() {
        let s = rt.stats();
        max_syscall = max_syscall.max(s.syscall);
        max_threads = max_threads.max(s.threads);
        std::thread::sleep(Duration::from_millis(1));
    }
    let outcomes = pool.join().expect("the pool panicked");
    let elapsed = start.elapsed();
    std::fs::remove_dir_all(&dir)?;

    let stats = rt.stats();
    let rounds = |parallel: usize| JOBS.div_ceil(parallel) as u32;
    println!(
        "worker_pool: {JOBS} jobs on {WORKERS} workers, {PROCS} procs, {:?} disk latency",
        DISK_LATENCY
    );
    println!(
        "  done in {:.1} ms (≈{:?} if all workers' reads overlap; ≈{:?} if only {PROCS} could)",
        elapsed.as_secs_f64() * 1e3,
        DISK_LATENCY * rounds(WORKERS),
        DISK_LATENCY * rounds(PROCS),
    );
    println!(
        "  seen at once: {max_syscall} goroutines in blocking, {max_threads} threads; \
         P retakes by sysmon: {}, hand-offs: {}",
        stats.retakes, stats.handoffs
    );
    let mut per_worker = [0usize; WORKERS];
    for o in &outcomes {
        per_worker[o.worker] += 1;
    }
    println!("  jobs per worker: {per_worker:?}");

    let mut ids: Vec<usize> = outcomes.iter().map(|o| o.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..JOBS).collect::<Vec<_>>(), "every job done exactly once");
    for o in &outcomes {
        assert_eq!(o.checksum, expected[o.id], "job {} read the wrong bytes", o.id);
    }
    assert!(
        max_syscall > PROCS && stats.retakes > 0,
        "the Ps of blocked Ms were handed off: more reads in flight than Ps"
    );
    Ok(())
}
