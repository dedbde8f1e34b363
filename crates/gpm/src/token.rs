//! `CancellationToken`: a cancellation signal shared by many goroutines, with children (Go's
//! `context.WithCancel`, tokio-util's `CancellationToken`).
//!
//! A token is a node in a tree. `cancel` marks the node and its whole subtree cancelled
//! (down, never up), closes the node's done channel, and forgets its children. Each node
//! keeps its children alive (a child whose tokens are all dropped may still have children
//! of its own to reach) — one nobody else holds and with no children of its own is pruned
//! when the next child is added — and the `Sender` of its done channel: cancelling drops that sender,
//! so every `Receiver` handed out by [`CancellationToken::cancelled`] sees the channel
//! disconnected — the `recv` arm of a `select!` fires, as a read from Go's closed
//! `ctx.Done()` does.
//!
//! The flag is set under the node's lock, which `child_token` also takes, so a child made
//! while its parent is being cancelled is either in the list the cancel walks or born
//! cancelled. Senders are dropped and children cancelled after the lock is released (a
//! chain of nodes is cancelled one lock at a time, iteratively, never recursively).
//!
//! Rejected: a `Notify`-style waiter list of its own — a channel gives `select!` support for
//! free, and its waits already park goroutines and block threads.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex, PoisonError};

use crate::chan::{self, Receiver, Sender};

/// A cancellation signal: [`cancel`](CancellationToken::cancel) it once, and every clone
/// and child sees [`is_cancelled`](CancellationToken::is_cancelled), and every receiver
/// from [`cancelled`](CancellationToken::cancelled) is disconnected. Clones share the
/// token; [`child_token`](CancellationToken::child_token) makes one that is cancelled with
/// its parent but can be cancelled alone.
///
/// ```
/// use gpm::CancellationToken;
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let token = CancellationToken::new();
///     let (tx, rx) = gpm::chan::bounded::<u32>(0);
///     let t = token.clone();
///     let worker = gpm::go(move || {
///         let done = t.cancelled();
///         let mut sum = 0;
///         loop {
///             gpm::select! {
///                 recv(rx) -> v => sum += v.unwrap(),
///                 recv(done) -> _ => return sum, // cancelled
///             }
///         }
///     });
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     token.cancel();
///     assert_eq!(worker.join().unwrap(), 3);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    /// Set under `inner`'s lock; read without it (Acquire; pairs with the Release store).
    cancelled: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    children: Vec<Arc<Node>>,
    /// The done channel, made on the first `cancelled()`; its sender is dropped by `cancel`.
    done: Option<(Sender<()>, Receiver<()>)>,
    /// Functions `cancel` runs (after the lock is released), by key (`on_cancel`).
    hooks: Vec<(u64, Hook)>,
    next_hook: u64,
}

/// What `on_cancel` runs.
type Hook = Box<dyn FnOnce() + Send>;

impl Node {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    ///
    /// ```
    /// assert!(!gpm::CancellationToken::new().is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node { cancelled: AtomicBool::new(false), inner: Mutex::default() }),
        }
    }

    /// Cancels this token and every token below it (children, their children, ...); its
    /// parent is not affected. Idempotent; never blocks.
    ///
    /// ```
    /// let parent = gpm::CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(child.is_cancelled() && !parent.is_cancelled()); // not up
    /// let child2 = parent.child_token();
    /// parent.cancel();
    /// assert!(child2.is_cancelled()); // down
    /// ```
    pub fn cancel(&self) {
        let mut todo = vec![self.node.clone()];
        while let Some(node) = todo.pop() {
            let (done, children, hooks) = {
                let mut inner = node.lock();
                if node.cancelled.load(Relaxed) {
                    continue;
                }
                // Release; pairs with the Acquire in `is_cancelled`.
                node.cancelled.store(true, Release);
                let hooks = std::mem::take(&mut inner.hooks);
                (inner.done.take(), std::mem::take(&mut inner.children), hooks)
            };
            drop(done); // disconnects every receiver handed out
            hooks.into_iter().for_each(|(_, hook)| hook());
            todo.extend(children);
        }
    }

    /// Whether this token (or an ancestor, which cancels it) has been cancelled.
    ///
    /// ```
    /// let t = gpm::CancellationToken::new();
    /// let clone = t.clone();
    /// t.cancel();
    /// assert!(clone.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.cancelled.load(Acquire)
    }

    /// A receiver that becomes disconnected when the token is cancelled (never receives a
    /// value): `recv` on it waits for the cancellation, and in a `select!` its arm
    /// `recv(token.cancelled()) -> _` fires then, as Go's `<-ctx.Done()`. Already
    /// disconnected if the token is cancelled.
    ///
    /// ```
    /// let t = gpm::CancellationToken::new();
    /// let done = t.cancelled();
    /// assert!(done.try_recv().is_err_and(|e| e.is_empty()));
    /// t.cancel();
    /// assert!(done.recv().is_err()); // disconnected: cancelled
    /// ```
    pub fn cancelled(&self) -> Receiver<()> {
        let mut inner = self.node.lock();
        if self.node.cancelled.load(Relaxed) {
            drop(inner);
            return chan::bounded::<()>(0).1; // its sender is gone: disconnected
        }
        inner.done.get_or_insert_with(|| chan::bounded(0)).1.clone()
    }

    /// Waits until the token is cancelled (parks a goroutine, blocks a thread).
    ///
    /// ```
    /// let t = gpm::CancellationToken::new();
    /// let t2 = t.clone();
    /// std::thread::spawn(move || t2.cancel());
    /// t.wait();
    /// assert!(t.is_cancelled());
    /// ```
    pub fn wait(&self) {
        let _ = self.cancelled().recv();
    }

    /// A new token cancelled when this one is (at once if it already is), which can also
    /// be cancelled alone.
    ///
    /// ```
    /// let root = gpm::CancellationToken::new();
    /// let leaf = root.child_token().child_token();
    /// root.cancel();
    /// assert!(leaf.is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let child = CancellationToken::new();
        let mut inner = self.node.lock();
        if self.node.cancelled.load(Relaxed) {
            drop(inner);
            child.cancel();
            return child;
        }
        // Lock order: parent, then child (`cancel` holds one lock at a time).
        inner.children.retain(|c| Arc::strong_count(c) > 1 || !c.lock().children.is_empty());
        inner.children.push(child.node.clone());
        child
    }

    /// A guard that cancels the token when dropped (tokio-util's `drop_guard`): ties the
    /// token to a scope, including an unwinding one.
    ///
    /// ```
    /// let t = gpm::CancellationToken::new();
    /// {
    ///     let _guard = t.clone().drop_guard();
    /// }
    /// assert!(t.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }
}

impl CancellationToken {
    /// Has `cancel` run `hook` (on the cancelling caller, after the flag is set and no
    /// lock of the token is held); the key takes it back (`remove_on_cancel`). `None`, with
    /// `hook` dropped unrun, if the token is already cancelled: the caller sees that as
    /// the cancellation itself. For waits that cannot be a `select!` arm (`gpm::pool`'s
    /// submitters on a condition variable).
    pub(crate) fn on_cancel(&self, hook: Hook) -> Option<u64> {
        let mut inner = self.node.lock();
        if self.node.cancelled.load(Relaxed) {
            return None;
        }
        let key = inner.next_hook;
        inner.next_hook += 1;
        inner.hooks.push((key, hook));
        Some(key)
    }

    /// Takes back the hook `on_cancel` returned `key` for, if it has not run.
    pub(crate) fn remove_on_cancel(&self, key: u64) {
        let hook = {
            let mut inner = self.node.lock();
            let at = inner.hooks.iter().position(|(k, _)| *k == key);
            at.map(|at| inner.hooks.swap_remove(at).1)
        };
        drop(hook); // outside the lock: it may own anything
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl std::fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellationToken").field("cancelled", &self.is_cancelled()).finish()
    }
}

/// Cancels its token when dropped; see [`CancellationToken::drop_guard`].
///
/// ```
/// let t = gpm::CancellationToken::new();
/// let guard = t.clone().drop_guard();
/// let t2 = guard.disarm(); // keeps the token uncancelled
/// assert!(!t2.is_cancelled());
/// ```
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    ///
    /// ```
    /// let token = gpm::CancellationToken::new();
    /// let guard = token.clone().drop_guard();
    /// // ... work that cancels the token if it unwinds early ...
    /// let back = guard.disarm();
    /// assert!(!back.is_cancelled() && !token.is_cancelled());
    /// ```
    pub fn disarm(mut self) -> CancellationToken {
        self.token.take().expect("DropGuard::disarm: token taken twice")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(t) = self.token.take() {
            t.cancel();
        }
    }
}
