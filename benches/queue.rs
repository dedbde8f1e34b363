//! gpm-queue vs crossbeam-deque, one criterion group per row, each with a `gpm` and a
//! `crossbeam` function (`cargo xtask bench queue` reads
//! `target/criterion/<row>/<gpm|crossbeam>/new/estimates.json` and prints the ratios).
//! Every row times its own loop (`iter_custom`): with `Bencher::iter` the per-iteration
//! harness cost (~5 ns here) was larger than a push + pop and squeezed every ratio towards 1.
//!
//! - `push_pop`: one push then one pop on the owner's queue (crossbeam: a FIFO `Worker`).
//! - `fill_drain_256`: push 256 then pop 256 (a whole gpm ring; no overflow).
//! - `steal`: per-item time of a thief taking items (batch steal + popping its own queue) while
//!   another thread keeps the victim's queue topped up (crossbeam: `steal_batch_and_pop`);
//!   only successful steals are timed (see `time_thief`).
//! - `global_push_pop`: one push then one pop on the global queue (crossbeam: `Injector`).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_deque::{Injector, Steal, Worker};
use gpm_queue::{Global, local};

fn push_pop(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_pop");
    group.throughput(Throughput::Elements(1));
    let global = Global::new();
    let (mut q, _s) = local::<usize>();
    group.bench_function("gpm", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                q.push(black_box(i), &global);
                black_box(q.pop());
            }
            start.elapsed()
        })
    });
    let w = Worker::<usize>::new_fifo();
    let _s = w.stealer();
    group.bench_function("crossbeam", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                w.push(black_box(i));
                black_box(w.pop());
            }
            start.elapsed()
        })
    });
    group.finish();
}

fn fill_drain_256(c: &mut Criterion) {
    let mut group = c.benchmark_group("fill_drain_256");
    group.throughput(Throughput::Elements(256));
    let global = Global::new();
    let (mut q, _s) = local::<usize>();
    group.bench_function("gpm", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for i in 0..256 {
                    q.push(black_box(i), &global);
                }
                while let Some(x) = q.pop() {
                    black_box(x);
                }
            }
            start.elapsed()
        })
    });
    let w = Worker::<usize>::new_fifo();
    let _s = w.stealer();
    group.bench_function("crossbeam", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for i in 0..256 {
                    w.push(black_box(i));
                }
                while let Some(x) = w.pop() {
                    black_box(x);
                }
            }
            start.elapsed()
        })
    });
    group.finish();
}

/// Runs `push_some` on another thread until `stop`. `push_some` tops the victim up in bursts
/// of 32 whenever it holds fewer than 128 (so the gpm ring, steals in flight included, never
/// fills and the row measures stealing, not the spill to the global queue), and otherwise
/// backs off a little instead of polling the victim's `head` line continuously.
fn feeder(
    stop: Arc<AtomicBool>,
    mut push_some: impl FnMut() -> bool + Send + 'static,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if !push_some() {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            }
        }
    })
}

/// Per-item time of a thief: the time spent in successful steals (and in popping what they
/// brought into the thief's own queue) until it has taken `iters` items. Failed attempts on
/// an empty victim are not counted: on a shared 2-core machine they measure how often the
/// feeder thread got a core, not the queue.
fn time_thief(iters: u64, mut take: impl FnMut() -> u64) -> Duration {
    let mut spent = Duration::ZERO;
    let mut got = 0;
    while got < iters {
        let start = Instant::now();
        let n = take();
        if n > 0 {
            spent += start.elapsed();
            got += n;
        }
    }
    spent
}

fn steal(c: &mut Criterion) {
    let mut group = c.benchmark_group("steal");
    group.throughput(Throughput::Elements(1));
    {
        let stop = Arc::new(AtomicBool::new(false));
        let (mut victim, stealer) = local::<usize>();
        let global = Global::new();
        let owner = feeder(stop.clone(), move || {
            let room = victim.len() < 128;
            if room {
                for i in 0..32 {
                    victim.push(i, &global);
                }
            }
            room
        });
        let (mut mine, _s) = local::<usize>();
        group.bench_function("gpm", |b| {
            b.iter_custom(|iters| {
                time_thief(iters, || match stealer.steal_into(&mut mine) {
                    None => 0,
                    Some(x) => {
                        black_box(x);
                        1 + mine.drain().map(black_box).count() as u64
                    }
                })
            })
        });
        stop.store(true, Ordering::Relaxed);
        owner.join().unwrap();
    }
    {
        let stop = Arc::new(AtomicBool::new(false));
        let victim = Worker::<usize>::new_fifo();
        let stealer = victim.stealer();
        let owner = feeder(stop.clone(), move || {
            let room = victim.len() < 128;
            if room {
                for i in 0..32 {
                    victim.push(i);
                }
            }
            room
        });
        let mine = Worker::<usize>::new_fifo();
        group.bench_function("crossbeam", |b| {
            b.iter_custom(|iters| {
                time_thief(iters, || match stealer.steal_batch_and_pop(&mine) {
                    Steal::Success(x) => {
                        black_box(x);
                        let mut n = 1;
                        while let Some(x) = mine.pop() {
                            black_box(x);
                            n += 1;
                        }
                        n
                    }
                    Steal::Empty | Steal::Retry => 0,
                })
            })
        });
        stop.store(true, Ordering::Relaxed);
        owner.join().unwrap();
    }
    group.finish();
}

fn global_push_pop(c: &mut Criterion) {
    let mut group = c.benchmark_group("global_push_pop");
    group.throughput(Throughput::Elements(1));
    let global = Global::<usize>::new();
    group.bench_function("gpm", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                global.push(black_box(i));
                black_box(global.pop());
            }
            start.elapsed()
        })
    });
    let injector = Injector::<usize>::new();
    group.bench_function("crossbeam", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                injector.push(black_box(i));
                let _ = black_box(injector.steal());
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = push_pop, fill_drain_256, steal, global_push_pop
}
criterion_main!(benches);
