//! proptest: random sequences of push, push_next, pop, steal (both ways, with and without
//! runnext) and global-queue operations, checked step by step against a sequential model of
//! Go's rules (`runqput`, `runqputslow`, `runqget`, `runqsteal`, `globrunqget`).
#![cfg(not(gpm_loom))]

use std::collections::VecDeque;

use gpm_queue::{CAPACITY, Global, Local, Stealer, local};
use proptest::prelude::*;

/// The model of one P-local queue.
#[derive(Default, Debug)]
struct Model {
    ring: VecDeque<u32>,
    next: Option<u32>,
}

impl Model {
    fn len(&self) -> usize {
        self.ring.len() + self.next.is_some() as usize
    }

    fn push(&mut self, item: u32, global: &mut VecDeque<u32>) {
        if self.ring.len() == CAPACITY {
            global.extend(self.ring.drain(..CAPACITY / 2));
            global.push_back(item);
        } else {
            self.ring.push_back(item);
        }
    }

    fn push_next(&mut self, item: u32, global: &mut VecDeque<u32>) {
        if let Some(old) = self.next.replace(item) {
            self.push(old, global);
        }
    }

    fn pop(&mut self) -> Option<u32> {
        self.next.take().or_else(|| self.ring.pop_front())
    }

    /// Go's runqsteal into `dst`: half rounded up, bounded by dst's room + 1; the last one is
    /// returned; runnext only when the ring is empty and asked for.
    fn steal_into(&mut self, dst: &mut Model, with_next: bool) -> Option<u32> {
        let len = self.ring.len();
        let n = (len - len / 2).min(CAPACITY - dst.ring.len() + 1);
        if n == 0 {
            return if with_next { self.next.take() } else { None };
        }
        let mut taken: Vec<u32> = self.ring.drain(..n).collect();
        let ret = taken.pop();
        dst.ring.extend(taken);
        ret
    }
}

/// Go's globrunqget.
fn model_batch(global: &mut VecDeque<u32>, dst: &mut Model, max: usize) -> Option<u32> {
    let mut n = global.len().min(CAPACITY / 2).min(CAPACITY - dst.ring.len() + 1);
    if max > 0 {
        n = n.min(max);
    }
    let first = global.pop_front()?;
    dst.ring.extend(global.drain(..n - 1));
    Some(first)
}

#[derive(Debug, Clone)]
enum Op {
    Push(usize),
    PushNext,
    Pop,
    ThiefPop,
    Steal { with_next: bool },
    StealBack { with_next: bool },
    GlobalPush,
    GlobalPop,
    GlobalBatch(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..CAPACITY + 40).prop_map(Op::Push),
        3 => Just(Op::PushNext),
        4 => Just(Op::Pop),
        2 => Just(Op::ThiefPop),
        2 => any::<bool>().prop_map(|with_next| Op::Steal { with_next }),
        1 => any::<bool>().prop_map(|with_next| Op::StealBack { with_next }),
        1 => Just(Op::GlobalPush),
        1 => Just(Op::GlobalPop),
        2 => (0..CAPACITY).prop_map(Op::GlobalBatch),
    ]
}

/// The real queues under test, with a counter for fresh items.
struct Real {
    victim: Local<u32>,
    victim_s: Stealer<u32>,
    thief: Local<u32>,
    thief_s: Stealer<u32>,
    global: Global<u32>,
}

fn apply(op: &Op, r: &mut Real, v: &mut Model, t: &mut Model, g: &mut VecDeque<u32>, id: &mut u32) {
    let mut fresh = || {
        *id += 1;
        *id
    };
    match *op {
        Op::Push(n) => {
            for _ in 0..n {
                let item = fresh();
                r.victim.push(item, &r.global);
                v.push(item, g);
            }
        }
        Op::PushNext => {
            let item = fresh();
            r.victim.push_next(item, &r.global);
            v.push_next(item, g);
        }
        Op::Pop => assert_eq!(r.victim.pop(), v.pop()),
        Op::ThiefPop => assert_eq!(r.thief.pop(), t.pop()),
        Op::Steal { with_next } => {
            let got = if with_next {
                r.victim_s.steal_into_with_runnext(&mut r.thief)
            } else {
                r.victim_s.steal_into(&mut r.thief)
            };
            assert_eq!(got, v.steal_into(t, with_next));
        }
        Op::StealBack { with_next } => {
            let got = if with_next {
                r.thief_s.steal_into_with_runnext(&mut r.victim)
            } else {
                r.thief_s.steal_into(&mut r.victim)
            };
            assert_eq!(got, t.steal_into(v, with_next));
        }
        Op::GlobalPush => {
            let item = fresh();
            r.global.push(item);
            g.push_back(item);
        }
        Op::GlobalPop => assert_eq!(r.global.pop(), g.pop_front()),
        Op::GlobalBatch(max) => {
            assert_eq!(r.global.pop_batch_into(&mut r.victim, max), model_batch(g, v, max));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn queues_match_the_sequential_model(ops in prop::collection::vec(op(), 1..120)) {
        let (victim, victim_s) = local();
        let (thief, thief_s) = local();
        let mut r = Real { victim, victim_s, thief, thief_s, global: Global::new() };
        let (mut v, mut t, mut g) = (Model::default(), Model::default(), VecDeque::new());
        let mut id = 0;
        for op in &ops {
            apply(op, &mut r, &mut v, &mut t, &mut g, &mut id);
            prop_assert_eq!(r.victim.len(), v.len(), "victim len after {:?}", op);
            prop_assert_eq!(r.victim_s.len(), v.len());
            prop_assert_eq!(r.thief.len(), t.len(), "thief len after {:?}", op);
            prop_assert_eq!(r.global.len(), g.len(), "global len after {:?}", op);
        }
        // Drain all: the same items, in the same order.
        let real: Vec<u32> = r.victim.drain().chain(r.thief.drain()).collect();
        let model: Vec<u32> =
            std::iter::from_fn(|| v.pop()).chain(std::iter::from_fn(|| t.pop())).collect();
        prop_assert_eq!(real, model);
        prop_assert_eq!(std::iter::from_fn(|| r.global.pop()).collect::<Vec<_>>(), Vec::from(g));
    }
}
