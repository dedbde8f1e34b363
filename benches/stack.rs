//! gpm-stack micro-benchmarks, each row against corosensei's `DefaultStack` where a peer
//! exists: resume+suspend round trip (with the thread slot taken once, and through the
//! thread-local on every resume), running a closure to completion on a pooled coroutine
//! or pooled stack, and allocating stacks fresh vs pooled. Before the timings it prints the
//! RSS of an idle coroutine for three stack sizes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corosensei::stack::DefaultStack;
use criterion::{Criterion, criterion_group};
use gpm_stack::{Coroutine, Resumed, Stack, StackPool};

const SIZE: usize = 256 * 1024;

fn resume_suspend(c: &mut Criterion) {
    let mut g = c.benchmark_group("resume_suspend");
    let mut co = Coroutine::new(Stack::new(SIZE).unwrap());
    co.start(Box::new(|s| {
        loop {
            s.suspend()
        }
    }));
    // The scheduler's way: the thread's slot looked up once, a plain store per resume.
    let slot = gpm_stack::thread_slot();
    g.bench_function("gpm", |b| {
        b.iter(|| black_box(matches!(co.resume_in(&slot), Resumed::Suspended)))
    });
    let mut peer = corosensei::Coroutine::with_stack(
        DefaultStack::new(SIZE).unwrap(),
        |y: &corosensei::Yielder<(), ()>, ()| loop {
            y.suspend(())
        },
    );
    g.bench_function("corosensei", |b| b.iter(|| black_box(peer.resume(()))));
    g.finish();
    // `resume()`, which finds the thread's slot through a thread-local on every call.
    let mut g = c.benchmark_group("resume_suspend_tls");
    g.bench_function("gpm", |b| b.iter(|| black_box(matches!(co.resume(), Resumed::Suspended))));
    g.finish();
}

fn run_closure_pooled_coroutine(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_closure_pooled_coroutine");
    let mut co = Coroutine::new(Stack::new(SIZE).unwrap());
    let mut n = 0u64;
    g.bench_function("gpm", |b| {
        b.iter(|| {
            n += 1;
            let x = n;
            co.start(Box::new(move |_| {
                black_box(x);
            }));
            let r = co.resume();
            debug_assert!(matches!(r, Resumed::Finished(Ok(()))));
            black_box(r)
        })
    });
    // corosensei's nearest equivalent: a new coroutine on a reused stack for every closure.
    let mut stack = Some(DefaultStack::new(SIZE).unwrap());
    g.bench_function("corosensei", |b| {
        b.iter(|| {
            n += 1;
            let x = n;
            let mut co = corosensei::Coroutine::with_stack(
                stack.take().unwrap(),
                move |_: &corosensei::Yielder<(), ()>, ()| {
                    black_box(x);
                },
            );
            black_box(co.resume(()).as_return());
            stack = Some(co.into_stack());
        })
    });
    g.finish();
}

fn run_closure_pooled_stack(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_closure_pooled_stack");
    let pool = StackPool::new(SIZE).unwrap();
    g.bench_function("gpm", |b| {
        b.iter(|| {
            let mut co = Coroutine::new(pool.get().unwrap());
            co.start(Box::new(|_| {
                black_box(1u64);
            }));
            black_box(co.resume());
            pool.put(co.into_stack());
        })
    });
    g.finish();
}

fn run_closure_fresh_stack(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_closure_fresh_stack");
    g.bench_function("gpm", |b| {
        b.iter(|| {
            let mut co = Coroutine::new(Stack::new(SIZE).unwrap());
            co.start(Box::new(|_| {
                black_box(1u64);
            }));
            black_box(co.resume());
        })
    });
    g.bench_function("corosensei", |b| {
        b.iter(|| {
            let mut co = corosensei::Coroutine::with_stack(
                DefaultStack::new(SIZE).unwrap(),
                |_: &corosensei::Yielder<(), ()>, ()| {
                    black_box(1u64);
                },
            );
            black_box(co.resume(()).as_return())
        })
    });
    g.finish();
}

fn stack_alloc(c: &mut Criterion) {
    let mut g = c.benchmark_group("stack_alloc_fresh");
    g.bench_function("gpm", |b| b.iter(|| black_box(Stack::new(SIZE).unwrap())));
    g.bench_function("corosensei", |b| b.iter(|| black_box(DefaultStack::new(SIZE).unwrap())));
    g.finish();
    let mut g = c.benchmark_group("stack_alloc_pooled");
    let pool = StackPool::new(SIZE).unwrap();
    g.bench_function("gpm", |b| b.iter(|| pool.put(black_box(pool.get().unwrap()))));
    g.finish();
}

/// Stacks taken per fresh pool in the miss rows: a pool's first few thousand stacks, as a
/// runtime's burst of goroutines meets them (and under the `mprotect` peer's mapping limit).
const MISS_BATCH: u64 = 4096;

/// A pool miss: `get` from a pool whose caches are empty, so every stack is new. Each batch
/// uses a fresh pool; building and dropping it (and the stacks) is not timed.
fn stack_pool_miss(c: &mut Criterion) {
    let mut g = c.benchmark_group("stack_pool_miss");
    g.bench_function("gpm", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(MISS_BATCH);
                left -= n;
                let pool = StackPool::new(SIZE).unwrap();
                let mut held = Vec::with_capacity(n as usize);
                let start = Instant::now();
                for _ in 0..n {
                    held.push(pool.get().unwrap());
                }
                total += start.elapsed();
                drop(held);
                drop(pool);
            }
            total
        })
    });
    g.bench_function("corosensei", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(MISS_BATCH);
                left -= n;
                let mut held = Vec::with_capacity(n as usize);
                let start = Instant::now();
                for _ in 0..n {
                    held.push(DefaultStack::new(SIZE).unwrap());
                }
                total += start.elapsed();
                drop(held);
            }
            total
        })
    });
    g.finish();
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 4096
}

/// The memory figure: RSS per idle coroutine (ran one job, waits for the next).
fn report_idle_rss() {
    const N: usize = 2000;
    for kib in [16, 64, 256] {
        let before = rss_bytes();
        let cos: Vec<Coroutine> = (0..N)
            .map(|_| {
                let mut co = Coroutine::new(Stack::new(kib * 1024).unwrap());
                co.start(Box::new(|_| {}));
                black_box(co.resume());
                co
            })
            .collect();
        let per = (rss_bytes() - before) / N;
        println!("idle_coroutine_rss/{kib}KiB: {per} bytes per coroutine ({N} coroutines)");
        drop(cos);
    }
}

criterion_group!(
    benches,
    resume_suspend,
    run_closure_pooled_coroutine,
    run_closure_pooled_stack,
    run_closure_fresh_stack,
    stack_alloc,
    stack_pool_miss
);

fn main() {
    if !std::env::args().any(|a| a == "--list") {
        report_idle_rss();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
