// A single-thread runtime, and the single-thread default runtime, need no promise.
#![forbid(unsafe_code)]

fn main() {
    let rt = gpm::Runtime::builder().name("safe").build_single_thread().expect("runtime");
    assert_eq!(rt.block_on(|| gpm::go(|| 2 + 2).join().expect("join")), 4);
    let rt = gpm::Runtime::single_thread().expect("runtime");
    assert_eq!(rt.block_on(|| 5), 5);
    gpm::init_single_thread();
    assert_eq!(gpm::go(|| 6).join().expect("join"), 6);
}
