//! `Stack`: sizes, errors instead of crashes, layout, and the guard mechanisms.

use std::io::ErrorKind;

use gpm_stack::{GuardKind, MIN_STACK_SIZE, Stack, StackBuilder, StackPool};

#[test]
fn sizes_below_the_minimum_are_errors_naming_it() {
    for size in [0, 1, MIN_STACK_SIZE - 1] {
        let err = Stack::new(size).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&MIN_STACK_SIZE.to_string()), "{err}");
        assert!(StackPool::new(size).is_err());
    }
}

#[test]
fn unmappable_and_absurd_sizes_are_errors() {
    let err = Stack::new(1 << 50).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert!(err.to_string().contains("cannot map"), "{err}");
    let err = Stack::new(usize::MAX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = Stack::builder().size(1 << 50).guard(GuardKind::Mprotect).build().unwrap_err();
    assert!(err.to_string().contains("cannot map"), "{err}");
}

#[test]
fn size_is_page_rounded_and_layout_is_guard_then_usable() {
    let s = Stack::new(MIN_STACK_SIZE + 1).unwrap();
    assert_eq!(s.size(), MIN_STACK_SIZE + 4096);
    let guard = s.guard_range();
    assert_eq!(guard.end - guard.start, 4096);
    assert_eq!(s.top() - guard.end, s.size());
    assert_eq!(StackBuilder::new().build().unwrap().size(), gpm_stack::DEFAULT_STACK_SIZE);
}

#[test]
fn both_guard_kinds_build_and_auto_resolves() {
    let m = Stack::builder().size(MIN_STACK_SIZE).guard(GuardKind::Mprotect).build().unwrap();
    assert_eq!(m.guard_kind(), GuardKind::Mprotect);
    let auto = Stack::new(MIN_STACK_SIZE).unwrap();
    assert_ne!(auto.guard_kind(), GuardKind::Auto);
    if gpm_stack::madvise_guard_supported() {
        let a = Stack::builder().size(MIN_STACK_SIZE).guard(GuardKind::Madvise).build().unwrap();
        assert_eq!(a.guard_kind(), GuardKind::Madvise);
    } else {
        let err = Stack::builder().guard(GuardKind::Madvise).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}

#[test]
fn send_and_sync_facts() {
    fn check<T: Send + Sync>() {}
    check::<Stack>();
    check::<StackPool>();
    // `Coroutine` itself is `!Send` (`tests/compile_fail/`); these two forms move.
    fn send<T: Send>() {}
    send::<gpm_stack::SendCoroutine>();
    send::<gpm_stack::IdleCoroutine>();
}

/// Child half of `env_var_forces_mprotect_guards`: a no-op unless the parent set the variable.
#[test]
fn child_checks_env_guard() {
    if let Ok(expected) = std::env::var("GPM_STACK_EXPECT_GUARD") {
        let kind = Stack::new(MIN_STACK_SIZE).unwrap().guard_kind();
        assert_eq!(format!("{kind:?}").to_lowercase(), expected);
    }
}

#[test]
fn env_var_forces_mprotect_guards() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["child_checks_env_guard", "--exact", "--test-threads=1"])
        .env(gpm_stack::GUARD_ENV, "mprotect")
        .env("GPM_STACK_EXPECT_GUARD", "mprotect")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
