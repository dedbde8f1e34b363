//! What the type system enforces about soundness, checked by compiling small programs: a
//! `#![forbid(unsafe_code)]` program cannot create a runtime whose goroutines migrate (the
//! builder's `build`, `Runtime::new` and `gpm::init` are `unsafe fn`s), and can create and
//! use a single-thread one; a `select!` with more than 32 arms fails with a message naming
//! `Select`. The expected compiler output is in `compile_fail/*.stderr`
//! (regenerate with `TRYBUILD=overwrite` after a toolchain change).

#[test]
fn migrating_runtimes_need_the_unsafe_promise() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
    t.pass("tests/compile_pass/*.rs");
}
