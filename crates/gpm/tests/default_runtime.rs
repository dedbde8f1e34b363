//! The process-wide default runtime is started by the program, not by `gpm::go`: before
//! `init`, a free function that needs a runtime panics with a message that shows how to
//! start one; after it, they run there. One test: the steps depend on the process state.

#[test]
fn go_without_a_runtime_says_how_to_start_one_then_init_starts_it() {
    let caught = std::panic::catch_unwind(|| gpm::go(|| 1).join());
    let payload = caught.expect_err("gpm::go with no default runtime must panic");
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .expect("a message");
    for needle in ["unsafe { gpm::init() }", "gpm::init_single_thread()", "// SAFETY:"] {
        assert!(msg.contains(needle), "the message lacks {needle:?}: {msg}");
    }
    assert!(std::panic::catch_unwind(gpm::num_goroutines).is_err());

    let rt = gpm::init_single_thread();
    assert!(rt.is_single_thread());
    assert_eq!(gpm::go(|| 6 * 7).join().expect("join"), 42);
    // Either init returns the runtime already started.
    assert!(std::ptr::eq(gpm::init_single_thread(), rt));
    // SAFETY: no goroutine of this test holds a thread-local or a thread-bound value
    // across a park.
    assert!(std::ptr::eq(unsafe { gpm::init() }, rt));
    assert!(std::ptr::eq(gpm::default_runtime(), rt));
}
