//! Exhaustive small-state tests, in the spirit of Go's `TestSchedLocalQueue` and
//! `TestSchedLocalQueueSteal`: every fill level of the ring, at several head offsets (so the
//! indices wrap), plus Go's exact rules for runnext, overflow and the global batch get.
#![cfg(not(gpm_loom))]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gpm_queue::{CAPACITY, Global, Local, Source, local};

/// Moves the ring's head/tail to `offset` by pushing and popping, so later indices wrap.
fn shifted(offset: usize, g: &Global<usize>) -> Local<usize> {
    let (mut q, _) = local();
    for i in 0..offset {
        q.push(usize::MAX - i, g);
        assert_eq!(q.pop(), Some(usize::MAX - i));
    }
    q
}

/// TestSchedLocalQueue: put/get is FIFO at every fill level.
#[test]
fn fifo_at_every_fill_level() {
    let g = Global::new();
    for offset in [0, 1, 100, CAPACITY - 1] {
        let mut q = shifted(offset, &g);
        for n in 0..=CAPACITY {
            assert!(q.is_empty());
            for i in 0..n {
                q.push(i, &g);
                assert_eq!(q.len(), i + 1);
            }
            for i in 0..n {
                assert_eq!(q.pop_with_source(), Some((i, Source::Ring)), "n = {n}");
            }
            assert_eq!(q.pop(), None);
        }
    }
    assert!(g.is_empty(), "no fill level up to CAPACITY may overflow");
}

/// TestSchedLocalQueueSteal: a steal takes exactly `n - n/2` of `n` items (Go's `runqgrab`:
/// n/2 when even, n/2 + 1 when odd), the oldest ones, returns the last of them and keeps the
/// rest in order in the thief's queue; every item is seen exactly once.
#[test]
fn steal_takes_half_rounded_up_at_every_fill_level() {
    let g = Global::new();
    for offset in [0, 1, 129, CAPACITY - 1] {
        let mut victim = shifted(offset, &g);
        let mut thief = shifted(offset / 2, &g);
        let stealer = victim.stealer();
        for n in 0..=CAPACITY {
            for i in 0..n {
                victim.push(i, &g);
            }
            let stolen = stealer.steal_into(&mut thief);
            let expect = n - n / 2;
            assert!(expect == n / 2 || expect == n / 2 + 1);
            let mut seen = Vec::new();
            match stolen {
                None => assert_eq!(n, 0),
                Some(ret) => {
                    assert_eq!(thief.len() + 1, expect, "n = {n}");
                    assert_eq!(stealer.len(), n - expect);
                    seen.extend(thief.drain());
                    assert_eq!(ret, expect - 1, "the last stolen item is returned");
                    seen.push(ret);
                }
            }
            assert_eq!(seen, (0..expect).collect::<Vec<_>>(), "thief keeps the oldest, in order");
            seen.extend(victim.drain());
            assert_eq!(seen.len(), n);
            assert_eq!(seen.iter().collect::<HashSet<_>>().len(), n, "each item once");
        }
    }
    assert!(g.is_empty());
}

/// A steal never overfills the thief's ring: it takes at most its free room + 1.
#[test]
fn steal_is_bounded_by_thief_room() {
    let g = Global::new();
    let (mut victim, stealer) = local();
    let (mut thief, _) = local();
    for free in [0, 1, 5] {
        for i in 0..CAPACITY - free {
            thief.push(i, &g);
        }
        for i in 0..CAPACITY {
            victim.push(i, &g);
        }
        assert!(stealer.steal_into(&mut thief).is_some());
        assert_eq!(thief.len(), CAPACITY);
        assert_eq!(stealer.len(), CAPACITY - free - 1);
        assert_eq!(thief.drain().count() + victim.drain().count(), 2 * CAPACITY - free - 1);
    }
    assert!(g.is_empty());
}

/// runnext: `pop` takes it first; `push_next` kicks the old one to the tail; a steal takes it
/// only when the ring is empty and the thief asks for it.
#[test]
fn runnext_rules() {
    let g = Global::new();
    let (mut q, stealer) = local();
    let (mut thief, _) = local();
    q.push(1, &g);
    q.push_next(2, &g);
    q.push_next(3, &g); // 2 -> tail
    assert_eq!(q.len(), 3);
    assert_eq!(q.pop_with_source(), Some((3, Source::RunNext)));
    assert_eq!(q.pop_with_source(), Some((1, Source::Ring)));
    assert_eq!(q.pop_with_source(), Some((2, Source::Ring)));
    assert_eq!(q.pop(), None);

    assert!(!stealer.has_runnext());
    q.push_next(4, &g);
    assert!(stealer.has_runnext());
    assert_eq!(stealer.steal_into(&mut thief), None, "runnext only when asked");
    q.push(5, &g);
    assert_eq!(stealer.steal_into_with_runnext(&mut thief), Some(5), "ring first");
    assert_eq!(stealer.steal_into_with_runnext(&mut thief), Some(4));
    assert_eq!(q.pop(), None);
    q.push_next(6, &g); // the owner reuses the cell after a thief emptied it
    assert_eq!(q.pop_with_source(), Some((6, Source::RunNext)));
    assert!(thief.is_empty() && g.is_empty());
}

/// Go's runqputslow: a push into a full ring moves the older half plus the new item to the
/// global queue in order, in one batch; the newer half stays.
#[test]
fn overflow_moves_half_and_item_to_global() {
    let g = Global::new();
    for offset in [0, 7, CAPACITY - 1] {
        let mut q = shifted(offset, &g);
        for i in 0..=CAPACITY {
            q.push(i, &g);
        }
        assert_eq!(q.len(), CAPACITY / 2);
        assert_eq!(g.len(), CAPACITY / 2 + 1);
        let global: Vec<_> = std::iter::from_fn(|| g.pop()).collect();
        let mut expect: Vec<_> = (0..CAPACITY / 2).collect();
        expect.push(CAPACITY);
        assert_eq!(global, expect);
        assert_eq!(q.drain().collect::<Vec<_>>(), (CAPACITY / 2..CAPACITY).collect::<Vec<_>>());
    }
}

/// Go's globrunqget: up to `max` (0 = no caller limit), at most half a ring, at most the
/// local room + 1; the first is returned, the rest queued in order.
#[test]
fn global_batch_get() {
    let g = Global::new();
    let (mut q, _) = local();
    g.push_batch(0..1000);
    assert_eq!(g.pop_batch_into(&mut q, 10), Some(0));
    assert_eq!(q.drain().collect::<Vec<_>>(), (1..10).collect::<Vec<_>>());
    assert_eq!(g.pop_batch_into(&mut q, 0), Some(10));
    assert_eq!(q.len(), CAPACITY / 2 - 1);
    q.drain().for_each(drop);
    for i in 0..CAPACITY - 3 {
        q.push(i, &g); // overflow goes to the back of g: nothing overflows here
    }
    let before = g.len();
    assert!(g.pop_batch_into(&mut q, 500).is_some());
    assert_eq!(q.len(), CAPACITY, "bounded by room + 1");
    assert_eq!(g.len(), before - 4);
    let (mut empty, _) = local::<usize>();
    assert_eq!(Global::new().pop_batch_into(&mut empty, 5), None);
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Dropping the queues drops every item still in them exactly once, whichever handle goes
/// last, including the runnext item and items spilled to the global queue.
#[test]
fn drop_drops_remaining_items_once() {
    for stealer_last in [false, true] {
        let drops = Arc::new(AtomicUsize::new(0));
        let g = Global::new();
        let (mut q, s) = local();
        let (mut thief, _) = local();
        for _ in 0..CAPACITY + 10 {
            q.push(Counted(drops.clone()), &g);
        }
        q.push_next(Counted(drops.clone()), &g);
        drop(s.steal_into(&mut thief)); // 1 dropped now
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        if stealer_last {
            drop(q);
            drop(thief);
            let ring = CAPACITY / 2 + 9; // after the spill of half + 1 to `g`
            let stolen = ring - ring / 2; // one dropped, the rest dropped with `thief`
            assert_eq!(drops.load(Ordering::Relaxed), stolen, "the ring lives on in `s`");
            drop(s);
        } else {
            drop(s);
            drop(q);
            drop(thief);
        }
        drop(g);
        assert_eq!(drops.load(Ordering::Relaxed), CAPACITY + 11, "stealer_last = {stealer_last}");
    }
}

/// `Local` is Send, `Stealer` Clone + Send + Sync, `Global` Send + Sync.
#[test]
fn auto_traits() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    fn clone<T: Clone>() {}
    send::<Local<Box<u8>>>();
    send::<gpm_queue::Stealer<Box<u8>>>();
    sync::<gpm_queue::Stealer<Box<u8>>>();
    clone::<gpm_queue::Stealer<Box<u8>>>();
    send::<Global<Box<u8>>>();
    sync::<Global<Box<u8>>>();
}
