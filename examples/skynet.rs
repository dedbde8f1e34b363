//! Skynet: a tree of 1,000,000 goroutines, each level spawning 10 children that send their
//! subtree sums back over a channel (<https://github.com/atemerev/skynet>).
//!
//! `cargo run --release --example skynet [procs]`

use std::time::Instant;

fn skynet(num: u64, size: u64, div: u64) -> u64 {
    if size == 1 {
        return num;
    }
    let (tx, rx) = gpm::chan::bounded(div as usize);
    for i in 0..div {
        let tx = tx.clone();
        let sub = size / div;
        gpm::go(move || tx.send(skynet(num + i * sub, sub, div)).unwrap());
    }
    drop(tx);
    rx.iter().sum()
}

fn main() -> std::io::Result<()> {
    let procs = std::env::args().nth(1).map_or(Ok(2), |s| s.parse()).unwrap_or(2);
    let rt = gpm::Runtime::builder().procs(procs).build()?;
    let t = Instant::now();
    let sum = rt.block_on(|| skynet(0, 1_000_000, 10));
    println!("Result: {sum} in {} ms ({procs} procs)", t.elapsed().as_millis());
    eprintln!("{:?}", rt.stats());
    assert_eq!(sum, 499_999_500_000);
    Ok(())
}
