//! gpm-sched micro-benchmarks (procs = 2, as the targets in the issue): spawn+join of an
//! empty goroutine from a goroutine; `yield_now` with 8 goroutines on 2 procs (wall time per
//! yield); a park/unpark hand-off between two goroutines (time per hand-off); and, as the
//! floor under all of them, gpm-stack's bare resume+suspend round trip.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use gpm::park::{self, Unparker, WaitReason};
use gpm_stack::{Coroutine, Resumed, Stack};

fn runtime() -> gpm::Runtime {
    // SAFETY: the benchmarked goroutines only spawn, yield, park and join.
    unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime")
}

fn spawn_join(c: &mut Criterion) {
    let rt = runtime();
    c.bench_function("spawn_join", |b| {
        b.iter_custom(|iters| {
            rt.block_on(move || {
                let t = Instant::now();
                for _ in 0..iters {
                    gpm::go(|| black_box(1u64)).join().unwrap();
                }
                t.elapsed()
            })
        })
    });
}

fn yield_8_on_2(c: &mut Criterion) {
    let rt = runtime();
    c.bench_function("yield_8g_2p", |b| {
        b.iter_custom(|iters| {
            let per = iters.div_ceil(8);
            rt.block_on(move || {
                let t = Instant::now();
                let hs: Vec<_> = (0..8)
                    .map(|_| {
                        gpm::go(move || {
                            for _ in 0..per {
                                gpm::yield_now();
                            }
                        })
                    })
                    .collect();
                hs.into_iter().for_each(|h| h.join().unwrap());
                t.elapsed()
            })
        })
    });
}

fn wait_for(cell: &OnceLock<Unparker>) -> Unparker {
    loop {
        if let Some(u) = cell.get() {
            return u.clone();
        }
        gpm::yield_now();
    }
}

fn park_handoff(c: &mut Criterion) {
    let rt = runtime();
    c.bench_function("park_unpark_handoff", |b| {
        b.iter_custom(|iters| {
            let rounds = iters.div_ceil(2);
            rt.block_on(move || {
                let (a_cell, b_cell) = (Arc::new(OnceLock::new()), Arc::new(OnceLock::new()));
                let (a2, b2) = (a_cell.clone(), b_cell.clone());
                let pong = gpm::go(move || {
                    let _ = b2.set(park::unparker());
                    let a = wait_for(&a2);
                    for _ in 0..rounds {
                        park::park(WaitReason::Park);
                        a.unpark();
                    }
                });
                let _ = a_cell.set(park::unparker());
                let pb = wait_for(&b_cell);
                let t = Instant::now();
                for _ in 0..rounds {
                    pb.unpark();
                    park::park(WaitReason::Park);
                }
                let d = t.elapsed();
                pong.join().unwrap();
                d
            })
        })
    });
}

fn switch_floor(c: &mut Criterion) {
    let mut co = Coroutine::new(Stack::new(256 * 1024).unwrap());
    co.start(Box::new(|s| {
        loop {
            s.suspend()
        }
    }));
    c.bench_function("switch_floor_resume_suspend", |b| {
        b.iter(|| black_box(matches!(co.resume(), Resumed::Suspended)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = switch_floor, spawn_join, yield_8_on_2, park_handoff
}
criterion_main!(benches);
