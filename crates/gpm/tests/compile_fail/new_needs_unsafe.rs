// `Runtime::new` makes a migrating runtime: it needs the `unsafe` promise too.
#![forbid(unsafe_code)]

fn main() {
    let _rt = gpm::Runtime::new();
}
