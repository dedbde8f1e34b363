//! The `mprotect` fallback at its ceiling: stacks forced onto `mprotect` guards are refused
//! with a clear error before the process runs out of mappings, and the process stays healthy.
//! (Own test binary: it spends most of the process's mapping budget.)

use std::io;

use gpm_stack::{
    Coroutine, GuardKind, MIN_STACK_SIZE, Resumed, Stack, live_mprotect_stacks,
    mprotect_stack_limit,
};

fn mprotect_stack() -> io::Result<Stack> {
    Stack::builder().size(MIN_STACK_SIZE).guard(GuardKind::Mprotect).build()
}

#[test]
fn mprotect_stacks_stop_with_a_clear_error_and_the_process_stays_healthy() {
    let max_map_count: usize =
        std::fs::read_to_string("/proc/sys/vm/max_map_count").unwrap().trim().parse().unwrap();
    let mut stacks = Vec::new();
    let err = loop {
        match mprotect_stack() {
            Ok(s) => stacks.push(s),
            Err(e) => break e,
        }
        assert!(stacks.len() <= max_map_count / 2, "no ceiling reached");
    };
    assert_eq!(stacks.len(), mprotect_stack_limit());
    assert_eq!(live_mprotect_stacks(), stacks.len());
    assert!(stacks.len() > max_map_count / 4, "budget too small: {}", stacks.len());
    assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
    let msg = err.to_string();
    eprintln!("stopped after {} mprotect stacks: {msg}", stacks.len());
    for needle in [
        "vm.max_map_count".to_string(),
        max_map_count.to_string(),
        format!("{} stacks guarded by mprotect are live", stacks.len()),
        "raise".to_string(),
        "MADV_GUARD_INSTALL".to_string(),
        "6.13".to_string(),
    ] {
        assert!(msg.contains(&needle), "error lacks {needle:?}: {msg}");
    }

    // At the ceiling the process can still start a thread and run a coroutine on an
    // madvise-guarded stack (or none, on an old kernel).
    std::thread::spawn(|| 1 + 1).join().unwrap();
    if gpm_stack::madvise_guard_supported() {
        let mut co = Coroutine::new(Stack::builder().guard(GuardKind::Madvise).build().unwrap());
        co.start(Box::new(|s| s.suspend()));
        assert!(matches!(co.resume(), Resumed::Suspended));
    }

    // Dropping them gives the budget back.
    stacks.clear();
    assert_eq!(live_mprotect_stacks(), 0);
    let again = mprotect_stack().unwrap();
    assert_eq!(again.guard_kind(), GuardKind::Mprotect);
    std::thread::spawn(|| 2 + 2).join().unwrap();
}
