//! Ping-pong: a ball bounced between two parties over two unbuffered channels, timing the
//! round trip — between goroutines on one P, between goroutines on two Ps, and between two
//! OS threads using the very same gpm channels.
//!
//! Between goroutines, a send to a parked receiver hands the value over directly and puts
//! the receiver in the P's `runnext` slot, so the pair runs back to back on one thread
//! without any thread wake-up (Go's fast hand-off). Between OS threads each hop is a
//! futex wake and a context switch in the kernel.
//!
//! Run: `cargo run --release -p gpm --example ping_pong`

use std::time::{Duration, Instant};

use gpm::chan::{Receiver, Sender, bounded};

/// Returns the ball `rounds` times, adding one per hop.
fn player(rounds: u64, from: Receiver<u64>, to: Sender<u64>) {
    for _ in 0..rounds {
        let ball = from.recv().expect("the other player is alive");
        to.send(ball + 1).expect("the other player is alive");
    }
}

/// Serves the ball and plays `rounds` round trips with `spawn`'s player; returns the
/// final ball and the mean round-trip time.
fn match_of(rounds: u64, spawn: impl FnOnce(Box<dyn FnOnce() + Send>)) -> (u64, Duration) {
    let (ping_tx, ping_rx) = bounded(0);
    let (pong_tx, pong_rx) = bounded(0);
    spawn(Box::new(move || player(rounds, ping_rx, pong_tx)));
    let start = Instant::now();
    let mut ball = 0;
    for _ in 0..rounds {
        ping_tx.send(ball + 1).expect("the player is alive");
        ball = pong_rx.recv().expect("the player is alive");
    }
    (ball, start.elapsed() / rounds as u32)
}

fn main() -> std::io::Result<()> {
    const GOROUTINE_ROUNDS: u64 = 200_000;
    const THREAD_ROUNDS: u64 = 20_000;

    for procs in [1, 2] {
        // SAFETY: the players only send and receive: no thread-local, no thread-bound value.
        let rt = unsafe { gpm::Runtime::builder().procs(procs).build() }?;
        let (ball, rtt) = rt.block_on(|| match_of(GOROUTINE_ROUNDS, |f| drop(gpm::go(f))));
        println!("goroutines, {procs} proc(s): {GOROUTINE_ROUNDS} round trips, {rtt:?} each");
        assert_eq!(ball, 2 * GOROUTINE_ROUNDS);
        let stats = rt.stats();
        println!("  ({} goroutines spawned, {} steals)", stats.spawned, stats.steals);
    }

    // No runtime involved: two plain threads block on gpm channels.
    let (ball, rtt) = match_of(THREAD_ROUNDS, |f| drop(std::thread::spawn(f)));
    println!("OS threads: {THREAD_ROUNDS} round trips, {rtt:?} each");
    assert_eq!(ball, 2 * THREAD_ROUNDS);
    Ok(())
}
