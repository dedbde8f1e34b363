//! The smallest tour of gpm: an explicit `Runtime` and `block_on`, goroutines sending on
//! an unbuffered channel, a single-thread runtime (no promise to make), `gpm::go` on the
//! process-wide default runtime (like Go's, started once by the program), and a
//! goroutine's panic coming back from `join` as an `Err`.
//!
//! Run: `cargo run --release -p gpm --example quickstart`
//! (`GPM_MAXPROCS=N` sizes the default runtime, as `GOMAXPROCS` does in Go)

fn main() -> std::io::Result<()> {
    // 1. An explicit runtime with 4 Ps (logical processors). Its goroutines move between
    // threads, which Rust cannot check: creating it is the one `unsafe` step, and the
    // promise is in the crate docs ("Soundness").
    // SAFETY: the goroutines of this program hold no thread-local and no thread-bound
    // value (std lock guard, `Rc` from a thread-local, `StdoutLock`) across a park.
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

    // 2. A single-thread runtime: every goroutine runs on its one thread, so thread-locals
    // behave as usual there, and no promise is needed.
    thread_local! { static SEEN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) }; }
    let local = gpm::Runtime::single_thread()?;
    let seen = local.block_on(|| {
        let hs: Vec<_> = (0..10).map(|_| gpm::go(|| SEEN.with(|s| s.set(s.get() + 1)))).collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        SEEN.with(|s| s.get())
    });
    println!("10 goroutines of a single-thread runtime bumped one thread-local: {seen}");
    assert_eq!(seen, 10);

    // 3. The default runtime, started once: then `gpm::go` works from any plain thread.
    // SAFETY: as for `rt` above, for every goroutine of this program.
    unsafe { gpm::init() };
    let handles: Vec<_> = (1..=10u64).map(|i| gpm::go(move || i * i)).collect();
    let squares: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!(
        "sum of squares on the default runtime ({} procs): {squares}",
        gpm::default_runtime().procs()
    );
    assert_eq!(squares, 385);

    // 4. A panic stays in its goroutine; `join` returns it as an `Err`, as std threads do.
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
