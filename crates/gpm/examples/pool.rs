//! `gpm::pool`, ants' goroutine pool: a million short tasks through 1,000 reused worker
//! goroutines, results through `spawn`, one function over typed arguments with
//! `PoolWithFunc`, a `MultiPool`, `tune` at run time, and `release_timeout` at the end.
//! Submitters are a goroutine and a plain thread at once (a submit at the capacity parks
//! the goroutine and blocks the thread).
//!
//! Run: `cargo run --release -p gpm --example pool`

use gpm::pool::{LoadBalancing, MultiPool, Pool, PoolWithFunc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: the tasks of this program hold no thread-local and no thread-bound value
    // across a park. Plain threads start their workers on the default runtime.
    let rt = unsafe { gpm::init() };

    // 1. At most 1,000 workers; each finished worker parks and takes the next task.
    let pool = Arc::new(Pool::builder().capacity(1_000).expiry(Duration::from_secs(1)).build()?);
    let sum = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let submit_half = |pool: Arc<Pool>, sum: Arc<AtomicU64>, from: u64| {
        move || {
            for i in from..from + 500_000 {
                let sum = sum.clone();
                pool.submit(move || {
                    sum.fetch_add(i, Relaxed);
                })
                .expect("pool is open");
            }
        }
    };
    let thread = std::thread::spawn(submit_half(pool.clone(), sum.clone(), 0));
    rt.block_on(submit_half(pool.clone(), sum.clone(), 500_000));
    thread.join().expect("submitting thread");
    pool.wait();
    let n: u64 = 1_000_000;
    assert_eq!(sum.load(Relaxed), n * (n - 1) / 2);
    println!(
        "1,000,000 tasks in {:?} on {} workers (capacity {:?})",
        start.elapsed(),
        pool.running(),
        pool.cap()
    );

    // 2. Results and panics come back through handles (the panic hook prints the panic,
    // as for any thread).
    let squares: Vec<_> =
        (1..=5u64).map(|i| pool.spawn(move || i * i)).collect::<Result<_, _>>()?;
    let squares: Vec<u64> = squares.into_iter().map(|h| h.join().expect("no panic")).collect();
    println!("squares: {squares:?}");
    let failed = pool.spawn(|| -> u64 { panic!("a task panics; its worker survives") })?;
    assert!(failed.join().is_err());

    // 3. Shrink at run time: idle workers above the new capacity leave at once.
    pool.tune(10)?;
    println!("after tune(10): {} workers", pool.running());
    pool.release_timeout(Duration::from_secs(5))?;
    println!("released: closed = {}, workers = {}", pool.is_closed(), pool.running());

    // 4. One function over typed arguments: no closure boxed per task.
    let lengths = Arc::new(AtomicU64::new(0));
    let l = lengths.clone();
    let words = PoolWithFunc::new(4, move |w: &'static str| {
        l.fetch_add(w.len() as u64, Relaxed);
    })?;
    for w in ["goroutines", "on", "a", "pool"] {
        words.invoke(w)?;
    }
    words.wait();
    println!("letters: {}", lengths.load(Relaxed));

    // 5. Several pools behind one submit, each task to the pool with the fewest in flight.
    let multi = MultiPool::new(4, 25, LoadBalancing::LeastTasks)?;
    let handles: Vec<_> = (0..100u64).map(|i| multi.spawn(move || i)).collect::<Result<_, _>>()?;
    let total: u64 = handles.into_iter().map(|h| h.join().expect("no panic")).sum();
    println!("multipool: sum {total} over {} pools of capacity {:?}", multi.len(), multi.cap());
    multi.release_timeout(Duration::from_secs(5))?;
    Ok(())
}
