//! The workloads on plain OS threads: one `std::thread` per task.
//!
//! `procs` has no knob here: `cargo xtask bench` pins the whole process to the first `procs`
//! CPUs (`taskset`) instead. Unbuffered channels are `std::sync::mpsc::sync_channel(0)`, a true
//! rendezvous; fanin uses `sync_channel(1024)`; idle_mem blocks on a `Mutex` + `Condvar` gate.
//! A thread costs tens of microseconds to create, so the xtask runs this column with a smaller
//! `n` (said so in the table).

use crate::common::{
    IDLE_SETTLE, Outcome, RING_TASKS, RttSamples, SKYNET_FANOUT, Workload, rss_bytes, share,
    share_start, timed_sleep, triangle,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

/// Runs workload `w` with `n` operations, one OS thread per task.
pub fn run(w: Workload, procs: usize, n: u64) -> Outcome {
    match w {
        Workload::SpawnJoin => spawn_join(n),
        Workload::PingPong => pingpong(n),
        Workload::Skynet => skynet_run(n),
        Workload::Yield => yield_many(procs as u64, n),
        Workload::Ring => ring(n),
        Workload::FanIn => fanin(procs as u64, n),
        Workload::IdleMem => idle_mem(n),
        Workload::Timers => timers(n),
    }
}

fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<T>, String> {
    thread::Builder::new().spawn(f).map_err(|e| format!("thread spawn failed: {e}"))
}

fn join_all(handles: Vec<JoinHandle<u64>>) -> Result<u64, String> {
    let mut sum = 0;
    for h in handles {
        sum += h.join().map_err(|_| "a thread panicked".to_string())?;
    }
    Ok(sum)
}

/// Spawns `count` threads running `f(i)` and joins them: the sum of their values.
fn spawn_and_join(
    count: u64,
    f: impl Fn(u64) -> u64 + Send + Sync + 'static,
) -> Result<u64, String> {
    let f = Arc::new(f);
    let mut handles = Vec::with_capacity(count as usize);
    for i in 0..count {
        let f = f.clone();
        handles.push(spawn(move || f(i)).map_err(|e| format!("{e} after {i} threads"))?);
    }
    join_all(handles)
}

fn spawn_join(n: u64) -> Outcome {
    let start = Instant::now();
    match spawn_and_join(n, |i| i) {
        Ok(sum) => Outcome::per_op(start.elapsed(), n, sum == triangle(n), "sum of joined values"),
        Err(e) => Outcome::failed(e),
    }
}

fn pingpong(n: u64) -> Outcome {
    let (ping_tx, ping_rx) = sync_channel::<u64>(0);
    let (pong_tx, pong_rx) = sync_channel::<u64>(0);
    let echo = spawn(move || {
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
        handles.push(spawn(move || skynet(num + i * child, child))?);
    }
    let mut sum = 0;
    for h in handles {
        sum += h.join().map_err(|_| "a thread panicked".to_string())??;
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
    let total = spawn_and_join(tasks, move |i| {
        let k = share(n, tasks, i);
        for _ in 0..k {
            thread::yield_now();
        }
        k
    });
    match total {
        Ok(total) => Outcome::per_op(start.elapsed(), n, total == n, "yield count"),
        Err(e) => Outcome::failed(e),
    }
}

fn ring(n: u64) -> Outcome {
    // Thread i receives on link i and sends on link i + 1 (mod RING_TASKS).
    let (mut txs, rxs): (Vec<_>, Vec<_>) = (0..RING_TASKS).map(|_| sync_channel::<u64>(0)).unzip();
    let inject = txs[0].clone();
    txs.rotate_left(1);
    let (done_tx, done_rx) = sync_channel::<u64>(1);
    for (i, (rx, tx)) in rxs.into_iter().zip(txs).enumerate() {
        let done = done_tx.clone();
        let task = spawn(move || {
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
    Outcome::per_op(start.elapsed(), n, ok, "token ended at the wrong thread")
}

fn fanin(procs: u64, n: u64) -> Outcome {
    let producers = 2 * procs;
    let (tx, rx) = sync_channel::<u64>(1024);
    let start = Instant::now();
    for p in 0..producers {
        let tx = tx.clone();
        let task = spawn(move || {
            let from = share_start(n, producers, p);
            for v in from..from + share(n, producers, p) {
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
    for v in rx {
        count += 1;
        sum += v;
    }
    Outcome::per_op(start.elapsed(), n, count == n && sum == triangle(n), "count or sum")
}

/// A gate threads block on until it opens.
type Gate = Arc<(Mutex<bool>, Condvar)>;

fn open(gate: &Gate) {
    *gate.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
    gate.1.notify_all();
}

fn idle_mem(n: u64) -> Outcome {
    let gate: Gate = Arc::new((Mutex::new(false), Condvar::new()));
    let started = Arc::new(AtomicU64::new(0));
    let before = rss_bytes();
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        let (my_gate, started) = (gate.clone(), started.clone());
        let task = spawn(move || {
            started.fetch_add(1, Ordering::Relaxed);
            let mut open = my_gate.0.lock().unwrap_or_else(|p| p.into_inner());
            while !*open {
                open = my_gate.1.wait(open).unwrap_or_else(|p| p.into_inner());
            }
            1
        });
        match task {
            Ok(h) => handles.push(h),
            Err(e) => {
                open(&gate);
                return Outcome::failed(format!("{e} after {i} blocked threads"));
            }
        }
    }
    while started.load(Ordering::Relaxed) < n {
        thread::sleep(std::time::Duration::from_millis(1));
    }
    thread::sleep(IDLE_SETTLE);
    let after = rss_bytes();
    open(&gate);
    match join_all(handles) {
        Ok(woke) => Outcome::bytes_per_task(before, after, n, woke == n),
        Err(e) => Outcome::failed(e),
    }
}

fn timers(n: u64) -> Outcome {
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        match spawn(|| timed_sleep(thread::sleep)) {
            Ok(h) => handles.push(h),
            Err(e) => return Outcome::failed(format!("{e} after {i} threads")),
        }
    }
    let late: Vec<u64> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
    Outcome::timers(start.elapsed(), late, n)
}
