//! [`JoinHandle`]: waiting for a goroutine and taking its result, detaching it on drop,
//! and aborting it (`abort.rs`); the free protocol it follows with the goroutine is
//! `joinstate.rs`, the packet they share is in `spawn/mod.rs`.

use super::*;

/// An owned permission to join a goroutine (wait for it and take its result), returned by
/// [`go`](crate::go), [`Builder::go`](crate::Builder::go) and
/// [`Runtime::go`](crate::Runtime::go). Dropping it detaches the goroutine, which runs on.
/// `Send + Sync`: any goroutine or thread may join it.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let ok = gpm::go(|| "fine");
///     let bad = gpm::go(|| -> u32 { panic!("broken") }); // its panic is printed on stderr
///     assert_eq!(ok.join().unwrap(), "fine");
///     let payload = bad.join().unwrap_err();
///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"broken"));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinHandle<T> {
    /// One word: the task's packet, which the free protocol lets the handle read until it
    /// joins or drops.
    pub(super) packet: NonNull<Packet<T>>,
}

// SAFETY: the handle reads the packet's atomics and immutable fields, and takes the result
// (a `T: Send`) on the joining thread; the goroutine side synchronises through `state`.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads `state` and `id`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    #[inline(always)]
    fn packet(&self) -> &Packet<T> {
        // SAFETY: the free protocol keeps the task alive while its handle exists.
        unsafe { self.packet.as_ref() }
    }

    /// Waits for the goroutine to finish: `Ok(value)`, or `Err(payload)` if it panicked
    /// (or `Err(Cancelled)` if its runtime was dropped first). From a goroutine this parks
    /// the goroutine; from a plain thread it blocks the thread.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// let h = rt.go(|| (1..=10u32).product::<u32>());
    /// assert_eq!(h.join().unwrap(), 3_628_800); // from this plain thread
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[inline]
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        let r = self.join_unless(|| false);
        r.expect("JoinHandle::join: gave up without a reason")
    }

    /// `join`, giving up (`None`: the goroutine is detached) when `give_up` says so after a
    /// wake-up: `block_on` with deadlock detection (`deadlock.rs`), woken by the report.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn join_unless(self, give_up: impl Fn() -> bool) -> Option<std::thread::Result<T>> {
        // The handle's drop (detach) must not run: the guard below frees instead.
        let this = ManuallyDrop::new(self);
        let packet = this.packet;
        let p = this.packet();
        let me = crate::park::current();
        if !p.state.is_done() {
            let waiter = match me.goroutine() {
                Some(g) if std::ptr::eq(crate::park::sched_of(g), p.sched) => {
                    Waiter::Local { g, generation: g.park.generation() }
                }
                _ => Waiter::Remote(me.unparker()),
            };
            // SAFETY: only the joiner writes `waiter`, before publishing it with `WAITING`.
            unsafe { *p.waiter.get() = waiter };
            if p.state.wait() {
                let guard = Joining(packet);
                while !p.state.is_released() {
                    if give_up() {
                        // As a joiner unwinding out of its park: `Joining` detaches.
                        return None;
                    }
                    me.park_deadline(WaitReason::Join, None);
                }
                std::mem::forget(guard);
            }
        }
        // SAFETY: `DONE` or `RELEASED` was seen (Acquire): the finisher wrote `result`
        // and is done with the task, which is ours now.
        let r = unsafe { (*p.result.get()).take() };
        // SAFETY: as above; nothing of the task is used after, and its result is taken.
        unsafe { Packet::free_joined(packet, me.goroutine()) };
        Some(r.expect("JoinHandle::join: result taken twice"))
    }

    /// Whether the goroutine has finished (its result is ready): a [`join`](Self::join)
    /// would not wait.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let go_on = Arc::new(AtomicBool::new(false));
    ///     let g = go_on.clone();
    ///     let h = gpm::go(move || {
    ///         while !g.load(Ordering::Acquire) {
    ///             gpm::yield_now();
    ///         }
    ///         3
    ///     });
    ///     assert!(!h.is_finished()); // it waits for `go_on`
    ///     go_on.store(true, Ordering::Release);
    ///     while !h.is_finished() {
    ///         gpm::yield_now();
    ///     }
    ///     assert_eq!(h.join().unwrap(), 3);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.packet().state.is_done()
    }

    /// The goroutine's id: unique among the live goroutines of its runtime, as in
    /// [`Runtime::dump`](crate::Runtime::dump) and panic messages.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let (a, b) = (gpm::go(|| ()), gpm::go(|| ()));
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.packet().id
    }

    /// The goroutine's name, if it was given one ([`Builder::name`](crate::Builder::name)).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let h = gpm::Builder::new().name("worker-1").go(|| 7).unwrap();
    ///     assert_eq!(h.name(), Some("worker-1"));
    ///     assert_eq!(gpm::go(|| 7).name(), None);
    ///     assert_eq!(h.join().unwrap(), 7);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.packet().name.as_deref().map(|name| &**name)
    }

    /// Cancels the goroutine (tokio's `JoinHandle::abort`): it unwinds from its next
    /// scheduling point — a park (a channel operation, a lock, `sleep`, `join`, `select!`)
    /// or a yield — running its destructors, and its [`join`](JoinHandle::join) returns
    /// `Err` holding [`Cancelled`] (whose [`is_aborted`](Cancelled::is_aborted) is true). A
    /// parked goroutine is woken for it; one that has not run yet never runs; one that has
    /// finished is not affected (its join returns its result). Returns at once, without
    /// waiting for the unwind.
    ///
    /// Limits: a goroutine computing without a scheduling point is cancelled only when it
    /// reaches one; code that catches the unwind (`catch_unwind`) and carries on is no
    /// longer cancelled; a wait that cannot be undone holds the cancellation until it is
    /// over (`gpm::scope`'s wait for its goroutines, `RwLock`'s waits, a
    /// [`CancelShield`](crate::CancelShield)). A value a channel handed to the goroutine as
    /// it was cancelled is dropped with it.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let h = gpm::go(|| loop {
    ///         gpm::sleep(std::time::Duration::from_millis(1));
    ///     });
    ///     gpm::sleep(std::time::Duration::from_millis(5));
    ///     h.abort();
    ///     assert!(h.join().unwrap_err().is::<gpm::Cancelled>());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        let p = self.packet();
        if !p.state.pin() {
            return; // finished (or another thread is cancelling it right now)
        }
        // SAFETY: pinned: the goroutine has not finished, so its G is in this task's life
        // and its runtime (`p.sched`) is alive until the unpin or the ack (`abort.rs`).
        unsafe { crate::abort::request(&*p.sched, p.g) };
        if !p.state.unpin() {
            // SAFETY: as above; the finishing goroutine waits for this.
            unsafe { crate::abort::ack(p.g) };
        }
    }

    /// [`abort`](JoinHandle::abort), by the name Go and gpm's design use.
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// let rt = gpm::Runtime::single_thread()?;
    /// rt.block_on(|| {
    ///     let h = gpm::go(|| gpm::sleep(std::time::Duration::from_secs(3600)));
    ///     h.cancel();
    ///     assert!(h.join().unwrap_err().is::<gpm::Cancelled>());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cancel(&self) {
        self.abort();
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if !self.packet().state.detach() {
            // SAFETY: `DONE` (the handle never set `WAITING`): the goroutine is done with
            // the task and left it to us.
            unsafe { Packet::free(self.packet) };
        }
    }
}

/// A joiner unwinding out of its park (its own runtime is being dropped) while `WAITING`:
/// detach, or, if the goroutine already finished, wait for its `RELEASED` and free.
struct Joining<T>(NonNull<Packet<T>>);

impl<T> Drop for Joining<T> {
    fn drop(&mut self) {
        // SAFETY: the task is alive: the joiner has not freed it and the goroutine frees
        // it only after `DETACHED`.
        if unsafe { self.0.as_ref() }.state.abandon() {
            return;
        }
        // SAFETY: `RELEASED`: the task is ours.
        unsafe { Packet::free(self.0) };
    }
}
