//! Without `unsafe`, an idle coroutine (no job loaded or suspended) moves between threads:
//! a pool of warm coroutines shared by threads.
#![forbid(unsafe_code)]

use std::sync::mpsc;

use gpm_stack::{Coroutine, IdleCoroutine, Resumed, Stack};

fn main() {
    let (tx, rx) = mpsc::channel::<IdleCoroutine>();
    let worker = std::thread::spawn(move || {
        let mut ran = 0;
        for idle in rx {
            let mut co: Coroutine = idle.into_inner();
            co.start(Box::new(|s| s.suspend()));
            assert!(matches!(co.resume(), Resumed::Suspended));
            assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
            ran += 1;
            drop(co.into_idle().expect("idle after its job"));
        }
        ran
    });
    let mut co = Coroutine::new(Stack::new(64 * 1024).unwrap());
    co.start(Box::new(|_| {}));
    assert!(matches!(co.resume(), Resumed::Finished(Ok(()))));
    tx.send(co.into_idle().expect("idle after its job")).unwrap();
    tx.send(IdleCoroutine::new(Stack::new(64 * 1024).unwrap())).unwrap();
    drop(tx);
    assert_eq!(worker.join().unwrap(), 2);
}
