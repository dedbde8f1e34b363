//! The workloads on tokio: a multi-thread runtime with `worker_threads = procs`.
//!
//! tokio has no unbuffered (rendezvous) channel: `tokio::sync::mpsc::channel(1)`, its smallest
//! bounded channel, stands in for Go's `make(chan T)`. The body of every workload runs as a
//! spawned task (not on the `block_on` thread), so exactly `procs` threads do the work.

use crate::common::{
    IDLE_SETTLE, Outcome, RING_TASKS, RttSamples, SKYNET_FANOUT, TIMER_SLEEP, Workload, due,
    late_ns, rss_bytes, share, share_start, triangle,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::{Semaphore, mpsc};

/// Runs workload `w` with `n` operations on a `procs`-thread tokio runtime.
pub fn run(w: Workload, procs: usize, n: u64) -> Outcome {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Outcome::failed(format!("runtime: {e}")),
    };
    let body = async move {
        match w {
            Workload::SpawnJoin => spawn_join(n).await,
            Workload::PingPong => pingpong(n).await,
            Workload::Skynet => skynet_run(n).await,
            Workload::Yield => yield_many(procs as u64, n).await,
            Workload::Ring => ring(n).await,
            Workload::FanIn => fanin(procs as u64, n).await,
            Workload::IdleMem => idle_mem(n).await,
            Workload::Timers => timers(n).await,
        }
    };
    let handle = rt.spawn(body);
    rt.block_on(handle).unwrap_or_else(|e| Outcome::failed(format!("body panicked: {e}")))
}

async fn spawn_join(n: u64) -> Outcome {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await.unwrap_or(0);
    }
    Outcome::per_op(start.elapsed(), n, sum == triangle(n), "sum of joined values")
}

async fn pingpong(n: u64) -> Outcome {
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
    tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            if pong_tx.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    let mut rtt = RttSamples::new(n);
    let start = Instant::now();
    let mut v = 0;
    for i in 0..n {
        let t0 = RttSamples::start(i);
        if ping_tx.send(v).await.is_err() {
            break;
        }
        v = pong_rx.recv().await.unwrap_or(0);
        rtt.end(t0);
    }
    Outcome::pingpong(start.elapsed(), n, v, rtt)
}

fn skynet(num: u64, size: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if size == 1 {
            return num;
        }
        let child = size / SKYNET_FANOUT;
        let handles: Vec<_> =
            (0..SKYNET_FANOUT).map(|i| tokio::spawn(skynet(num + i * child, child))).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap_or(0);
        }
        sum
    })
}

async fn skynet_run(n: u64) -> Outcome {
    let start = Instant::now();
    let sum = tokio::spawn(skynet(0, n)).await.unwrap_or(0);
    Outcome::per_op(start.elapsed(), n, sum == triangle(n), "skynet sum")
}

async fn yield_many(procs: u64, n: u64) -> Outcome {
    let tasks = 4 * procs;
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            tokio::spawn(async move {
                let k = share(n, tasks, i);
                for _ in 0..k {
                    tokio::task::yield_now().await;
                }
                k
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap_or(0);
    }
    Outcome::per_op(start.elapsed(), n, total == n, "yield count")
}

async fn ring(n: u64) -> Outcome {
    // Task i receives on link i and sends on link i + 1 (mod RING_TASKS).
    let (mut txs, rxs): (Vec<_>, Vec<_>) = (0..RING_TASKS).map(|_| mpsc::channel::<u64>(1)).unzip();
    let inject = txs[0].clone();
    txs.rotate_left(1);
    let (done_tx, mut done_rx) = mpsc::channel::<u64>(1);
    for (i, (mut rx, tx)) in rxs.into_iter().zip(txs).enumerate() {
        let done = done_tx.clone();
        tokio::spawn(async move {
            while let Some(v) = rx.recv().await {
                if v == 0 {
                    let _ = done.send(i as u64).await;
                    return; // dropping `tx` closes the next link: the ring unwinds
                }
                if tx.send(v - 1).await.is_err() {
                    return;
                }
            }
        });
    }
    let start = Instant::now();
    let sent = inject.send(n).await.is_ok();
    drop(inject);
    let last = done_rx.recv().await;
    let ok = sent && last == Some(n % RING_TASKS as u64);
    Outcome::per_op(start.elapsed(), n, ok, "token ended at the wrong task")
}

async fn fanin(procs: u64, n: u64) -> Outcome {
    let producers = 2 * procs;
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    let start = Instant::now();
    for p in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            let from = share_start(n, producers, p);
            for v in from..from + share(n, producers, p) {
                if tx.send(v).await.is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let (mut count, mut sum) = (0, 0);
    while let Some(v) = rx.recv().await {
        count += 1;
        sum += v;
    }
    Outcome::per_op(start.elapsed(), n, count == n && sum == triangle(n), "count or sum")
}

async fn idle_mem(n: u64) -> Outcome {
    let gate = Arc::new(Semaphore::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let before = rss_bytes();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (gate, started) = (gate.clone(), started.clone());
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                // Blocks until the gate is closed (acquire then fails).
                gate.acquire().await.is_err()
            })
        })
        .collect();
    while started.load(Ordering::Relaxed) < n {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    tokio::time::sleep(IDLE_SETTLE).await;
    let after = rss_bytes();
    gate.close();
    let mut woke = 0;
    for h in handles {
        woke += u64::from(h.await.unwrap_or(false));
    }
    Outcome::bytes_per_task(before, after, n, woke == n)
}

async fn timers(n: u64) -> Outcome {
    let start = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(async {
                let due = due();
                tokio::time::sleep(TIMER_SLEEP).await;
                late_ns(due)
            })
        })
        .collect();
    let mut late = Vec::with_capacity(n as usize);
    for h in handles {
        late.extend(h.await.ok());
    }
    Outcome::timers(start.elapsed(), late, n)
}
