//! What the types allow without `unsafe`: a `#![forbid(unsafe_code)]` program cannot move a
//! `Coroutine` to another thread (`compile_fail/`), and can move an idle one as an
//! `IdleCoroutine` (`pass/`). The expected compiler output is checked in beside each case;
//! regenerate it with `TRYBUILD=overwrite` after a toolchain change.

#[test]
fn coroutines_change_threads_only_through_their_send_forms() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
    t.pass("tests/pass/*.rs");
}
