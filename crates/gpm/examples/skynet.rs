//! The skynet benchmark: a tree of goroutines, 10 children per node, 1,000,000 leaves.
//! Each leaf sends its number; each node sums its 10 children over a channel and sends
//! the sum up. The root must see 0 + 1 + … + 999,999 = 499,999,500,000.
//!
//! Run: `cargo run --release -p gpm --example skynet` (optional: `-- LEAVES [PROCS]`,
//! LEAVES a power of 10). About 1.1 million goroutines are spawned; it shows that
//! spawning, parking on a channel and stack reuse are cheap.
//! See <https://github.com/atemerev/skynet> for the same program in other languages.

use std::time::Instant;

use gpm::chan::{Sender, bounded};

/// Children per node, as in the original benchmark.
const FANOUT: u64 = 10;

/// Sends the sum of the numbers `num .. num + size` on `out`, computed by a subtree of
/// goroutines (Go's version: `func skynet(c chan int, num, size, div int)`).
fn skynet(out: Sender<u64>, num: u64, size: u64) {
    if size == 1 {
        // A leaf: its own number is its sum.
        out.send(num).expect("the parent is waiting");
        return;
    }
    // Unbuffered, as `make(chan int)`: every child's send is a rendezvous with this
    // goroutine's receive (one of them parks until the other arrives).
    let (tx, rx) = bounded(0);
    let child = size / FANOUT;
    for i in 0..FANOUT {
        let tx = tx.clone();
        gpm::go(move || skynet(tx, num + i * child, child));
    }
    // We count exactly FANOUT messages (as Go's version does), so our own sender could
    // stay; dropping it is the habit that lets a `for v in &rx` loop end.
    drop(tx);
    let sum: u64 = (0..FANOUT).map(|_| rx.recv().expect("a child died")).sum();
    out.send(sum).expect("the parent is waiting");
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let leaves: u64 = args.next().map_or(1_000_000, |s| s.parse().expect("LEAVES: a number"));
    assert!(is_power_of_ten(leaves), "LEAVES must be a power of 10 (1, 10, 100, ...)");
    let mut builder = gpm::Runtime::builder();
    if let Some(p) = args.next() {
        builder = builder.procs(p.parse().expect("PROCS: a number"));
    }
    // Small stacks: a skynet goroutine needs a few hundred bytes of stack. Stacks are
    // reserved, not committed, so this only saves address space: the memory used (RSS)
    // is the pages actually touched, the same with the default size.
    // SAFETY: skynet's goroutines only spawn, send and receive: no thread-local, no
    // thread-bound value.
    let rt = unsafe { builder.stack_size(64 * 1024).build() }?;

    let start = Instant::now();
    let sum = rt.block_on(move || {
        let (tx, rx) = bounded(0);
        gpm::go(move || skynet(tx, 0, leaves));
        rx.recv().expect("the root goroutine died")
    });
    let elapsed = start.elapsed(); // not counting the runtime's teardown (freeing stacks)

    let expected = leaves * (leaves - 1) / 2;
    let stats = rt.stats();
    println!(
        "skynet: sum = {sum} in {:.1} ms ({} leaves, {} goroutines spawned, {} procs, {} steals)",
        elapsed.as_secs_f64() * 1e3,
        leaves,
        stats.spawned,
        stats.procs,
        stats.steals,
    );
    assert_eq!(sum, expected, "wrong skynet sum");
    Ok(())
}

fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}
