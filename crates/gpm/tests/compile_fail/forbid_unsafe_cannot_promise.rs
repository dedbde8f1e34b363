// Under `forbid(unsafe_code)` the promise cannot be made at all.
#![forbid(unsafe_code)]

fn main() {
    // SAFETY: none can be given: the crate forbids `unsafe`, and this does not compile.
    let _rt = unsafe { gpm::Runtime::builder().build() };
}
