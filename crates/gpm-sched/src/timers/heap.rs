//! A P's timer entries ordered by deadline: a 4-ary min-heap (Go's timer heap,
//! `timerHeapN`) behind a sorted run.
//!
//! The heap: four children per node halve a binary heap's depth, so a pop at expiry, which
//! walks from the root to a leaf, touches half as many cache lines of a large heap, and a
//! node's children sit side by side.
//!
//! The run: an entry no earlier than the run's last one is appended to it instead of the
//! heap, so the run stays sorted and its earliest entry is its first. Timers armed as
//! "now + d" with one `d` (a server's read timeout, a loop's sleep) arrive in deadline
//! order: they cost an append and a pop from the front, in memory order, where the heap
//! would walk a root-to-leaf path for each pop. An entry earlier than the run's last few
//! moves those to the heap and takes their place ([`EVICT`]); any other entry goes to the
//! heap. A pop takes the earlier of the two fronts, so the order is exactly the heap's.

use std::collections::VecDeque;

/// Entries `(when, item)`: the sorted run and the heap (the earliest `when` at `v[0]`).
#[derive(Debug)]
pub(crate) struct Heap<T> {
    run: VecDeque<(u64, T)>,
    v: Vec<(u64, T)>,
}

const ARITY: usize = 4;

/// Most entries a push moves from the run's end to the heap to append itself to the run.
/// One long timeout armed before a stream of short sleeps would otherwise send every
/// sleep to the heap until it fires; a new entry earlier than more of the run's end than
/// this goes to the heap itself, so no push moves more than a few entries. An entry
/// leaves the run for the heap at most once, so the pushes cost no more than the heap's.
const EVICT: usize = 4;

impl<T> Heap<T> {
    pub(crate) const fn new() -> Heap<T> {
        Heap { run: VecDeque::new(), v: Vec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.run.len() + self.v.len()
    }

    /// The earliest deadline.
    pub(crate) fn peek_when(&self) -> Option<u64> {
        match (self.run.front(), self.v.first()) {
            (Some(r), Some(h)) => Some(r.0.min(h.0)),
            (r, h) => r.or(h).map(|e| e.0),
        }
    }

    pub(crate) fn push(&mut self, when: u64, item: T) {
        // The common case, a deadline in order: one compare.
        if self.run.back().is_none_or(|last| last.0 <= when) {
            self.run.push_back((when, item));
            return;
        }
        let later = self.run.iter().rev().take(EVICT + 1).take_while(|e| e.0 > when).count();
        if later <= EVICT {
            for _ in 0..later {
                let e = self.run.pop_back().expect("counted above");
                self.push_heap(e);
            }
            self.run.push_back((when, item));
        } else {
            self.push_heap((when, item));
        }
    }

    fn push_heap(&mut self, e: (u64, T)) {
        self.v.push(e);
        self.sift_up(self.v.len() - 1);
    }

    /// Removes the entry with the earliest deadline (the run's on a tie).
    pub(crate) fn pop(&mut self) -> Option<(u64, T)> {
        match (self.run.front(), self.v.first()) {
            (Some(r), Some(h)) if h.0 < r.0 => self.pop_heap(),
            (Some(_), _) => self.run.pop_front(),
            (None, _) => self.pop_heap(),
        }
    }

    fn pop_heap(&mut self) -> Option<(u64, T)> {
        if self.v.is_empty() {
            return None;
        }
        let top = self.v.swap_remove(0);
        if !self.v.is_empty() {
            self.sift_down(0);
        }
        Some(top)
    }

    /// Keeps the entries for which `keep` holds (the run stays sorted), and restores the
    /// heap order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.run.retain(|(_, item)| keep(item));
        self.v.retain(|(_, item)| keep(item));
        if self.v.len() > 1 {
            for i in (0..=(self.v.len() - 2) / ARITY).rev() {
                self.sift_down(i);
            }
        }
    }

    /// Moves the entry at `i` up to its place: parents later than it move down one level
    /// each (one move per level, not a swap).
    fn sift_up(&mut self, mut i: usize) {
        let when = self.v[i].0;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.v[parent].0 <= when {
                break;
            }
            self.v.swap(parent, i);
            i = parent;
        }
    }

    /// Moves the entry at `i` down to its place (after a pop, the last entry moved to the
    /// root): at each level the earliest of up to four children, found in one slice.
    fn sift_down(&mut self, mut i: usize) {
        let when = self.v[i].0;
        let n = self.v.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                return;
            }
            let kids = &self.v[first..(first + ARITY).min(n)];
            let mut min = 0;
            for (k, e) in kids.iter().enumerate().skip(1) {
                if e.0 < kids[min].0 {
                    min = k;
                }
            }
            if kids[min].0 >= when {
                return;
            }
            self.v.swap(first + min, i);
            i = first + min;
        }
    }
}

#[cfg(all(test, not(gpm_loom)))]
mod tests {
    use super::Heap;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        /// Push this much after the latest deadline pushed so far (the run's case).
        PushLater(u64),
        Pop,
        /// Drop the entries whose id is divisible by this.
        Retain(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..64).prop_map(Op::Push),
            3 => (0u64..4).prop_map(Op::PushLater),
            3 => Just(Op::Pop),
            1 => (2u64..5).prop_map(Op::Retain),
        ]
    }

    /// One long timeout armed first, then a stream of short ones in order: the long one
    /// leaves the run for the heap, and the stream stays in the run.
    #[test]
    fn an_early_long_timeout_gives_way_to_the_run() {
        let mut heap = Heap::new();
        heap.push(1_000_000, 0);
        for i in 1..100 {
            heap.push(10 + i, i);
        }
        assert_eq!((heap.run.len(), heap.v.len()), (99, 1));
        // Earlier than more than `EVICT` of the run's end: to the heap, the run intact.
        heap.push(5, 100);
        assert_eq!((heap.run.len(), heap.v.len()), (99, 2));
        let order: Vec<u64> = std::iter::from_fn(|| heap.pop()).map(|e| e.0).collect();
        assert!(order.is_sorted() && order.len() == 101, "{order:?}");
    }

    proptest! {
        /// Against a sequential model (a sorted multiset of (when, id)): every pop gives
        /// the earliest deadline, and the heap holds exactly the model's entries.
        #[test]
        fn heap_matches_a_sorted_model(ops in proptest::collection::vec(op(), 0..300)) {
            let mut heap = Heap::new();
            let mut model: BTreeMap<(u64, u64), ()> = BTreeMap::new();
            let mut latest = 0;
            for (id, op) in ops.into_iter().enumerate() {
                let id = id as u64;
                match op {
                    Op::Push(when) | Op::PushLater(when) => {
                        let when = match op {
                            Op::PushLater(_) => latest + when,
                            _ => when,
                        };
                        latest = latest.max(when);
                        heap.push(when, id);
                        model.insert((when, id), ());
                    }
                    Op::Pop => {
                        let got = heap.pop();
                        let want = model.keys().next().copied();
                        match (got, want) {
                            (None, None) => {}
                            (Some((when, id)), Some((w, _))) => {
                                prop_assert_eq!(when, w);
                                prop_assert!(model.remove(&(when, id)).is_some());
                            }
                            (got, want) => prop_assert!(false, "pop {:?}, model {:?}", got, want),
                        }
                    }
                    Op::Retain(k) => {
                        heap.retain(|id| id % k != 0);
                        model.retain(|&(_, id), _| id % k != 0);
                    }
                }
                prop_assert_eq!(heap.len(), model.len());
                prop_assert_eq!(heap.peek_when(), model.keys().next().map(|k| k.0));
            }
        }
    }
}
