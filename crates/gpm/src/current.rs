//! `gpm::current()`: who is running — the goroutine's id and name, in the shape of std's
//! `thread::current()`.

/// The goroutine (or plain thread) that called [`current`].
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let h = gpm::Builder::new().name("fetcher").go(gpm::current).unwrap();
///     let id = h.id();
///     let me = h.join().unwrap();
///     assert_eq!((me.id(), me.name()), (id, Some("fetcher")));
///     assert!(me.is_goroutine());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Goroutine {
    id: u64,
    name: Option<String>,
    goroutine: bool,
}

impl Goroutine {
    /// The goroutine's id (Go's `goid`; ids start at 1), or `0` on a plain thread.
    ///
    /// ```
    /// assert_eq!(gpm::current().id(), 0); // a plain thread
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The goroutine's name ([`Builder::name`](crate::Builder::name)), or on a plain thread
    /// the thread's name (`"main"` for the main thread; `None` if unnamed).
    ///
    /// ```
    /// let name = std::thread::Builder::new()
    ///     .name("io".into())
    ///     .spawn(|| gpm::current().name().map(String::from))
    ///     .unwrap()
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(name.as_deref(), Some("io"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether the caller of [`current`] was a goroutine (not a plain thread).
    ///
    /// ```
    /// assert!(!gpm::current().is_goroutine());
    /// let rt = gpm::Runtime::single_thread()?;
    /// assert!(rt.block_on(|| gpm::current().is_goroutine()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_goroutine(&self) -> bool {
        self.goroutine
    }
}

/// The running goroutine: its id and name (std's `thread::current()` for goroutines). On
/// a plain thread (no goroutine runs there) it says so: id `0`,
/// [`is_goroutine`](Goroutine::is_goroutine) false, and the thread's name.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let id = rt.block_on(|| gpm::current().id());
/// assert!(id > 0);
/// assert_eq!(gpm::current().id(), 0);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn current() -> Goroutine {
    match gpm_sched::current_goroutine() {
        Some((id, name)) => Goroutine { id, name, goroutine: true },
        None => Goroutine {
            id: 0,
            name: std::thread::current().name().map(String::from),
            goroutine: false,
        },
    }
}
