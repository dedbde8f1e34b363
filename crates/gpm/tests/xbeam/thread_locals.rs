//! crossbeam-channel's `tests/thread_locals.rs`, ported whole: 1 test, 1 ported, on plain
//! threads only. It is about a thread's exit (a blocking `select!` in a thread-local's
//! destructor, after the channel's own thread-locals are gone); a goroutine runs no
//! thread-local destructors, and the migration contract bars thread-locals held across its
//! blocking calls, so there is no goroutine version. `ms` is crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`.
//!
//! It once aborted the process whenever the worker's `recv` parked (so gpm-sched's
//! thread-local waiter was made after `FOO` and destroyed before it); a thread whose waiter
//! is gone now parks on a late one (`park/mod.rs`, `late_waiter`). The test repeats the
//! exit a few times, since the abort depended on the `recv` parking.
//!
//! crossbeam's own header follows.
//!
//! Tests that make sure accessing thread-locals while exiting the thread doesn't cause panics.

use crate::chan_support;

use chan_support::scope::ms;
use gpm::chan::unbounded;
use std::thread;

#[test]
fn use_while_exiting() {
    for _ in 0..5 {
        use_while_exiting_once();
    }
}

fn use_while_exiting_once() {
    struct Foo;

    impl Drop for Foo {
        fn drop(&mut self) {
            // A blocking operation after the thread-locals have been dropped. This will attempt to
            // use the thread-locals and must not panic.
            let (_s, r) = unbounded::<()>();
            gpm::select! {
                recv(r) -> _ => {}
                default(ms(100)) => {}
            }
            // And a wait that is woken (not only timed out): a late waiter must be the same
            // parker for the registration and the park.
            let (s2, r2) = unbounded::<()>();
            let waker = std::thread::spawn(move || {
                std::thread::sleep(ms(50));
                s2.send(()).unwrap();
            });
            assert_eq!(r2.recv(), Ok(()));
            waker.join().unwrap();
        }
    }

    thread_local! {
        static FOO: Foo = const { Foo };
    }

    let (s, r) = unbounded::<()>();

    chan_support::deadline(60, move || {
        thread::scope(|scope| {
            scope.spawn(|| {
                // First initialize `FOO`, then the thread-locals related to the channel.
                FOO.with(|_| ());
                r.recv().unwrap();
                // At thread exit, thread-locals related to the channel get dropped first and
                // `FOO` is dropped last.
            });

            scope.spawn(|| {
                thread::sleep(ms(100));
                s.send(()).unwrap();
            });
        });
    });
}
