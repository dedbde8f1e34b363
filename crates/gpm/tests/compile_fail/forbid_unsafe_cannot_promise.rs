// Under `forbid(unsafe_code)` the promise cannot be made at all.
#![forbid(unsafe_code)]

fn main() {
    let _rt = unsafe { gpm::Runtime::builder().build() };
}
