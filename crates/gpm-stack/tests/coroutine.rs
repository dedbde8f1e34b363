//! `Coroutine` behaviour: jobs in turn, suspend/resume, panics as values, destructors of
//! unwound jobs, nesting, and moving a coroutine to another thread (suspended, under the
//! migration contract; idle, with no promise).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use gpm_stack::{Coroutine, Resumed, Stack, running};

fn coroutine() -> Coroutine {
    Coroutine::new(Stack::new(64 * 1024).unwrap())
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

#[test]
fn runs_many_jobs_in_turn_with_suspensions() {
    let mut co = coroutine();
    assert!(co.is_idle());
    let counter = Arc::new(AtomicUsize::new(0));
    for round in 0..100 {
        let c = counter.clone();
        co.start(Box::new(move |s| {
            for _ in 0..3 {
                c.fetch_add(1, Ordering::SeqCst);
                s.suspend();
            }
        }));
        assert!(!co.is_idle());
        for _ in 0..3 {
            assert!(matches!(co.resume(), Resumed::Suspended));
            assert!(!co.is_idle());
        }
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))), "round {round}");
        assert!(co.is_idle());
    }
    assert_eq!(counter.load(Ordering::SeqCst), 300);
}

#[test]
fn panic_comes_back_as_value_and_coroutine_stays_usable() {
    let mut co = coroutine();
    for _ in 0..3 {
        co.start(Box::new(|s| {
            s.suspend();
            panic!("job failed on purpose");
        }));
        assert!(matches!(co.resume(), Resumed::Suspended));
        match co.resume() {
            Resumed::Finished(Err(payload)) => {
                assert_eq!(payload.downcast_ref::<&str>(), Some(&"job failed on purpose"));
            }
            other => panic!("expected a caught panic, got {other:?}"),
        }
        assert!(co.is_idle());
        co.start(Box::new(|_| {}));
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
    }
}

#[test]
fn into_stack_and_drop_unwind_a_suspended_job() {
    let drops = Arc::new(AtomicUsize::new(0));
    for use_into_stack in [true, false] {
        let mut co = coroutine();
        let d = DropCount(drops.clone());
        co.start(Box::new(move |s| {
            let _on_stack = d;
            s.suspend();
            unreachable!("never resumed");
        }));
        assert!(matches!(co.resume(), Resumed::Suspended));
        if use_into_stack {
            let stack = co.into_stack();
            assert!(stack.size() >= 64 * 1024);
        } else {
            drop(co);
        }
    }
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn loaded_job_never_run_is_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut co = coroutine();
    let d = DropCount(drops.clone());
    co.start(Box::new(move |_| drop(d)));
    let _stack = co.into_stack();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn idle_coroutine_gives_back_its_stack_and_it_is_reusable() {
    let mut co = coroutine();
    co.start(Box::new(|_| {}));
    assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
    let stack = co.into_stack();
    let mut again = Coroutine::new(stack);
    again.start(Box::new(|s| s.suspend()));
    assert!(matches!(again.resume(), Resumed::Suspended));
    assert!(matches!(again.resume(), Resumed::Finished(Ok(()))));
}

#[test]
fn job_that_swallows_the_forced_unwind_still_drops() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut co = coroutine();
    let d = DropCount(drops.clone());
    co.start(Box::new(move |s| {
        let _d = d;
        // A job catching everything also catches corosensei's forced unwind; the coroutine
        // re-raises it at the next suspension point (here the body's), so the drop finishes.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.suspend()));
    }));
    assert!(matches!(co.resume(), Resumed::Suspended));
    drop(co);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn running_is_published_only_while_the_job_runs_and_nests() {
    assert_eq!(running(), None);
    let stack = Stack::new(64 * 1024).unwrap();
    let outer_guard = stack.guard_range();
    let mut outer = Coroutine::new(stack);
    outer.set_id(7);
    outer.start(Box::new(move |s| {
        let me = running().expect("published");
        assert_eq!(me.id, 7);
        assert_eq!(me.guard, outer_guard);
        let mut inner = Coroutine::new(Stack::new(32 * 1024).unwrap());
        inner.set_id(8);
        inner.start(Box::new(|_| assert_eq!(running().unwrap().id, 8)));
        assert!(matches!(inner.resume(), Resumed::Finished(Ok(()))));
        assert_eq!(running().unwrap().id, 7, "restored after the nested resume");
        s.suspend();
        assert_eq!(running().unwrap().id, 7);
    }));
    assert!(matches!(outer.resume(), Resumed::Suspended));
    assert_eq!(running(), None);
    assert!(matches!(outer.resume(), Resumed::Finished(Ok(()))));
    assert_eq!(running(), None);
}

#[test]
fn suspended_coroutine_moves_to_another_thread() {
    let mut co = coroutine();
    co.set_id(99);
    let (tx, rx) = std::sync::mpsc::channel();
    co.start(Box::new(move |s| {
        // gettid is a syscall, not a thread-local: safe to read across a suspension.
        let before = tid();
        s.suspend();
        let after = tid();
        tx.send((before, after)).unwrap();
    }));
    assert!(matches!(co.resume(), Resumed::Suspended));
    // SAFETY: the migration contract, for the one job this coroutine runs: it holds only the
    // `Sender` (a `Send` value) and two integers across its suspension; before it, it reads
    // no thread-local (`gettid` is a syscall), so no thread-local is accessed on both sides.
    let co = unsafe { co.into_send() };
    let co = std::thread::spawn(move || {
        let mut co = co;
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
        co
    })
    .join()
    .unwrap();
    let (before, after) = rx.recv().unwrap();
    assert_ne!(before, after);
    assert!(co.is_idle());
}

#[test]
fn an_idle_coroutine_moves_to_another_thread_with_no_promise() {
    let mut co = coroutine();
    co.start(Box::new(|s| s.suspend()));
    assert!(matches!(co.resume(), Resumed::Suspended));
    // Not idle: a job is suspended on it.
    let mut co = co.into_idle().unwrap_err();
    assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
    let idle = co.into_idle().expect("idle once its job finished");
    let here = tid();
    let idle = std::thread::spawn(move || {
        let mut co = idle.into_inner();
        co.start(Box::new(move |s| {
            assert_ne!(tid(), here);
            s.suspend();
        }));
        assert!(matches!(co.resume(), Resumed::Suspended));
        assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
        co.into_idle().unwrap()
    })
    .join()
    .unwrap();
    // A job that panicked leaves it idle too (on a fresh corosensei coroutine).
    let mut co = Coroutine::from(idle);
    co.start(Box::new(|_| panic!("boom")));
    assert!(matches!(co.resume(), Resumed::Finished(Err(_))));
    let idle = co.into_idle().unwrap();
    std::thread::spawn(move || drop(idle.into_stack())).join().unwrap();
}

#[test]
#[should_panic(expected = "no job loaded")]
fn resume_without_a_job_panics() {
    coroutine().resume();
}

#[test]
#[should_panic(expected = "already loaded")]
fn start_twice_panics() {
    let mut co = coroutine();
    co.start(Box::new(|_| {}));
    co.start(Box::new(|_| {}));
}

#[test]
fn a_thread_slot_cannot_be_taken_inside_a_coroutine() {
    let slot = gpm_stack::thread_slot();
    let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
    co.set_id(5);
    co.start(Box::new(|_| {
        assert_eq!(running().unwrap().id, 5, "published through the slot");
        let _ = gpm_stack::thread_slot(); // panics: this stack may migrate
    }));
    match co.resume_in(&slot) {
        Resumed::Finished(Err(p)) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            assert!(msg.contains("inside a coroutine"), "{msg}");
        }
        other => panic!("expected the job's panic, got {other:?}"),
    }
    assert_eq!(running(), None, "unpublished after resume_in");
    assert!(co.is_idle());
}
