//! loom models of the P-local queue (`CAPACITY` is 4 under `cfg(gpm_loom)`): every
//! interleaving of the owner and thieves, up to `LOOM_MAX_PREEMPTIONS`, takes every item
//! exactly once. Run: `RUSTFLAGS="--cfg gpm_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release
//! -p gpm-queue --test loom`.
#![cfg(gpm_loom)]

use gpm_queue::{CAPACITY, Global, Local, Stealer, local};
use loom::sync::Arc;
use loom::thread;

/// Asserts `taken` is exactly `0..n`, each once.
fn assert_each_once(mut taken: Vec<u32>, n: u32) {
    taken.sort_unstable();
    assert_eq!(taken, (0..n).collect::<Vec<_>>(), "lost or duplicated item");
}

/// A thief thread: steals once (optionally with runnext) into its own queue and returns all
/// it got.
fn thief(stealer: Stealer<u32>, with_runnext: bool) -> thread::JoinHandle<Vec<u32>> {
    thread::spawn(move || {
        let (mut mine, _) = local();
        let first = if with_runnext {
            stealer.steal_into_with_runnext(&mut mine)
        } else {
            stealer.steal_into(&mut mine)
        };
        first.into_iter().chain(mine.drain()).collect()
    })
}

/// Everything left in the owner's queue and the global queue.
fn leftovers(q: &mut Local<u32>, g: &Global<u32>) -> Vec<u32> {
    q.drain().chain(std::iter::from_fn(|| g.pop())).collect()
}

/// The owner pushes and pops while a thief steals.
#[test]
fn push_pop_racing_steal() {
    loom::model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push(0, &g);
        let t = thief(s, false);
        q.push(1, &g);
        q.push(2, &g);
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        taken.extend(t.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// Two thieves race each other and the owner's pop.
#[test]
fn two_thieves() {
    loom::model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push(0, &g);
        q.push(1, &g);
        let t1 = thief(s.clone(), false);
        let t2 = thief(s, false);
        q.push(2, &g);
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        taken.extend(t1.join().unwrap());
        taken.extend(t2.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// The owner replaces and pops `runnext` while a thief steals it (the ring being empty).
#[test]
fn push_next_racing_steal_of_runnext() {
    loom::model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push_next(0, &g);
        let t = thief(s, true);
        q.push_next(1, &g); // 0 (if still there) goes to the tail
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        q.push_next(2, &g); // reuses the cell, or falls back to the ring if a thief is reading
        taken.extend(t.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// The ring overflows to the global queue while a thief steals.
#[test]
fn overflow_to_global_racing_steal() {
    loom::model(|| {
        let g = Arc::new(Global::new());
        let (mut q, s) = local();
        let n = CAPACITY as u32 + 1;
        q.push(0, &g);
        let t = thief(s, false);
        for i in 1..n - 1 {
            q.push(i, &g); // the last one fills the ring unless the thief took some
        }
        q.push(n - 1, &g); // spills half + 1, unless the thief made room
        let mut taken = t.join().unwrap();
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, n);
    });
}

/// A thief steals from the global queue's batch get racing the owner's overflow into it.
#[test]
fn global_batch_get_racing_overflow() {
    loom::model(|| {
        let g = Arc::new(Global::new());
        let (mut q, _s) = local();
        let n = CAPACITY as u32 + 1;
        let g2 = g.clone();
        let t = thread::spawn(move || {
            let (mut mine, _) = local();
            let first = g2.pop_batch_into(&mut mine, 0);
            first.into_iter().chain(mine.drain()).collect::<Vec<_>>()
        });
        for i in 0..n {
            q.push(i, &g);
        }
        let mut taken = t.join().unwrap();
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, n);
    });
}
