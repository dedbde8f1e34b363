//! Stealing (Go's `stealWork`): up to four passes over the other Ps in a random order,
//! taking half of a victim's ring in one CAS; the victim's `runnext` only on the last pass,
//! and due timers of other Ps on the way.
//!
//! The random order (Go's `randomOrder` / `randomEnum`): start at a random P and step by a
//! random stride coprime with the number of Ps, so each walk visits every P exactly once
//! without allocating a permutation (`tests/steal_order.rs`).

use std::sync::atomic::Ordering::*;

use crate::g::GRef;
use crate::ownership::OwnedP;
use crate::p::PStatus;
use crate::sched::Sched;

/// Passes over all Ps before giving up (Go's `stealTries`).
const STEAL_TRIES: usize = 4;

/// The visiting orders for `count` Ps: every stride in `1..=count` coprime with `count`.
#[derive(Debug, Clone)]
pub struct RandomOrder {
    count: u32,
    coprimes: Vec<u32>,
}

impl RandomOrder {
    /// Orders over `count` (≥ 1) items.
    pub fn new(count: u32) -> RandomOrder {
        assert!(count >= 1, "RandomOrder::new: count must be at least 1; count = {count}");
        let coprimes = (1..=count).filter(|&i| gcd(i, count) == 1).collect();
        RandomOrder { count, coprimes }
    }

    /// The walk picked by the random number `r`: yields each index in `0..count` once.
    pub fn start(&self, r: u32) -> impl Iterator<Item = usize> + '_ {
        let inc = self.coprimes[(r / self.count) as usize % self.coprimes.len()];
        let mut pos = r % self.count;
        (0..self.count).map(move |_| {
            let cur = pos;
            pos = (pos + inc) % self.count;
            cur as usize
        })
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Steals work for the spinning M that holds `p`. Returns a G to run now (the rest of the
/// stolen half is in `p`'s queue).
#[cold]
pub(crate) fn steal_work(sched: &Sched, p: &mut OwnedP<'_>) -> Option<GRef> {
    let order = order_for(sched);
    for pass in 0..STEAL_TRIES {
        let last = pass == STEAL_TRIES - 1;
        for i in order.start(fastrand::u32(..)) {
            if i == p.id() {
                continue;
            }
            let victim = &sched.ps[i];
            if last {
                crate::timers::run_timers(sched, victim, Some(&mut *p), None);
                if let Some(g) = p.runq().pop() {
                    return Some(g);
                }
            }
            if victim.stealer.is_empty() {
                continue;
            }
            if last
                && victim.stealer.len() == 1
                && victim.stealer.has_runnext()
                && victim.status() != PStatus::Idle
            {
                // Only `runnext`, on a P that is running: its owner is about to run it
                // (`runnext.rs`, rule 5).
                crate::runnext::grace();
            }
            let dst = p.runq();
            let got = if last {
                victim.stealer.steal_into_with_runnext(dst)
            } else {
                victim.stealer.steal_into(dst)
            };
            if let Some(g) = got {
                let n = 1 + dst.len() as u64;
                p.p().steals.fetch_add(n, Relaxed);
                return Some(g);
            }
        }
        if !sched.global.is_empty() {
            return None;
        }
    }
    None
}

/// A goroutine yields on a P with nothing else queued: before running it again, look at
/// one random other P and take half of its queue if it has one. Without this, a P that
/// ended up with one yielding goroutine keeps it to itself while another P cycles through
/// many: stealing happens only when a P runs dry, and a yielder never lets its P run dry.
/// (Go sends every `Gosched` through the global queue instead, a lock per yield.)
#[cold]
pub(crate) fn steal_on_yield(sched: &Sched, p: &mut OwnedP<'_>) {
    let n = sched.ps.len();
    if n < 2 {
        return;
    }
    let i = (p.id() + 1 + fastrand::usize(..n - 1)) % n;
    let victim = &sched.ps[i];
    if victim.stealer.is_empty() {
        return;
    }
    let steals = &p.p().steals;
    let dst = p.runq();
    if let Some(g) = victim.stealer.steal_into(dst) {
        steals.fetch_add(1 + dst.len() as u64, Relaxed);
        dst.push(g, &sched.global);
    }
}

fn order_for(sched: &Sched) -> &RandomOrder {
    &sched.steal_order
}
