//! The workloads on gpm: `Runtime::builder().procs(procs)`, goroutines and `gpm::chan`.
//!
//! Compiled only with the root package's `gpm-column` cargo feature (`cargo xtask bench`
//! tries that build first and falls back to the stub in `main.rs`, whose column then reads
//! "not built yet"). Written against the façade contract in DESIGN.md: `gpm::go`,
//! `JoinHandle::join`, `gpm::chan::bounded` (0 = unbuffered, like Go), `gpm::yield_now`,
//! `gpm::sleep`. The semantics match `tokio_sys`, `may_sys`, `threads_sys` and `benches/go`.

use crate::common::{
    IDLE_SETTLE, Outcome, RING_TASKS, RttSamples, SKYNET_FANOUT, Workload, rss_bytes, share,
    share_start, timed_sleep, triangle,
};
use gpm::chan::bounded;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Runs workload `w` with `n` operations on a gpm runtime with `procs` Ps.
pub fn run(w: Workload, procs: usize, n: u64) -> Outcome {
    // SAFETY: the workloads only spawn, yield, sleep, send and receive: no thread-local,
    // no thread-bound value across a park.
    let rt = match unsafe { gpm::Runtime::builder().procs(procs).build() } {
        Ok(rt) => rt,
        Err(e) => return Outcome::failed(format!("runtime: {e}")),
    };
    rt.block_on(move || match w {
        Workload::SpawnJoin => spawn_join(n),
        Workload::PingPong => pingpong(n),
        Workload::Skynet => skynet_run(n),
        Workload::Yield => yield_many(procs as u64, n),
        Workload::Ring => ring(n),
        Workload::FanIn => fanin(procs as u64, n),
        Workload::IdleMem => idle_mem(n),
        Workload::Timers => timers(n),
    })
}

fn join_sum(handles: Vec<gpm::JoinHandle<u64>>) -> Option<u64> {
    let mut sum = 0;
    for h in handles {
        sum += h.join().ok()?;
    }
    Some(sum)
}

fn spawn_join(n: u64) -> Outcome {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| gpm::go(move || i)).collect();
    let sum = join_sum(handles);
    Outcome::per_op(start.elapsed(), n, sum == Some(triangle(n)), "sum of joined values")
}

fn pingpong(n: u64) -> Outcome {
    let (ping_tx, ping_rx) = bounded::<u64>(0);
    let (pong_tx, pong_rx) = bounded::<u64>(0);
    gpm::go(move || {
        while let Ok(v) = ping_rx.recv() {
            if pong_tx.send(v + 1).is_err() {
                break;
            }
        }
    });
    let mut rtt = RttSamples::new(n);
    let start = Instant::now();
    let mut v = 0;
    for i in 0..n {
        let t0 = RttSamples::start(i);
        if ping_tx.send(v).is_err() {
            break;
        }
        v = pong_rx.recv().unwrap_or(0);
        rtt.end(t0);
    }
    Outcome::pingpong(start.elapsed(), n, v, rtt)
}

fn skynet(num: u64, size: u64) -> u64 {
    if size == 1 {
        return num;
    }
    let child = size / SKYNET_FANOUT;
    let handles: Vec<_> =
        (0..SKYNET_FANOUT).map(|i| gpm::go(move || skynet(num + i * child, child))).collect();
    join_sum(handles).unwrap_or(0)
}

fn skynet_run(n: u64) -> Outcome {
    let start = Instant::now();
    let sum = skynet(0, n);
    Outcome::per_op(start.elapsed(), n, sum == triangle(n), "skynet sum")
}

fn yield_many(procs: u64, n: u64) -> Outcome {
    let tasks = 4 * procs;
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            gpm::go(move || {
                let k = share(n, tasks, i);
                for _ in 0..k {
                    gpm::yield_now();
                }
                k
            })
        })
        .collect();
    let total = join_sum(handles);
    Outcome::per_op(start.elapsed(), n, total == Some(n), "yield count")
}

fn ring(n: u64) -> Outcome {
    // Goroutine i receives on link i and sends on link i + 1 (mod RING_TASKS).
    let (mut txs, rxs): (Vec<_>, Vec<_>) = (0..RING_TASKS).map(|_| bounded::<u64>(0)).unzip();
    let inject = txs[0].clone();
    txs.rotate_left(1);
    let (done_tx, done_rx) = bounded::<u64>(1);
    for (i, (rx, tx)) in rxs.into_iter().zip(txs).enumerate() {
        let done = done_tx.clone();
        gpm::go(move || {
            while let Ok(v) = rx.recv() {
                if v == 0 {
                    let _ = done.send(i as u64);
                    return; // dropping `tx` closes the next link: the ring unwinds
                }
                if tx.send(v - 1).is_err() {
                    return;
                }
            }
        });
    }
    let start = Instant::now();
    let sent = inject.send(n).is_ok();
    drop(inject);
    let last = done_rx.recv().ok();
    let ok = sent && last == Some(n % RING_TASKS as u64);
    Outcome::per_op(start.elapsed(), n, ok, "token ended at the wrong goroutine")
}

fn fanin(procs: u64, n: u64) -> Outcome {
    let producers = 2 * procs;
    let (tx, rx) = bounded::<u64>(1024);
    let start = Instant::now();
    for p in 0..producers {
        let tx = tx.clone();
        gpm::go(move || {
            let from = share_start(n, producers, p);
            for v in from..from + share(n, producers, p) {
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let (mut count, mut sum) = (0, 0);
    for v in rx.iter() {
        count += 1;
        sum += v;
    }
    Outcome::per_op(start.elapsed(), n, count == n && sum == triangle(n), "count or sum")
}

fn idle_mem(n: u64) -> Outcome {
    // Every goroutine blocks receiving on one channel; dropping the only sender wakes them all.
    let (gate_tx, gate_rx) = bounded::<()>(0);
    let started = Arc::new(AtomicU64::new(0));
    let before = rss_bytes();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (gate_rx, started) = (gate_rx.clone(), started.clone());
            gpm::go(move || {
                started.fetch_add(1, Ordering::Relaxed);
                u64::from(gate_rx.recv().is_err())
            })
        })
        .collect();
    while started.load(Ordering::Relaxed) < n {
        gpm::sleep(std::time::Duration::from_millis(1));
    }
    gpm::sleep(IDLE_SETTLE);
    let after = rss_bytes();
    drop(gate_tx);
    let woke = join_sum(handles);
    Outcome::bytes_per_task(before, after, n, woke == Some(n))
}

fn timers(n: u64) -> Outcome {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| gpm::go(|| timed_sleep(gpm::sleep))).collect();
    let late: Vec<u64> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
    Outcome::timers(start.elapsed(), late, n)
}
