//! `gpm::scope`, `JoinSet` and `CancellationToken`: borrows joined before `scope` returns
//! (from a goroutine, a plain thread, with a panic, with a cancelled caller), join order,
//! the concurrency limit, the first error cancelling the rest, drop cancelling what is
//! left, and token propagation into `select!`. Destructors are counted and the goroutine
//! count checked against its baseline.

mod chan_support;

use chan_support::deadline;
use gpm::{CancellationToken, Cancelled, JoinSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

struct Drops(Arc<AtomicUsize>);

impl Drop for Drops {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// `f` on a 2-P runtime, then on a single-thread one; the goroutine count must come back.
fn on_both(f: fn()) {
    deadline(60, move || {
        // SAFETY: the test goroutines hold no thread-local and no std lock guard across a
        // park.
        let rt = unsafe { gpm::Runtime::builder().procs(2).build() }.expect("runtime");
        rt.block_on(move || with_baseline(f));
        drop(rt);
        let rt = gpm::Runtime::single_thread().expect("runtime");
        rt.block_on(move || with_baseline(f));
    });
}

fn with_baseline(f: fn()) {
    let before = gpm::num_goroutines();
    f();
    for _ in 0..1000 {
        if gpm::num_goroutines() == before {
            return;
        }
        gpm::sleep(Duration::from_millis(1));
    }
    assert_eq!(gpm::num_goroutines(), before, "goroutines leaked");
}

#[test]
fn scope_joins_borrowing_goroutines_before_returning() {
    on_both(|| {
        let mut data = vec![0u64; 64];
        let total = AtomicUsize::new(0);
        gpm::scope(|s| {
            for (i, slot) in data.iter_mut().enumerate() {
                let total = &total;
                s.go(move || {
                    gpm::sleep(Duration::from_millis((i % 4) as u64));
                    *slot = i as u64 * 2;
                    total.fetch_add(1, SeqCst);
                });
            }
            // Nested: a scoped goroutine spawns into the same scope.
            s.go(|| s.go(|| total.fetch_add(1, SeqCst)));
        });
        assert_eq!(total.load(SeqCst), 65);
        assert!(data.iter().enumerate().all(|(i, v)| *v == i as u64 * 2));
    });
}

#[test]
fn scope_waits_for_a_parked_goroutine_and_propagates_panics() {
    on_both(|| {
        // A goroutine parked until after the scope's closure returned keeps it waiting.
        let (tx, rx) = gpm::chan::bounded::<u32>(0);
        let got = std::sync::Mutex::new(None);
        let feeder = gpm::go(move || {
            gpm::sleep(Duration::from_millis(30));
            tx.send(9).unwrap();
        });
        gpm::scope(|s| {
            s.go(|| *got.lock().unwrap() = Some(rx.recv().unwrap()));
        });
        assert_eq!(*got.lock().unwrap(), Some(9));
        feeder.join().unwrap();
        // An unjoined panic makes the scope panic, after every goroutine has finished.
        let finished = AtomicUsize::new(0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gpm::scope(|s| {
                s.go(|| panic!("scoped boom"));
                s.go(|| {
                    gpm::sleep(Duration::from_millis(20));
                    finished.fetch_add(1, SeqCst);
                });
            })
        }));
        let msg = r.unwrap_err().downcast::<&str>().map(|b| *b).unwrap_or_default();
        assert_eq!(msg, "a scoped goroutine panicked");
        assert_eq!(finished.load(SeqCst), 1);
        // A joined panic does not.
        gpm::scope(|s| assert!(s.go(|| panic!("handled")).join().is_err()));
        // The closure's own panic is resumed, after the goroutines.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gpm::scope(|s| {
                s.go(|| {
                    gpm::sleep(Duration::from_millis(20));
                    finished.fetch_add(1, SeqCst);
                });
                panic!("closure boom");
            })
        }));
        assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "closure boom");
        assert_eq!(finished.load(SeqCst), 2);
    });
}

#[test]
fn a_cancelled_scope_owner_still_waits_for_its_goroutines() {
    on_both(|| {
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let owner = gpm::go(move || {
            let local = String::from("borrowed"); // borrowed by the scoped goroutine
            gpm::scope(|s| {
                s.go(|| {
                    gpm::sleep(Duration::from_millis(40));
                    assert_eq!(local.len(), 8);
                    f.fetch_add(1, SeqCst);
                });
                gpm::sleep(Duration::from_secs(3600)); // cancelled here
            });
        });
        gpm::sleep(Duration::from_millis(10));
        owner.abort();
        let err = owner.join().unwrap_err();
        assert!(err.is::<Cancelled>());
        assert_eq!(finished.load(SeqCst), 1, "the scope returned before its goroutine");
    });
}

#[test]
fn scope_from_a_plain_thread_uses_the_default_runtime() {
    deadline(30, || {
        gpm::init_single_thread();
        let words = ["a", "bb", "ccc"];
        let mut lens = [0; 3];
        gpm::scope(|s| {
            for (l, w) in lens.iter_mut().zip(words) {
                s.go(move || {
                    assert!(gpm::current().is_goroutine());
                    gpm::yield_now();
                    *l = w.len();
                });
            }
        });
        assert_eq!(lens, [1, 2, 3]);
        assert!(!gpm::current().is_goroutine());
    });
}

#[test]
fn join_set_joins_in_finishing_order_under_a_limit() {
    on_both(|| {
        let mut set = JoinSet::new();
        set.set_limit(Some(3));
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        for i in 0..12u64 {
            let (n, p) = (now.clone(), peak.clone());
            set.spawn(move || {
                p.fetch_max(n.fetch_add(1, SeqCst) + 1, SeqCst);
                gpm::sleep(Duration::from_millis(1 + (i % 3) * 5));
                n.fetch_sub(1, SeqCst);
                i
            });
            assert!(now.load(SeqCst) <= 3);
        }
        assert_eq!(set.len(), 12);
        let mut seen = Vec::new();
        while let Some(r) = set.join_next() {
            seen.push(r.unwrap());
        }
        seen.sort();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        assert_eq!(peak.load(SeqCst), 3);
        assert!(set.is_empty() && set.join_next().is_none());
        // Whichever finishes first comes first.
        set.spawn(|| {
            gpm::sleep(Duration::from_millis(50));
            1
        });
        set.spawn(|| 2);
        assert_eq!(set.join_next().unwrap().unwrap(), 2);
        assert_eq!(set.join_next().unwrap().unwrap(), 1);
    });
}

#[test]
fn join_set_wait_returns_the_first_error_and_cancels_the_rest() {
    on_both(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut g = JoinSet::new();
        let token = g.token();
        for i in 0..8 {
            let d = Drops(drops.clone());
            let t = token.clone();
            g.spawn(move || -> Result<u32, String> {
                let _d = d;
                if i == 5 {
                    gpm::sleep(Duration::from_millis(10));
                    return Err(format!("task {i} failed"));
                }
                if i == 6 {
                    // Watches the token instead of being unwound.
                    let done = t.cancelled();
                    let _ = done.recv();
                    return Ok(100);
                }
                gpm::sleep(Duration::from_secs(3600));
                Ok(i)
            });
        }
        assert_eq!(g.wait(), Err("task 5 failed".to_string()));
        assert!(token.is_cancelled());
        assert!(g.is_empty());
        assert_eq!(drops.load(SeqCst), 8);
    });
}

#[test]
fn join_set_drop_cancels_what_is_left_and_join_all_resumes_panics() {
    on_both(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..5 {
            let d = Drops(drops.clone());
            set.spawn(move || {
                let _d = d;
                gpm::sleep(Duration::from_secs(3600));
            });
        }
        drop(set);
        for _ in 0..1000 {
            if drops.load(SeqCst) == 5 {
                break;
            }
            gpm::sleep(Duration::from_millis(1));
        }
        assert_eq!(drops.load(SeqCst), 5);
        let mut set = JoinSet::new();
        set.spawn(|| gpm::sleep(Duration::from_secs(3600)));
        set.spawn(|| panic!("joined boom"));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| set.join_all()));
        assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "joined boom");
    });
}

#[test]
fn token_cancels_down_not_up_and_wakes_select() {
    on_both(|| {
        let root = CancellationToken::new();
        let mid = root.child_token();
        let leaf = mid.child_token();
        let other = root.child_token();
        mid.cancel();
        assert!(mid.is_cancelled() && leaf.is_cancelled());
        assert!(!root.is_cancelled() && !other.is_cancelled());
        // A goroutine in a select on its token's receiver wakes when an ancestor cancels.
        let (_tx, rx) = gpm::chan::bounded::<u32>(0);
        let t = other.child_token();
        let h = gpm::go(move || {
            gpm::select! {
                recv(rx) -> _ => "message",
                recv(t.cancelled()) -> _ => "cancelled",
            }
        });
        gpm::sleep(Duration::from_millis(10));
        assert!(!h.is_finished());
        let r = root.clone();
        std::thread::spawn(move || r.cancel()).join().unwrap();
        assert_eq!(h.join().unwrap(), "cancelled");
        assert!(other.child_token().is_cancelled(), "a child of a cancelled token");
        // Waiting on it from a goroutine.
        let t = CancellationToken::new();
        let t2 = t.clone();
        let w = gpm::go(move || t2.wait());
        gpm::sleep(Duration::from_millis(5));
        t.cancel();
        w.join().unwrap();
    });
}

#[test]
fn current_and_names() {
    on_both(|| {
        let h = gpm::Builder::new().name("named").go(gpm::current).unwrap();
        assert_eq!(h.name(), Some("named"));
        let id = h.id();
        let me = h.join().unwrap();
        assert_eq!((me.id(), me.name(), me.is_goroutine()), (id, Some("named"), true));
        let anon = gpm::go(gpm::current);
        assert_eq!(anon.name(), None);
        assert_eq!(anon.join().unwrap().name(), None);
        assert!(gpm::current().id() > 0);
    });
}
