//! Plain threads and goroutines on one channel: every blocking call works on both sides —
//! it parks a goroutine and blocks a thread. Uses the default runtime (`gpm::go` outside
//! any runtime starts it; size it with `GPM_MAXPROCS`).
//!
//! `cargo run --release --example threads_and_goroutines`

fn main() {
    let (tx, rx) = gpm::chan::bounded::<String>(0);
    // Two OS threads and two goroutines send; the main thread receives.
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..3 {
                    tx.send(format!("thread {t}: {i}")).unwrap();
                }
            })
        })
        .collect();
    let goroutines: Vec<_> = (0..2)
        .map(|g| {
            let tx = tx.clone();
            gpm::go(move || {
                for i in 0..3 {
                    tx.send(format!("goroutine {g}: {i}")).unwrap();
                    gpm::yield_now();
                }
            })
        })
        .collect();
    drop(tx);
    let got: Vec<String> = rx.iter().collect();
    for line in &got {
        println!("{line}");
    }
    assert_eq!(got.len(), 12);
    threads.into_iter().for_each(|t| t.join().unwrap());
    goroutines.into_iter().for_each(|g| g.join().unwrap());
    println!("{} goroutines alive", gpm::num_goroutines());
}
