//! loom models of the P-local queue (`CAPACITY` is 4 under `cfg(gpm_loom)`): every
//! interleaving of the owner and thieves, up to `LOOM_MAX_PREEMPTIONS`, takes every item
//! exactly once. Run: `RUSTFLAGS="--cfg gpm_loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release
//! -p gpm-queue --test loom`.
#![cfg(gpm_loom)]

use gpm_queue::{CAPACITY, Global, Local, Stealer, local};
use loom::sync::Arc;
use loom::thread;

/// Runs a model with a preemption bound of at least 4, whatever `LOOM_MAX_PREEMPTIONS` says:
/// 2 is not enough to reach a bug these models have caught (a spill that claimed past `tail`
/// after two complete steals ran inside one `push`; it needs 3), and 4 keeps all seven
/// models within a few seconds in `--release`.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if let Some(bound) = builder.preemption_bound {
        builder.preemption_bound = Some(bound.max(4));
    }
    builder.check(f);
}

/// Asserts `taken` is exactly `0..n`, each once.
fn assert_each_once(mut taken: Vec<u32>, n: u32) {
    taken.sort_unstable();
    assert_eq!(taken, (0..n).collect::<Vec<_>>(), "lost or duplicated item");
}

/// A thief thread: steals `steals` times (optionally with runnext) into its own queue, and
/// returns everything it got.
fn thief(stealer: Stealer<u32>, with_runnext: bool, steals: usize) -> thread::JoinHandle<Vec<u32>> {
    thread::spawn(move || {
        let (mut mine, _) = local();
        let mut got = Vec::new();
        for _ in 0..steals {
            let first = if with_runnext {
                stealer.steal_into_with_runnext(&mut mine)
            } else {
                stealer.steal_into(&mut mine)
            };
            got.extend(first.into_iter().chain(mine.drain()));
        }
        got
    })
}

/// Everything left in the owner's queue and the global queue.
fn leftovers(q: &mut Local<u32>, g: &Global<u32>) -> Vec<u32> {
    q.drain().chain(std::iter::from_fn(|| g.pop())).collect()
}

/// The owner pushes and pops while a thief steals.
#[test]
fn push_pop_racing_steal() {
    model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push(0, &g);
        let t = thief(s, false, 1);
        q.push(1, &g);
        q.push(2, &g);
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        taken.extend(t.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// The owner pops while a thief steals the last items: the owner's pop may overshoot an
/// emptied ring and undo, while the thief sees the overshoot and backs off.
#[test]
fn pop_racing_steal_of_the_last_items() {
    model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push(0, &g);
        q.push(1, &g);
        let t = thief(s, false, 2);
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        taken.extend(q.pop());
        q.push(2, &g);
        taken.extend(t.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// Two thieves race each other and the owner's pop.
#[test]
fn two_thieves() {
    model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push(0, &g);
        q.push(1, &g);
        let t1 = thief(s.clone(), false, 1);
        let t2 = thief(s, false, 1);
        q.push(2, &g);
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        taken.extend(t1.join().unwrap());
        taken.extend(t2.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// A chain: the middle thread steals from the first queue into its own, which a third
/// thread steals from at the same time (a thief's queue is someone else's victim).
#[test]
fn steal_into_a_queue_being_stolen_from() {
    model(|| {
        let g = Global::new();
        let (mut first, first_s) = local();
        for i in 0..3 {
            first.push(i, &g);
        }
        let (mut middle, middle_s) = local();
        let last = thief(middle_s, false, 1);
        let mut taken: Vec<u32> = first_s.steal_into(&mut middle).into_iter().collect();
        taken.extend(middle.drain());
        taken.extend(last.join().unwrap());
        taken.extend(leftovers(&mut first, &g));
        assert_each_once(taken, 3);
    });
}

/// The owner replaces and pops `runnext` while a thief steals it (the ring being empty).
#[test]
fn push_next_racing_steal_of_runnext() {
    model(|| {
        let g = Global::new();
        let (mut q, s) = local();
        q.push_next(0, &g);
        let t = thief(s, true, 1);
        q.push_next(1, &g); // 0 (if still there) goes to the tail
        let mut taken: Vec<u32> = q.pop().into_iter().collect();
        q.push_next(2, &g); // reuses the cell, or falls back to the ring if a thief is reading
        taken.extend(t.join().unwrap());
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, 3);
    });
}

/// The ring overflows to the global queue while a thief steals (twice, so that between the
/// owner seeing a full ring and claiming half of it the ring may have drained below half).
#[test]
fn overflow_to_global_racing_steal() {
    model(|| {
        let g = Arc::new(Global::new());
        let (mut q, s) = local();
        let n = CAPACITY as u32 + 2;
        for i in 0..CAPACITY as u32 {
            q.push(i, &g); // full
        }
        let t = thief(s, false, 2);
        q.push(n - 2, &g); // spills half + 1, unless the thief made room
        q.push(n - 1, &g);
        let mut taken = t.join().unwrap();
        taken.extend(leftovers(&mut q, &g));
        assert_each_once(taken, n);
    });
}

/// A thief steals from the global queue's batch get racing the owner's overflow into it.
#[test]
fn global_batch_get_racing_overflow() {
    model(|| {
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
