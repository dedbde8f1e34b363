//! gpm::chan against crossbeam-channel, one criterion group per row, each with a `gpm` and a
//! `crossbeam` function (`cargo xtask bench chan` tabulates them):
//!
//! - `pingpong`: one round trip over two unbuffered channels (send `v`, get `v + 1` back)
//!   between the bench thread and an echo thread (crossbeam: `bounded(0)` likewise).
//! - `fanin`: per-message time of 4 producer threads sending into one `bounded(1024)`
//!   channel drained by the bench thread.
//! - `unbounded`: the same fan-in into an `unbounded()` channel (crossbeam: its
//!   `unbounded()`, the list flavor gpm's is ported from).
//!
//! `gpm` and `crossbeam` run on plain threads (gpm blocks a thread with the same
//! park/unpark a goroutine uses); `gpm_goroutines_p1` / `_p2` run the same exchange between
//! goroutines on a runtime with one / two Ps (targets: ping-pong ≤ 100 ns per round trip,
//! fan-in ≤ 28 ns per message, Go's figures on this machine being 240 and 28).

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PRODUCERS: u64 = 4;
const FANIN_CAP: usize = 1024;

/// One ping-pong implementation: `(send ping, receive pong)` over some channel type.
macro_rules! pingpong_fn {
    ($bounded:path) => {
        |b: &mut criterion::Bencher<'_>| {
            let (ping_tx, ping_rx) = $bounded(0);
            let (pong_tx, pong_rx) = $bounded(0);
            let echo = thread::spawn(move || {
                while let Ok(v) = ping_rx.recv() {
                    if pong_tx.send(v + 1).is_err() {
                        break;
                    }
                }
            });
            b.iter_custom(|iters| {
                let start = Instant::now();
                for i in 0..iters {
                    ping_tx.send(black_box(i)).unwrap();
                    black_box(pong_rx.recv().unwrap());
                }
                start.elapsed()
            });
            drop(ping_tx);
            echo.join().unwrap();
        }
    };
}

/// One fan-in implementation: `PRODUCERS` threads send `iters` messages in all.
macro_rules! fanin_fn {
    ($bounded:path) => {
        |b: &mut criterion::Bencher<'_>| {
            b.iter_custom(|iters| {
                let (tx, rx) = $bounded(FANIN_CAP);
                let per = iters.div_ceil(PRODUCERS);
                let start = Instant::now();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let tx = tx.clone();
                        thread::spawn(move || {
                            for i in 0..per {
                                tx.send(black_box(i)).unwrap();
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let mut sum = 0u64;
                for v in rx.iter() {
                    sum = sum.wrapping_add(v);
                }
                let took = start.elapsed();
                producers.into_iter().for_each(|p| p.join().unwrap());
                black_box(sum);
                // Scale to exactly `iters` messages.
                took.mul_f64(iters as f64 / (per * PRODUCERS) as f64)
            });
        }
    };
}

/// Ping-pong between two goroutines on a runtime with `procs` Ps.
fn pingpong_goroutines(procs: usize) -> impl FnMut(&mut criterion::Bencher<'_>) {
    // SAFETY: the benchmarked goroutines only send and receive.
    let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }.expect("runtime");
    move |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let (ping_tx, ping_rx) = gpm::chan::bounded::<u64>(0);
                let (pong_tx, pong_rx) = gpm::chan::bounded::<u64>(0);
                let echo = gpm::go(move || {
                    while let Ok(v) = ping_rx.recv() {
                        if pong_tx.send(v + 1).is_err() {
                            break;
                        }
                    }
                });
                let start = Instant::now();
                for i in 0..iters {
                    ping_tx.send(black_box(i)).unwrap();
                    black_box(pong_rx.recv().unwrap());
                }
                let took = start.elapsed();
                drop(ping_tx);
                echo.join().unwrap();
                took
            })
        })
    }
}

/// Fan-in from `PRODUCERS` goroutines to one on a runtime with `procs` Ps.
fn fanin_goroutines(procs: usize) -> impl FnMut(&mut criterion::Bencher<'_>) {
    // SAFETY: the benchmarked goroutines only send and receive.
    let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }.expect("runtime");
    move |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let (tx, rx) = gpm::chan::bounded::<u64>(FANIN_CAP);
                let per = iters.div_ceil(PRODUCERS);
                let start = Instant::now();
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|_| {
                        let tx = tx.clone();
                        gpm::go(move || {
                            for i in 0..per {
                                tx.send(black_box(i)).unwrap();
                            }
                        })
                    })
                    .collect();
                drop(tx);
                let mut sum = 0u64;
                for v in rx.iter() {
                    sum = sum.wrapping_add(v);
                }
                let took = start.elapsed();
                producers.into_iter().for_each(|p| p.join().unwrap());
                black_box(sum);
                took.mul_f64(iters as f64 / (per * PRODUCERS) as f64)
            })
        })
    }
}

fn gpm_unbounded(_cap: usize) -> (gpm::chan::Sender<u64>, gpm::chan::Receiver<u64>) {
    gpm::chan::unbounded()
}

fn crossbeam_unbounded(
    _cap: usize,
) -> (crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>) {
    crossbeam_channel::unbounded()
}

fn unbounded(c: &mut Criterion) {
    let mut group = c.benchmark_group("unbounded");
    group.throughput(Throughput::Elements(1));
    group.bench_function("gpm", fanin_fn!(gpm_unbounded));
    group.bench_function("crossbeam", fanin_fn!(crossbeam_unbounded));
    group.finish();
}

fn pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("pingpong");
    group.throughput(Throughput::Elements(1));
    group.bench_function("gpm", pingpong_fn!(gpm::chan::bounded::<u64>));
    group.bench_function("crossbeam", pingpong_fn!(crossbeam_channel::bounded::<u64>));
    group.bench_function("gpm_goroutines_p1", pingpong_goroutines(1));
    group.bench_function("gpm_goroutines_p2", pingpong_goroutines(2));
    group.finish();
}

fn fanin(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanin");
    group.throughput(Throughput::Elements(1));
    group.bench_function("gpm", fanin_fn!(gpm::chan::bounded::<u64>));
    group.bench_function("crossbeam", fanin_fn!(crossbeam_channel::bounded::<u64>));
    group.bench_function("gpm_goroutines_p1", fanin_goroutines(1));
    group.bench_function("gpm_goroutines_p2", fanin_goroutines(2));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = pingpong, fanin, unbounded
}
criterion_main!(benches);
