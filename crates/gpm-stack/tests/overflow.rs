//! Overflow detection, in subprocesses: this test binary re-executes itself with
//! `GPM_STACK_CHILD=<scenario>`, the child crashes on purpose, and the parent checks the
//! signal that killed it and what it wrote to stderr.

use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use gpm_stack::{Coroutine, GuardKind, Resumed, Stack, StackPool};

const CHILD_ENV: &str = "GPM_STACK_CHILD";

/// Recurses until the stack runs out; every frame keeps a buffer alive.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let buf = [depth; 32];
    black_box(&buf);
    if black_box(true) { recurse(depth + 1) + buf[7] } else { 0 }
}

/// No core files from the crashes we cause on purpose.
fn no_core_dumps() {
    let zero = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: setrlimit with a valid struct has no other preconditions.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

fn overflow_coroutine(guard: GuardKind) {
    let _thread = gpm_stack::init_thread();
    let stack = Stack::builder().size(64 * 1024).guard(guard).build().unwrap();
    let mut co = Coroutine::new(stack);
    co.set_id(42);
    co.start(Box::new(|_| {
        black_box(recurse(0));
    }));
    co.resume();
}

/// Overflows the `index`-th stack a fresh pool hands out (0-based; slots of its first and
/// later chunks); with `recycled`, after all of them went back to the pool and had their
/// memory given back.
fn overflow_pool_stack(index: usize, recycled: bool) {
    let _thread = gpm_stack::init_thread();
    let pool = StackPool::builder().stack_size(64 * 1024).local_capacity(0).build().unwrap();
    let mut stacks: Vec<Stack> = (0..=index).map(|_| pool.get().unwrap()).collect();
    let mut stack = stacks.pop().unwrap();
    if recycled {
        stacks.push(stack);
        drop(stacks); // past the shared queue into the depot, released in batches
        stacks = Vec::new();
        stack = pool.get().unwrap();
    }
    assert!(stack.is_pooled_slot() || !gpm_stack::madvise_guard_supported());
    let mut co = Coroutine::new(stack);
    co.set_id(42);
    co.start(Box::new(|_| {
        black_box(recurse(0));
    }));
    co.resume();
    drop(stacks);
}

fn null_deref() {
    // SAFETY: none — the point is to fault on a null read, as a bug would.
    let v = unsafe { std::ptr::read_volatile(black_box(std::ptr::null::<u64>())) };
    black_box(v);
}

fn run_child(scenario: &str) {
    no_core_dumps();
    match scenario {
        "coroutine_overflow" => overflow_coroutine(GuardKind::Auto),
        "coroutine_overflow_mprotect" => overflow_coroutine(GuardKind::Mprotect),
        "coroutine_overflow_after_migration" => {
            let _thread = gpm_stack::init_thread();
            let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
            co.set_id(7);
            co.start(Box::new(|s| {
                s.suspend();
                black_box(recurse(0));
            }));
            assert!(matches!(co.resume(), Resumed::Suspended));
            // SAFETY: the migration contract: the job holds nothing across its suspension and
            // touches no thread-local on either side of it (`recurse` only recurses).
            let co = unsafe { co.into_send() };
            std::thread::spawn(move || {
                let _thread = gpm_stack::init_thread();
                let slot = gpm_stack::thread_slot();
                let mut co = co;
                co.resume_in(&slot); // published through the new thread's slot
            })
            .join()
            .unwrap();
        }
        pool if pool.starts_with("pool_overflow:") => {
            let (index, recycled) = match pool["pool_overflow:".len()..].split_once(':') {
                Some((i, "recycled")) => (i.parse().unwrap(), true),
                _ => (pool["pool_overflow:".len()..].parse().unwrap(), false),
            };
            overflow_pool_stack(index, recycled);
        }
        "null_deref_on_thread" => {
            let _thread = gpm_stack::init_thread();
            null_deref();
        }
        "null_deref_in_coroutine" => {
            let _thread = gpm_stack::init_thread();
            let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
            co.start(Box::new(|_| null_deref()));
            let _ = co.resume();
        }
        "thread_overflow" | "thread_overflow_with_init" => {
            gpm_stack::install_overflow_handler();
            let with_init = scenario.ends_with("with_init");
            std::thread::Builder::new()
                .name("overflower".into())
                .stack_size(256 * 1024)
                .spawn(move || {
                    let _guard = with_init.then(gpm_stack::init_thread);
                    black_box(recurse(0));
                })
                .unwrap()
                .join()
                .unwrap();
        }
        other => panic!("unknown scenario {other}"),
    }
    // The scenario must have killed us.
    std::process::exit(3);
}

/// The entry point of the child process; a no-op in the parent's run.
#[test]
fn child_entry() {
    if let Ok(scenario) = std::env::var(CHILD_ENV) {
        run_child(&scenario);
    }
}

/// Runs `scenario` in a child; returns (terminating signal, stderr).
fn run(scenario: &str) -> (Option<i32>, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .output()
        .unwrap();
    (out.status.signal(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn coroutine_overflow_names_the_goroutine_and_aborts() {
    let (signal, stderr) = run("coroutine_overflow");
    assert!(stderr.contains("goroutine 42 has overflowed its stack (64 KiB)"), "stderr: {stderr}");
    assert_eq!(signal, Some(libc::SIGABRT), "stderr: {stderr}");
}

#[test]
fn coroutine_overflow_is_detected_with_mprotect_guards_too() {
    let (signal, stderr) = run("coroutine_overflow_mprotect");
    assert!(stderr.contains("goroutine 42 has overflowed its stack (64 KiB)"), "stderr: {stderr}");
    assert_eq!(signal, Some(libc::SIGABRT), "stderr: {stderr}");
}

#[test]
fn overflow_is_detected_on_every_kind_of_pool_slot() {
    // First slot, last slot of the first chunk, first of the second, one inside the third,
    // and one that was recycled (memory released) before reuse.
    for scenario in ["0", "15", "16", "70", "300:recycled"] {
        let (signal, stderr) = run(&format!("pool_overflow:{scenario}"));
        assert!(
            stderr.contains("goroutine 42 has overflowed its stack (64 KiB)"),
            "slot {scenario}: stderr: {stderr}"
        );
        assert_eq!(signal, Some(libc::SIGABRT), "slot {scenario}: stderr: {stderr}");
    }
}

#[test]
fn overflow_after_migrating_is_reported_on_the_new_thread() {
    let (signal, stderr) = run("coroutine_overflow_after_migration");
    assert!(stderr.contains("goroutine 7 has overflowed its stack (64 KiB)"), "stderr: {stderr}");
    assert_eq!(signal, Some(libc::SIGABRT), "stderr: {stderr}");
}

#[test]
fn null_deref_outside_coroutines_is_a_plain_sigsegv() {
    let (signal, stderr) = run("null_deref_on_thread");
    assert_eq!(signal, Some(libc::SIGSEGV), "stderr: {stderr}");
    assert!(!stderr.contains("overflowed"), "stderr: {stderr}");
}

#[test]
fn null_deref_inside_a_coroutine_is_a_plain_sigsegv() {
    let (signal, stderr) = run("null_deref_in_coroutine");
    assert_eq!(signal, Some(libc::SIGSEGV), "stderr: {stderr}");
    assert!(!stderr.contains("overflowed"), "stderr: {stderr}");
}

#[test]
fn plain_thread_overflow_still_gets_rusts_message() {
    for scenario in ["thread_overflow", "thread_overflow_with_init"] {
        let (signal, stderr) = run(scenario);
        assert!(
            // Rust 1.95 writes "thread 'overflower' (TID) has overflowed its stack".
            stderr.contains("thread 'overflower'") && stderr.contains("has overflowed its stack"),
            "{scenario}: stderr: {stderr}"
        );
        assert!(!stderr.contains("goroutine"), "{scenario}: stderr: {stderr}");
        assert_eq!(signal, Some(libc::SIGABRT), "{scenario}: stderr: {stderr}");
    }
}

/// Sanity check of the scaffolding: a child that finishes a coroutine normally exits 0.
#[test]
fn child_without_a_scenario_succeeds() {
    let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
    co.start(Box::new(|_| {}));
    assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
}
