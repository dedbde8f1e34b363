//! The `pool` workload, in the shape of ants' own benchmark (`ants_benchmark_test.go`):
//! `n` tasks, each sleeping [`TASK_SLEEP`], run with at most [`CAPACITY`] at once (except
//! the plain rows), waited for with a wait group; reports the wall time and the peak RSS
//! (`VmHWM`). Go's twin is `benches/go/pool.go`; `cargo xtask bench pool` runs both.
//!
//! `workloads pool <variant> <procs> [n]`, variants:
//! - `gpm_go`: one `gpm::go` per task (ants' `BenchmarkGoroutines`);
//! - `gpm_sem`: `gpm::go` after taking a permit of a `gpm::sync::Semaphore` of `CAPACITY`,
//!   given back by the task (ants' `BenchmarkSemaphore`);
//! - `gpm_pool`: `gpm::pool::Pool` of `CAPACITY`, `submit` per task (`BenchmarkAntsPool`);
//! - `gpm_pool_func`: `gpm::pool::PoolWithFunc` of `CAPACITY`, `invoke` per task;
//! - `tokio_sem`: `tokio::spawn` after an owned permit of a `tokio::sync::Semaphore`.
//!
//! The result line is the suite's, with `peak_rss=<bytes>` before `ok=`.

use crate::common::rss_bytes;
use gpm::sync::{Semaphore, WaitGroup};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Most tasks at once (ants' `PoolCap`).
pub const CAPACITY: usize = 50_000;
/// How long each task sleeps (ants' `BenchParam` milliseconds).
pub const TASK_SLEEP: Duration = Duration::from_millis(10);
/// The variants, in table order.
pub const VARIANTS: [&str; 5] = ["gpm_go", "gpm_sem", "gpm_pool", "gpm_pool_func", "tokio_sem"];

/// `workloads pool <variant> <procs> [n]`: runs one variant once and prints its line.
pub fn main(args: &[String]) -> ! {
    let [variant, procs, rest @ ..] = args else { usage("expected a variant and procs") };
    let Ok(procs @ 1..) = procs.parse::<usize>() else { usage("bad procs") };
    let n = match rest.first().map(|n| n.parse::<u64>()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => usage("bad n"),
    };
    let outcome = match variant.as_str() {
        "gpm_go" | "gpm_sem" | "gpm_pool" | "gpm_pool_func" => on_gpm(variant, procs, n),
        "tokio_sem" => on_tokio(procs, n),
        other => Err(format!("unknown variant {other}")),
    };
    let peak = peak_rss_bytes();
    let (ms, ok, error) = match outcome {
        Ok((elapsed, done)) if done == n => (elapsed.as_secs_f64() * 1e3, true, String::new()),
        Ok((_, done)) => (f64::NAN, false, format!(" error=check failed: {done} of {n} ran")),
        Err(e) => (f64::NAN, false, format!(" error={e}")),
    };
    println!(
        "RESULT system={variant} workload=pool procs={procs} n={n} value={ms:.3} unit=ms \
         peak_rss={peak} ok={ok}{error}"
    );
    std::process::exit(if ok { 0 } else { 1 });
}

fn usage(why: &str) -> ! {
    eprintln!("workloads pool: {why}\nusage: workloads pool <{}> <procs> [n]", VARIANTS.join("|"));
    std::process::exit(2);
}

/// The process's peak resident set (`VmHWM`), in bytes; falls back to the current RSS.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(rss_bytes, |kb| kb * 1024)
}

/// Runs a gpm variant on a `procs`-P runtime: (wall time, tasks that ran).
fn on_gpm(variant: &str, procs: usize, n: u64) -> Result<(Duration, u64), String> {
    // SAFETY: the tasks only sleep and count: no thread-local, no thread-bound value.
    let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }
        .map_err(|e| format!("runtime: {e}"))?;
    let variant = variant.to_string();
    rt.block_on(move || {
        let done = Arc::new(AtomicU64::new(0));
        let wg = WaitGroup::new();
        let task = {
            let (done, wg) = (done.clone(), wg.clone());
            move || {
                gpm::sleep(TASK_SLEEP);
                done.fetch_add(1, Relaxed);
                wg.done();
            }
        };
        let start = Instant::now();
        match variant.as_str() {
            "gpm_go" => (0..n).for_each(|_| {
                wg.add(1);
                let task = task.clone();
                gpm::go(task);
            }),
            "gpm_sem" => {
                let sem = Arc::new(Semaphore::new(CAPACITY));
                for _ in 0..n {
                    wg.add(1);
                    sem.acquire().forget();
                    let (sem, task) = (sem.clone(), task.clone());
                    gpm::go(move || {
                        task();
                        sem.add_permit();
                    });
                }
            }
            "gpm_pool" => {
                let pool = gpm::pool::Pool::new(CAPACITY).map_err(|e| e.to_string())?;
                for _ in 0..n {
                    wg.add(1);
                    pool.submit(task.clone()).map_err(|e| e.to_string())?;
                }
                wg.wait();
                let measured = (start.elapsed(), done.load(Relaxed));
                // Untimed: let the workers return now rather than be cancelled by the
                // runtime's drop (an unwind per stack).
                let _ = pool.release_timeout(Duration::from_secs(30));
                return Ok(measured);
            }
            _ => {
                let pool = gpm::pool::PoolWithFunc::new(CAPACITY, move |()| task())
                    .map_err(|e| e.to_string())?;
                for _ in 0..n {
                    wg.add(1);
                    pool.invoke(()).map_err(|e| e.to_string())?;
                }
                wg.wait();
                let measured = (start.elapsed(), done.load(Relaxed));
                let _ = pool.release_timeout(Duration::from_secs(30)); // untimed, as above
                return Ok(measured);
            }
        }
        wg.wait();
        Ok((start.elapsed(), done.load(Relaxed)))
    })
}

/// tokio: `spawn` after an owned permit; waiting for all = taking every permit back.
fn on_tokio(procs: usize, n: u64) -> Result<(Duration, u64), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_time()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let body = async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(CAPACITY));
        let done = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        for _ in 0..n {
            let permit = sem.clone().acquire_owned().await.map_err(|e| e.to_string())?;
            let done = done.clone();
            tokio::spawn(async move {
                tokio::time::sleep(TASK_SLEEP).await;
                done.fetch_add(1, Relaxed);
                drop(permit);
            });
        }
        let all = sem.acquire_many(CAPACITY as u32).await.map_err(|e| e.to_string())?;
        drop(all);
        Ok((start.elapsed(), done.load(Relaxed)))
    };
    let handle = rt.spawn(body);
    rt.block_on(handle).map_err(|e| format!("body panicked: {e}"))?
}
