//! A three-stage pipeline over unbuffered channels: generate → square → sum, with the
//! middle stage fanned out to four workers (Go's "pipelines and cancellation" pattern).
//!
//! `cargo run --release --example pipeline`

fn main() -> std::io::Result<()> {
    let rt = gpm::Runtime::builder().procs(2).build()?;
    let total = rt.block_on(|| {
        let (nums_tx, nums_rx) = gpm::chan::bounded::<u64>(0);
        let (sq_tx, sq_rx) = gpm::chan::bounded::<u64>(0);
        gpm::go(move || {
            for i in 1..=10_000 {
                nums_tx.send(i).unwrap();
            }
        });
        for _ in 0..4 {
            let (rx, tx) = (nums_rx.clone(), sq_tx.clone());
            gpm::go(move || {
                for n in rx.iter() {
                    tx.send(n * n).unwrap();
                }
            });
        }
        drop((nums_rx, sq_tx));
        sq_rx.iter().sum::<u64>()
    });
    println!("sum of squares 1..=10000 = {total}");
    assert_eq!(total, (1..=10_000u64).map(|n| n * n).sum());
    Ok(())
}
