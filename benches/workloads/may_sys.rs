//! The workloads on may: stackful coroutines, `config().set_workers(procs)`.
//!
//! may has only unbounded channels: `may::sync::mpsc::channel` stands in for Go's unbuffered
//! channel (pingpong and ring keep one message in flight, so the missing rendezvous changes
//! nothing there), and fanin bounds it to 1024 with a `Semphore` (producers take a permit,
//! the consumer gives it back). may guards each coroutine stack with `mprotect`, two memory
//! mappings per live coroutine: past ~32,700 live coroutines the kernel's `vm.max_map_count`
//! (65530 by default) is exhausted and the spawn fails. That failure is reported, not hidden.

use crate::common::{
    IDLE_SETTLE, Outcome, RING_TASKS, RttSamples, SKYNET_FANOUT, Workload, rss_bytes, share,
    share_start, timed_sleep, triangle,
};
use may::coroutine::{Builder, JoinHandle};
use may::sync::mpsc;
use may::sync::{Semphore, SyncFlag};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Runs workload `w` with `n` operations on may with `procs` worker threads.
pub fn run(w: Workload, procs: usize, n: u64) -> Outcome {
    may::config().set_workers(procs);
    let body = move || match w {
        Workload::SpawnJoin => spawn_join(n),
        Workload::PingPong => pingpong(n),
        Workload::Skynet => skynet_run(n),
        Workload::Yield => yield_many(procs as u64, n),
        Workload::Ring => ring(n),
        Workload::FanIn => fanin(procs as u64, n),
        Workload::IdleMem => idle_mem(n),
        Workload::Timers => timers(n),
    };
    let mut outcome = match go(body) {
        Ok(h) => h.join().unwrap_or_else(|p| Outcome::failed(panic_text(&p))),
        Err(e) => Outcome::failed(e),
    };
    if outcome.detail.contains("Cannot allocate memory") {
        // mmap fails with ENOMEM when the process's memory mappings reach the limit.
        let limit = std::fs::read_to_string("/proc/sys/vm/max_map_count").unwrap_or_default();
        outcome.detail.push_str(&format!(" (vm.max_map_count = {})", limit.trim()));
    }
    outcome
}

/// Coroutines spawned and not yet finished: the failure message says how many were alive.
static LIVE: AtomicU64 = AtomicU64::new(0);

/// Spawns a coroutine, turning may's spawn error (or the panic it raises when it cannot map a
/// stack) into a message that says how many coroutines were alive.
fn go<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<JoinHandle<T>, String> {
    let live = LIVE.fetch_add(1, Ordering::Relaxed);
    let counted = move || {
        let v = f();
        LIVE.fetch_sub(1, Ordering::Relaxed);
        v
    };
    // On a panic the closure is dropped unrun; nothing it touched is observed afterwards.
    let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: may's contract: the closures here read no thread-local storage (they move
        // between worker threads) and stay far within the default coroutine stack.
        unsafe { Builder::new().spawn(counted) }
    }));
    let failed = |why: String| {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        format!("coroutine spawn failed with {live} coroutines alive: {why}")
    };
    match spawned {
        Ok(Ok(handle)) => Ok(handle),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(p) => Err(failed(panic_text(&p))),
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = p
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| p.downcast_ref::<&str>().copied())
        .unwrap_or("(non-string panic)");
    format!("panicked: {msg}")
}

/// Joins every handle; the sum of their values, or the first failure.
fn join_all(handles: Vec<JoinHandle<u64>>) -> Result<u64, String> {
    let mut sum = 0;
    for h in handles {
        sum += h.join().map_err(|p| panic_text(&p))?;
    }
    Ok(sum)
}

fn spawn_join(n: u64) -> Outcome {
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        match go(move || i) {
            Ok(h) => handles.push(h),
            Err(e) => return Outcome::failed(e),
        }
    }
    match join_all(handles) {
        Ok(sum) => Outcome::per_op(start.elapsed(), n, sum == triangle(n), "sum of joined values"),
        Err(e) => Outcome::failed(e),
    }
}

fn pingpong(n: u64) -> Outcome {
    let (ping_tx, ping_rx) = mpsc::channel::<u64>();
    let (pong_tx, pong_rx) = mpsc::channel::<u64>();
    let echo = go(move || {
        while let Ok(v) = ping_rx.recv() {
            if pong_tx.send(v + 1).is_err() {
                break;
            }
        }
    });
    if let Err(e) = echo {
        return Outcome::failed(e);
    }
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

fn skynet(num: u64, size: u64) -> Result<u64, String> {
    if size == 1 {
        return Ok(num);
    }
    let child = size / SKYNET_FANOUT;
    let mut handles = Vec::with_capacity(SKYNET_FANOUT as usize);
    for i in 0..SKYNET_FANOUT {
        handles.push(go(move || skynet(num + i * child, child))?);
    }
    let mut sum = 0;
    for h in handles {
        sum += h.join().map_err(|p| panic_text(&p))??;
    }
    Ok(sum)
}

fn skynet_run(n: u64) -> Outcome {
    let start = Instant::now();
    match skynet(0, n) {
        Ok(sum) => Outcome::per_op(start.elapsed(), n, sum == triangle(n), "skynet sum"),
        Err(e) => Outcome::failed(e),
    }
}

fn yield_many(procs: u64, n: u64) -> Outcome {
    let tasks = 4 * procs;
    let start = Instant::now();
    let mut handles = Vec::new();
    for i in 0..tasks {
        let task = go(move || {
            let k = share(n, tasks, i);
            for _ in 0..k {
                may::coroutine::yield_now();
            }
            k
        });
        match task {
            Ok(h) => handles.push(h),
            Err(e) => return Outcome::failed(e),
        }
    }
    match join_all(handles) {
        Ok(total) => Outcome::per_op(start.elapsed(), n, total == n, "yield count"),
        Err(e) => Outcome::failed(e),
    }
}

fn ring(n: u64) -> Outcome {
    // Task i receives on link i and sends on link i + 1 (mod RING_TASKS).
    let (mut txs, rxs): (Vec<_>, Vec<_>) = (0..RING_TASKS).map(|_| mpsc::channel::<u64>()).unzip();
    let inject = txs[0].clone();
    txs.rotate_left(1);
    let (done_tx, done_rx) = mpsc::channel::<u64>();
    for (i, (rx, tx)) in rxs.into_iter().zip(txs).enumerate() {
        let done = done_tx.clone();
        let task = go(move || {
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
        if let Err(e) = task {
            return Outcome::failed(e);
        }
    }
    let start = Instant::now();
    let sent = inject.send(n).is_ok();
    drop(inject);
    let last = done_rx.recv().ok();
    let ok = sent && last == Some(n % RING_TASKS as u64);
    Outcome::per_op(start.elapsed(), n, ok, "token ended at the wrong task")
}

fn fanin(procs: u64, n: u64) -> Outcome {
    let producers = 2 * procs;
    let (tx, rx) = mpsc::channel::<u64>();
    let room = Arc::new(Semphore::new(1024));
    let start = Instant::now();
    for p in 0..producers {
        let (tx, room) = (tx.clone(), room.clone());
        let task = go(move || {
            let from = share_start(n, producers, p);
            for v in from..from + share(n, producers, p) {
                room.wait();
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        if let Err(e) = task {
            return Outcome::failed(e);
        }
    }
    drop(tx);
    let (mut count, mut sum) = (0, 0);
    while let Ok(v) = rx.recv() {
        room.post();
        count += 1;
        sum += v;
    }
    Outcome::per_op(start.elapsed(), n, count == n && sum == triangle(n), "count or sum")
}

fn idle_mem(n: u64) -> Outcome {
    let gate = Arc::new(SyncFlag::new());
    let started = Arc::new(AtomicU64::new(0));
    let before = rss_bytes();
    let mut handles = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (my_gate, started) = (gate.clone(), started.clone());
        let task = go(move || {
            started.fetch_add(1, Ordering::Relaxed);
            my_gate.wait();
            1
        });
        match task {
            Ok(h) => handles.push(h),
            Err(e) => {
                gate.fire();
                return Outcome::failed(e);
            }
        }
    }
    while started.load(Ordering::Relaxed) < n {
        may::coroutine::sleep(std::time::Duration::from_millis(1));
    }
    may::coroutine::sleep(IDLE_SETTLE);
    let after = rss_bytes();
    gate.fire();
    match join_all(handles) {
        Ok(woke) => Outcome::bytes_per_task(before, after, n, woke == n),
        Err(e) => Outcome::failed(e),
    }
}

fn timers(n: u64) -> Outcome {
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n as usize);
    for _ in 0..n {
        match go(|| timed_sleep(may::coroutine::sleep)) {
            Ok(h) => handles.push(h),
            Err(e) => return Outcome::failed(e),
        }
    }
    let late: Vec<u64> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
    Outcome::timers(start.elapsed(), late, n)
}
