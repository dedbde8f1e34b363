//! `WaitReason`: why a goroutine is parked, as a dump shows it (Go's `waitReason`), and
//! its one-byte encoding in the G.

/// Why a goroutine is parked: shown by [`Runtime::dump`](crate::Runtime::dump) (Go's
/// `waitReason`). A primitive of your own parks with [`Park`](WaitReason::Park), or with
/// the reason of the gpm type it resembles.
///
/// ```
/// # use gpm_sched as gpm; // the façade re-exports these items
/// use gpm::park::{WaitReason, park};
/// let rt = gpm::Runtime::single_thread()?;
/// let h = rt.go(|| park(WaitReason::Park)); // waits until unparked (or cancelled)
/// let mut tries = 0;
/// while !rt.dump().contains("[park") {
///     tries += 1;
///     assert!(tries < 5000, "never parked:\n{}", rt.dump());
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// h.cancel();
/// assert!(h.join().is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
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
    /// `blocking` on a single-thread runtime: the call runs on a helper thread.
    Blocking,
    /// Waiting for an fd to be readable or writable (the netpoller; Go's `IO wait`).
    IoWait,
}

impl WaitReason {
    /// Every reason, at the index of its byte (checked at compile time below).
    const ALL: [WaitReason; 14] = {
        use WaitReason::*;
        [
            Park,
            ChanReceive,
            ChanSend,
            Select,
            Sleep,
            Join,
            SyncMutexLock,
            SyncRwLockRead,
            SyncRwLockWrite,
            SyncCondWait,
            SyncWaitGroupWait,
            SemAcquire,
            Blocking,
            IoWait,
        ]
    };

    /// The reason whose `as u8` is `v`. `G::wait_reason` holds only bytes written as
    /// `reason as u8` (`park_switch`), so any other byte is a bug: panics naming it.
    pub(crate) fn from_u8(v: u8) -> WaitReason {
        match Self::ALL.get(v as usize) {
            Some(&r) => r,
            None => panic!("WaitReason::from_u8: not a WaitReason byte; value = {v}"),
        }
    }

    /// Go's spelling of the reason, as in a goroutine dump (`chan receive`, `sleep`, ...).
    ///
    /// ```
    /// # use gpm_sched as gpm; // the façade re-exports these items
    /// assert_eq!(gpm::park::WaitReason::SyncMutexLock.as_str(), "sync.Mutex.Lock");
    /// ```
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
            WaitReason::Blocking => "blocking call",
            WaitReason::IoWait => "IO wait",
        }
    }
}

// `WaitReason::ALL[i] as u8 == i`, so `from_u8(r as u8) == r` for every reason listed. A
// reason left out of `ALL` is not silent either: `from_u8` panics on its byte.
const _: () = {
    let mut i = 0;
    while i < WaitReason::ALL.len() {
        assert!(WaitReason::ALL[i] as usize == i, "WaitReason::ALL: out of byte order");
        i += 1;
    }
    assert!(WaitReason::ALL.len() == WaitReason::IoWait as usize + 1, "WaitReason::ALL: short");
};
