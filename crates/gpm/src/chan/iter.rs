//! The receiver's iterators: blocking (`iter`, `for msg in &rx`, `for msg in rx`) and
//! non-blocking (`try_iter`).

use super::receiver::Receiver;

/// A blocking iterator over a [`Receiver`]'s messages, made by [`Receiver::iter`] or
/// `for msg in &rx`: each `next` is a [`recv`](Receiver::recv), and the iterator ends when
/// the channel is closed and drained.
///
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// let words = rt.block_on(|| {
///     let (tx, rx) = gpm::chan::bounded(0);
///     gpm::go(move || {
///         for w in ["go", "gpm"] {
///             tx.send(w).unwrap();
///         }
///     }); // tx dropped here: the loop below ends
///     let mut words = Vec::new();
///     for w in &rx {
///         words.push(w);
///     }
///     words
/// });
/// assert_eq!(words, ["go", "gpm"]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    pub(super) rx: &'a Receiver<T>,
}

/// A non-blocking iterator over the messages there now, made by [`Receiver::try_iter`]:
/// each `next` is a [`try_recv`](Receiver::try_recv), and the iterator ends at the first
/// empty channel.
///
/// ```
/// let (tx, rx) = gpm::chan::bounded(4);
/// tx.send(1).unwrap();
/// tx.send(2).unwrap();
/// let mut it = rx.try_iter();
/// assert_eq!((it.next(), it.next(), it.next()), (Some(1), Some(2), None));
/// ```
#[derive(Debug)]
pub struct TryIter<'a, T> {
    pub(super) rx: &'a Receiver<T>,
}

/// An owning blocking iterator, made by `for msg in rx` (`IntoIterator` for
/// [`Receiver`]): as [`Iter`], but it takes the receiver along, so it can be returned or
/// moved into a goroutine.
///
/// ```
/// let (tx, rx) = gpm::chan::unbounded();
/// let evens = std::thread::spawn(move || rx.into_iter().filter(|n| n % 2 == 0).count());
/// for n in 0..10 {
///     tx.send(n).unwrap();
/// }
/// drop(tx);
/// assert_eq!(evens.join().unwrap(), 5);
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
