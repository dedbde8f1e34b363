//! Goroutine-locals (`gpm_sched::local!`): initialisers that use other locals, `with` nested
//! in `with`, and locals created by another local's destructor.

mod common;

use std::cell::Cell;

use gpm_sched::Runtime;

gpm_sched::local! {
    static BASE: Cell<u64> = Cell::new(40);
    static L1: Cell<u64> = Cell::new(BASE.with(Cell::get) + 1);
    static L2: Cell<u64> = Cell::new(L1.with(Cell::get) + 1);
    static L3: Cell<u64> = Cell::new(L2.with(Cell::get) + 1);
    static L4: Cell<u64> = Cell::new(L3.with(Cell::get) + 1);
    static L5: Cell<u64> = Cell::new(L4.with(Cell::get) + 1);
}

/// Initialisers that use other locals (each pushes to the map, which reallocates, while the
/// outer lookup is in progress), and `with` nested in `with` of the same key.
fn chained_locals() -> u64 {
    let top = L5.with(Cell::get);
    let nested = L1.with(|a| {
        a.set(a.get() + 100);
        L5.with(|b| L1.with(|a2| a2.get() + b.get()))
    });
    top * 1000 + nested
}

#[test]
fn local_initialiser_uses_other_locals() {
    let _w = common::watchdog(20, "local_initialiser_uses_other_locals");
    let expect = 45 * 1000 + 141 + 45;
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(2).build() }.unwrap();
    let hs: Vec<_> = (0..50).map(|_| rt.go(chained_locals)).collect();
    for h in hs {
        assert_eq!(h.join().unwrap(), expect);
    }
    // The plain-thread half (used to hold a RefCell borrow across the initialiser).
    assert_eq!(std::thread::spawn(chained_locals).join().unwrap(), expect);
}

static MARKS_DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A goroutine-local whose destructor counts.
struct Mark(Cell<u64>);

impl Drop for Mark {
    fn drop(&mut self) {
        MARKS_DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A goroutine-local whose destructor uses (so creates) another one.
struct SetsMarkOnDrop;

impl Drop for SetsMarkOnDrop {
    fn drop(&mut self) {
        MARK.with(|m| m.0.set(7));
    }
}

gpm_sched::local! {
    static MARK: Mark = Mark(Cell::new(0));
    static SETTER: SetsMarkOnDrop = SetsMarkOnDrop;
}

/// A local created by another local's destructor is dropped with the goroutine too, not
/// left behind for the next goroutine that reuses the G.
#[test]
fn local_created_by_a_local_destructor_does_not_leak_into_the_next_goroutine() {
    let _w = common::watchdog(20, "local_created_by_a_local_destructor");
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { Runtime::builder().procs(1).build() }.unwrap();
    let rounds = 50;
    rt.block_on(move || {
        for _ in 0..rounds {
            let seen = gpm_sched::go(|| {
                let seen = MARK.with(|m| m.0.get());
                SETTER.with(|_| ());
                seen
            })
            .join()
            .unwrap();
            assert_eq!(seen, 0, "a MARK set by the previous goroutine's destructor leaked");
        }
    });
    drop(rt);
    // Each round: its own MARK, and the one SETTER's destructor created.
    assert_eq!(MARKS_DROPPED.load(std::sync::atomic::Ordering::Relaxed), 2 * rounds);
}
