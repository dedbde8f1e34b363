// A migrating runtime cannot be made without the `unsafe` promise.
#![forbid(unsafe_code)]

fn main() {
    let _rt = gpm::Runtime::builder().procs(2).build();
}
