// The migrating default runtime needs the `unsafe` promise too.
#![forbid(unsafe_code)]

fn main() {
    gpm::init();
}
