//! park / unpark: the one blocking primitive every façade type (channels, sync, join, sleep)
//! is built on. Permit-based, as `std::thread::park`: an `unpark` that comes before the
//! `park` is not lost, and several unparks leave one permit.
//!
//! Contract (kept when goroutines land):
//! - In a goroutine, `park*` switches the G away (status waiting, with its `WaitReason`) and
//!   `Unparker::unpark` readies it (Go's `goready`: into the current P's `runnext` when the
//!   waker is itself a goroutine, else the global queue plus a wakeup).
//! - On a plain thread, `park*` blocks the thread and `unpark` wakes it.
//! - `park*` returns only when the permit was consumed (`true`) or the deadline passed
//!   (`false`); it never returns spuriously.
//!
//! Today only the plain-thread half exists: the scheduler replaces `Unparker`'s insides,
//! not its API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a goroutine is parked: shown by `Runtime::dump()` (Go's `waitReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitReason {
    /// A plain `park` with no more specific reason.
    Park,
    /// Receiving from a channel.
    ChanReceive,
    /// Sending on a channel.
    ChanSend,
    /// Blocked in `select!`.
    Select,
    /// Sleeping.
    Sleep,
    /// Waiting for another goroutine to finish (`JoinHandle::join`).
    Join,
    /// `Mutex::lock`.
    SyncMutexLock,
    /// `RwLock::read`.
    SyncRwLockRead,
    /// `RwLock::write`.
    SyncRwLockWrite,
    /// `Condvar::wait`.
    SyncCondWait,
    /// `WaitGroup::wait`.
    SyncWaitGroupWait,
    /// `Semaphore::acquire`.
    SemAcquire,
}

impl WaitReason {
    /// Go's spelling of the reason, as in a goroutine dump (`chan receive`, `sleep`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::Park => "park",
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::Sleep => "sleep",
            WaitReason::Join => "join",
            WaitReason::SyncMutexLock => "sync.Mutex.Lock",
            WaitReason::SyncRwLockRead => "sync.RWMutex.RLock",
            WaitReason::SyncRwLockWrite => "sync.RWMutex.Lock",
            WaitReason::SyncCondWait => "sync.Cond.Wait",
            WaitReason::SyncWaitGroupWait => "sync.WaitGroup.Wait",
            WaitReason::SemAcquire => "semacquire",
        }
    }
}

/// Wakes one parked goroutine or thread. `Clone + Send + Sync`; cheap to clone.
#[derive(Clone, Debug)]
pub struct Unparker {
    inner: Arc<ThreadWaiter>,
}

#[derive(Debug)]
struct ThreadWaiter {
    thread: std::thread::Thread,
    /// The permit. Release in `unpark`; pairs with the Acquire swap in `park_deadline`.
    permit: AtomicBool,
}

impl Unparker {
    /// Makes the permit available and wakes the owner if it is parked.
    pub fn unpark(&self) {
        self.inner.permit.store(true, Ordering::Release);
        self.inner.thread.unpark();
    }

    /// Whether `self` and `other` wake the same goroutine or thread.
    pub fn same_as(&self, other: &Unparker) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The `Unparker` of the calling goroutine or thread. Every call from the same context
/// returns a handle to the same permit.
pub fn unparker() -> Unparker {
    thread_waiter()
}

/// Parks until unparked (consuming the permit).
pub fn park(reason: WaitReason) {
    while !park_deadline(reason, None) {}
}

/// Parks until unparked (`true`) or until `timeout` has passed (`false`).
pub fn park_timeout(reason: WaitReason, timeout: Duration) -> bool {
    park_deadline(reason, Instant::now().checked_add(timeout))
}

/// Parks until unparked (`true`) or until `deadline` (`false`); `None` waits forever.
pub fn park_deadline(_reason: WaitReason, deadline: Option<Instant>) -> bool {
    let me = thread_waiter();
    loop {
        // Acquire; pairs with the Release store in `unpark`.
        if me.inner.permit.swap(false, Ordering::Acquire) {
            return true;
        }
        match deadline {
            None => std::thread::park(),
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return false;
                }
                std::thread::park_timeout(d - now);
            }
        }
    }
}

/// A scheduling point for operations that did not block: yields if the running goroutine's
/// time slice is used up (its preempt flag is set). A no-op on a plain thread.
pub fn preempt_point() {}

fn thread_waiter() -> Unparker {
    thread_local! {
        static WAITER: Unparker = Unparker {
            inner: Arc::new(ThreadWaiter {
                thread: std::thread::current(),
                permit: AtomicBool::new(false),
            }),
        };
    }
    WAITER.with(Unparker::clone)
}
