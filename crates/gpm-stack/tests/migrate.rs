//! Migration: suspended coroutines hop between threads thousands of times, and after every
//! hop the per-thread state the crate relies on (the running coroutine published for the
//! overflow handler, read by `gpm_stack::running`, and the pool's thread cache) is the
//! current thread's. Runs optimised (`[profile.test] opt-level = 3`): the hazard — LLVM
//! keeping a thread-local's address in a register across the suspension — only shows there.
//!
//! The coroutines move as `SendCoroutine`s, so each makes the migration promise of
//! `Coroutine::into_send`; the jobs are written to keep it (see `traveller`).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;

use gpm_stack::{Coroutine, Resumed, SendCoroutine, Stack, StackPool, running};

const THREADS: usize = 4;
const COROUTINES: usize = 64;
const HOPS: usize = 500;

fn tid() -> i32 {
    // SAFETY: gettid has no preconditions; it is a syscall, not a thread-local read.
    unsafe { libc::gettid() }
}

/// A coroutine in flight, with the id of the thread that resumes it next.
struct Traveller {
    co: SendCoroutine,
    resumer: Arc<AtomicI32>,
}

fn traveller(id: u64, pool: Arc<StackPool>) -> Traveller {
    // Half on stacks of their own, half on pool chunk slots.
    let stack =
        if id.is_multiple_of(2) { Stack::new(64 * 1024).unwrap() } else { pool.get().unwrap() };
    let guard = stack.guard_range();
    let mut co = Coroutine::new(stack);
    co.set_id(id);
    let resumer = Arc::new(AtomicI32::new(0));
    let seen_by = resumer.clone();
    co.start(Box::new(move |s| {
        // A `BTreeSet`, not a `HashSet`: `RandomState::new` reads a thread-local.
        let mut threads = BTreeSet::new();
        for hop in 0..HOPS {
            // Read before and after the suspension in one function: the pattern that breaks
            // when a thread-local's address is cached across the switch.
            let before = running().expect("published before the hop");
            assert_eq!((before.id, &before.guard), (id, &guard), "hop {hop}");
            // The pool's per-thread cache, used from a coroutine on whatever thread it is on.
            pool.put(pool.get().unwrap());
            s.suspend();
            let now = tid();
            assert_eq!(now, seen_by.load(Ordering::SeqCst), "hop {hop}: not on the resumer");
            let after = running().expect("published after the hop");
            assert_eq!((after.id, &after.guard), (id, &guard), "hop {hop}: another thread's slot");
            threads.insert(now);
        }
        assert!(threads.len() > 1, "coroutine {id} never moved");
    }));
    // The job keeps the migration contract: (1) across `suspend` it holds only `Send` values
    // (ids, the guard range, a `BTreeSet`, `Arc`s); (2) it reads thread-locals only inside
    // gpm-stack's never-inlined accessors that do not suspend (`running`, the pool's
    // per-thread cache behind `get`/`put`), which look the thread-local up afresh on each
    // call, as this test checks; its own code reads none (`gettid` is a syscall); (3) it
    // never suspends while unwinding (a failed assertion ends the job).
    // SAFETY: the job keeps `into_send`'s contract, as just argued.
    let co = unsafe { co.into_send() };
    Traveller { co, resumer }
}

#[test]
fn suspended_coroutines_migrate_and_see_their_own_thread_state() {
    migrate(false);
}

/// The same through `resume_in` with each worker's `ThreadSlot`, taken once at its start.
#[test]
fn migrating_coroutines_resumed_through_thread_slots_see_their_own_thread_state() {
    migrate(true);
}

fn migrate(with_slot: bool) {
    let pool = Arc::new(StackPool::new(64 * 1024).unwrap());
    let (done_tx, done_rx) = mpsc::channel::<Result<u64, String>>();
    let channels: Vec<_> = (0..THREADS).map(|_| mpsc::channel::<Option<Traveller>>()).collect();
    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
    let mut workers = Vec::new();
    for (i, (_, rx)) in channels.into_iter().enumerate() {
        let next = senders[(i + 1) % THREADS].clone();
        let done = done_tx.clone();
        workers.push(std::thread::spawn(move || {
            let _thread = gpm_stack::init_thread();
            let slot = gpm_stack::thread_slot();
            // `None` stops the worker (every worker holds a sender of the ring, so the
            // channels never close by themselves).
            while let Some(mut t) = rx.recv().unwrap() {
                t.resumer.store(tid(), Ordering::SeqCst);
                let resumed = if with_slot { t.co.resume_in(&slot) } else { t.co.resume() };
                match resumed {
                    Resumed::Suspended => next.send(Some(t)).unwrap(),
                    Resumed::Finished(Ok(())) => done.send(Ok(t.co.id())).unwrap(),
                    Resumed::Finished(Err(p)) => {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        done.send(Err(format!("coroutine {}: {msg}", t.co.id()))).unwrap();
                    }
                }
                assert_eq!(running(), None, "unpublished after resume");
            }
        }));
    }
    for id in 0..COROUTINES as u64 {
        senders[id as usize % THREADS].send(Some(traveller(id + 1, pool.clone()))).unwrap();
    }
    let mut finished = HashSet::new();
    for _ in 0..COROUTINES {
        let id = done_rx.recv().unwrap().unwrap_or_else(|e| panic!("{e}"));
        assert!(finished.insert(id));
    }
    for tx in &senders {
        tx.send(None).unwrap();
    }
    for w in workers {
        w.join().unwrap();
    }
}
