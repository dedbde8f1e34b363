//! Multi-thread stress: one owner pushing millions of items (with `push_next`, overflow to the
//! global queue and its own pops), several thieves stealing from it and from each other and
//! refilling from the global queue. Every item carries a payload that records its consumption
//! and its destructor: at the end each item was taken exactly once and dropped exactly once.
#![cfg(not(gpm_loom))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::*};
use std::thread;

use gpm_queue::{CAPACITY, Global, Local, Stealer, local};

const ITEMS: usize = 10_000_000;
const THIEVES: usize = 3;

/// Shared bookkeeping: how often each item was taken, and how many destructors ran.
struct Ledger {
    taken: Vec<AtomicU8>,
    consumed: AtomicUsize,
    drops: AtomicUsize,
}

/// The payload: dropping it records its destructor.
struct Item {
    id: usize,
    ledger: Arc<Ledger>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.ledger.drops.fetch_add(1, Relaxed);
    }
}

fn consume(item: Item) {
    let prev = item.ledger.taken[item.id].fetch_add(1, Relaxed);
    assert_eq!(prev, 0, "item {} taken twice", item.id);
    item.ledger.consumed.fetch_add(1, Relaxed);
}

fn done(ledger: &Ledger) -> bool {
    ledger.consumed.load(Relaxed) == ledger.taken.len()
}

fn ledger(items: usize) -> Arc<Ledger> {
    Arc::new(Ledger {
        taken: (0..items).map(|_| AtomicU8::new(0)).collect(),
        consumed: AtomicUsize::new(0),
        drops: AtomicUsize::new(0),
    })
}

fn assert_all_once(ledger: &Ledger) {
    assert!(ledger.taken.iter().all(|t| t.load(Relaxed) == 1), "an item was lost");
    assert_eq!(ledger.drops.load(Relaxed), ledger.taken.len(), "every destructor exactly once");
}

/// A thief: steals from the owner or another thief, runs a few of its own, leaves the rest
/// to be stolen, and refills from the global queue.
fn thief(
    me: usize,
    mut mine: Local<Item>,
    victims: Vec<Stealer<Item>>,
    g: Arc<Global<Item>>,
    ledger: Arc<Ledger>,
) {
    let mut rng = me as u64 * 0x9E37_79B9 + 1;
    while !done(&ledger) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let victim = &victims[rng as usize % victims.len()];
        let got = if rng & 0x100 == 0 {
            victim.steal_into_with_runnext(&mut mine)
        } else {
            victim.steal_into(&mut mine)
        };
        let got = got.or_else(|| g.pop_batch_into(&mut mine, 1 + g.len() / (THIEVES + 1)));
        match got {
            Some(item) => consume(item),
            None => thread::yield_now(),
        }
        for _ in 0..(rng >> 20) % 8 {
            match mine.pop() {
                Some(item) => consume(item),
                None => break,
            }
        }
    }
}

#[test]
fn owner_and_thieves_take_every_item_exactly_once() {
    let ledger = ledger(ITEMS);
    let g = Arc::new(Global::new());
    let (mut owner, owner_s) = local();
    let queues: Vec<(Local<Item>, Stealer<Item>)> = (0..THIEVES).map(|_| local()).collect();
    let mut all: Vec<Stealer<Item>> = queues.iter().map(|(_, s)| s.clone()).collect();
    all.push(owner_s);
    let start = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = queues
        .into_iter()
        .enumerate()
        .map(|(me, (mine, _))| {
            let victims: Vec<_> =
                all.iter().enumerate().filter(|&(i, _)| i != me).map(|(_, s)| s.clone()).collect();
            let (g, ledger, start) = (g.clone(), ledger.clone(), start.clone());
            thread::spawn(move || {
                while !start.load(Acquire) {
                    std::hint::spin_loop();
                }
                thief(me, mine, victims, g, ledger)
            })
        })
        .collect();
    start.store(true, Release);
    for id in 0..ITEMS {
        let item = Item { id, ledger: ledger.clone() };
        match id % 7 {
            0 => owner.push_next(item, &g),
            _ => owner.push(item, &g),
        }
        if id % 5 == 0
            && let Some(item) = owner.pop()
        {
            consume(item);
        }
    }
    while !done(&ledger) {
        match owner.pop().or_else(|| g.pop()) {
            Some(item) => consume(item),
            None => thread::yield_now(),
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert!(owner.is_empty() && g.is_empty());
    drop((owner, all, g));
    assert_all_once(&ledger);
}

/// The owner keeps its ring nearly full in bursts while two thieves steal as fast as they
/// can: the ring is often full while a steal is in flight (the single item then goes to the
/// global queue) and the owner spills half to the global queue right after steals.
#[test]
fn full_ring_with_steals_in_flight() {
    const N: usize = 4_000_000;
    let ledger = ledger(N);
    let g = Arc::new(Global::new());
    let (mut owner, stealer) = local();
    let thieves: Vec<_> = (0..2)
        .map(|_| {
            let (stealer, g, ledger) = (stealer.clone(), g.clone(), ledger.clone());
            thread::spawn(move || {
                let (mut mine, _) = local();
                while !done(&ledger) {
                    match stealer.steal_into(&mut mine).or_else(|| g.pop()) {
                        Some(item) => consume(item),
                        None => thread::yield_now(),
                    }
                    mine.drain().for_each(consume);
                }
            })
        })
        .collect();
    let mut id = 0;
    while id < N {
        if owner.len() < CAPACITY - 8 {
            for _ in 0..64.min(N - id) {
                owner.push(Item { id, ledger: ledger.clone() }, &g);
                id += 1;
            }
        } else {
            thread::yield_now();
        }
    }
    while !done(&ledger) {
        match owner.pop().or_else(|| g.pop()) {
            Some(item) => consume(item),
            None => thread::yield_now(),
        }
    }
    for t in thieves {
        t.join().unwrap();
    }
    drop((owner, stealer, g));
    assert_all_once(&ledger);
}
