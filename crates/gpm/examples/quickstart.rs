//! The smallest tour of gpm: an explicit `Runtime` and `block_on`, goroutines sending on
//! an unbuffered channel, `gpm::go` with no runtime in sight (the process-wide default
//! runtime, like Go's), and a goroutine's panic coming back from `join` as an `Err`.
//!
//! Run: `cargo run --release -p gpm --example quickstart`
//! (`GPM_MAXPROCS=N` sizes the default runtime, as `GOMAXPROCS` does in Go)

fn main() -> std::io::Result<()> {
    // 1. An explicit runtime with 4 Ps (logical processors).
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(4).build() }?;
    let total = rt.block_on(|| {
        let (tx, rx) = gpm::chan::bounded(0); // unbuffered, like make(chan int)
        for i in 0..1000u64 {
            let tx = tx.clone();
            gpm::go(move || tx.send(i).unwrap());
        }
        drop(tx); // the last Sender goes with the last goroutine: then `iter` ends
        rx.iter().sum::<u64>()
    });
    println!("sum over 1000 goroutines: {total}");
    assert_eq!(total, 999 * 1000 / 2);

    // 2. No runtime: `gpm::go` from a plain thread starts the default one on first use.
    let handles: Vec<_> = (1..=10u64).map(|i| gpm::go(move || i * i)).collect();
    let squares: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!(
        "sum of squares on the default runtime ({} procs): {squares}",
        gpm::default_runtime().procs()
    );
    assert_eq!(squares, 385);

    // 3. A panic stays in its goroutine; `join` returns it as an `Err`, as std threads do.
    // (A quieter panic hook for this demo: the default one prints the message and a
    // backtrace hint on stderr, which is noise here.)
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| eprintln!("[expected panic] {info}")));
    let h = gpm::go(|| -> u32 { panic!("this goroutine fails on purpose") });
    let err = h.join().expect_err("the goroutine panicked");
    std::panic::set_hook(default_hook);
    let msg = err.downcast_ref::<&str>().copied().unwrap_or("?");
    println!("the panicking goroutine's join returned Err({msg:?})");
    assert_eq!(msg, "this goroutine fails on purpose");
    Ok(())
}
