//! A worker pool: eight goroutines take jobs from one channel, run them (some use
//! `gpm::blocking` for a call that blocks the thread), and report results on another.
//!
//! `cargo run --release --example worker_pool`

use std::time::Duration;

fn main() -> std::io::Result<()> {
    let rt = gpm::Runtime::builder().procs(2).build()?;
    rt.block_on(|| {
        let (jobs_tx, jobs_rx) = gpm::chan::bounded::<u32>(16);
        let (res_tx, res_rx) = gpm::chan::bounded::<(u32, u32)>(16);
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let (jobs, results) = (jobs_rx.clone(), res_tx.clone());
                gpm::Builder::new()
                    .name(format!("worker-{w}"))
                    .go(move || {
                        for job in jobs.iter() {
                            if job % 10 == 0 {
                                // A thread-blocking call: the P goes to another thread.
                                gpm::blocking(|| std::thread::sleep(Duration::from_millis(1)));
                            } else {
                                gpm::sleep(Duration::from_micros(100));
                            }
                            results.send((w, job * 2)).unwrap();
                        }
                    })
                    .expect("spawn worker")
            })
            .collect();
        drop((jobs_rx, res_tx));
        gpm::go(move || {
            for j in 0..100 {
                jobs_tx.send(j).unwrap();
            }
        });
        let mut per_worker = [0u32; 8];
        let mut sum = 0;
        for (w, r) in res_rx.iter() {
            per_worker[w as usize] += 1;
            sum += r;
        }
        for h in workers {
            h.join().unwrap();
        }
        println!("sum = {sum}, jobs per worker = {per_worker:?}");
        assert_eq!(sum, (0..100).map(|j| j * 2).sum());
    });
    Ok(())
}
