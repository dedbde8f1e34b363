//! `select!` and `select_biased!`: parsed by `__gpm_select_parse!` into arm objects and a
//! call to [`run`](super::run), emitted by `__gpm_select_emit!`.
//!
//! The channel (and message) expressions of every arm are evaluated, in order, as one tuple
//! that is the scrutinee of a `match`: temporaries in a scrutinee live until the end of the
//! `match`, so crossbeam's optional-channel pattern `recv(r.as_ref().unwrap_or(&never()))`
//! keeps its `never()` alive for the whole select (a `let` per arm would drop it at once).

/// Waits on several channel operations and runs the arm of the one that completes, as Go's
/// `select` (crossbeam-channel's syntax):
///
/// ```
/// use std::time::Duration;
/// let (tx1, rx1) = gpm::chan::bounded::<i32>(1);
/// let (tx2, rx2) = gpm::chan::bounded::<&str>(1);
/// tx2.send("hi").unwrap();
/// gpm::select! {
///     recv(rx1) -> v => panic!("nothing was sent on rx1: {v:?}"),
///     recv(rx2) -> v => assert_eq!(v, Ok("hi")),
///     send(tx1, 7) -> res => res.unwrap(),
///     default(Duration::from_secs(1)) => panic!("two arms were ready"),
/// }
/// ```
///
/// # Arms
/// - `recv(r) -> v => body`: receives from `r` (a [`Receiver`](crate::chan::Receiver));
///   `v: Result<T, RecvError>`, `Err` once the channel is closed and empty.
/// - `send(s, msg) -> res => body`: sends `msg` on `s` (a [`Sender`](crate::chan::Sender));
///   `res: Result<(), SendError<T>>`, `Err` (holding `msg`) once the receivers are gone or
///   the channel was closed.
/// - `default => body` (also spelt `default() =>`): run if no operation is ready now.
/// - `default(timeout) => body`: run if none becomes ready within `timeout`.
///
/// At most one `default` arm; without one, the select blocks: it parks the goroutine, or
/// blocks a plain thread. When several operations are ready, one is picked at random
/// ([`select_biased!`](crate::select_biased!) picks the first written). A channel whose
/// other side is gone is ready (its arm gets the `Err`); a [`never`](crate::chan::never())
/// channel never is, which disables an arm. The same channel may appear in several arms; a
/// send and a receive on one channel in one select never complete each other. Channel and
/// message expressions are evaluated once, in order, before waiting (a send arm's message
/// is dropped if another arm wins). An arm's body may be a block or an expression followed
/// by a comma, and the whole `select!` is an expression whose value is the chosen body's.
/// At most 32 operation arms; for more, or a number known only at run time, use
/// [`Select`](crate::chan::Select).
///
/// # Examples
/// A goroutine serving requests until told to stop:
/// ```
/// let rt = gpm::Runtime::single_thread()?;
/// rt.block_on(|| {
///     let (req_tx, req_rx) = gpm::chan::bounded::<u32>(0);
///     let (quit_tx, quit_rx) = gpm::chan::bounded::<()>(0);
///     let (out_tx, out_rx) = gpm::chan::unbounded();
///     let server = gpm::go(move || loop {
///         gpm::select! {
///             recv(req_rx) -> n => out_tx.send(n.unwrap() * 2).unwrap(),
///             recv(quit_rx) -> _ => return,
///         }
///     });
///     req_tx.send(1).unwrap();
///     req_tx.send(2).unwrap();
///     quit_tx.send(()).unwrap();
///     server.join().unwrap();
///     assert_eq!(out_rx.try_iter().collect::<Vec<_>>(), [2, 4]);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A send that never waits (drop the message when the buffer is full), and a receive with
/// a timeout, as a value:
/// ```
/// use std::time::Duration;
/// let (tx, rx) = gpm::chan::bounded(1);
/// let mut dropped = 0;
/// for i in 0..3 {
///     gpm::select! {
///         send(tx, i) -> res => res.unwrap(),
///         default => dropped += 1,
///     }
/// }
/// assert_eq!((rx.try_recv(), dropped), (Ok(0), 2));
///
/// let got = gpm::select! {
///     recv(rx) -> v => v.ok(),
///     default(Duration::from_millis(5)) => None,
/// };
/// assert_eq!(got, None); // nothing more was sent
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__gpm_select_start!(false $($tokens)*)
    };
}

/// As [`select!`] (the same arms), but when several operations are ready the first in the
/// written order wins (crossbeam-channel's `select_biased!`): for priorities, such as a
/// stop signal that must win over a busy work channel.
///
/// ```
/// let (tx1, rx1) = gpm::chan::bounded(1);
/// let (tx2, rx2) = gpm::chan::bounded(1);
/// tx1.send(1).unwrap();
/// tx2.send(2).unwrap();
/// gpm::select_biased! {
///     recv(rx1) -> v => assert_eq!(v, Ok(1)),
///     recv(rx2) -> _ => unreachable!("the first ready arm wins"),
/// }
/// ```
#[macro_export]
macro_rules! select_biased {
    ($($tokens:tt)*) => {
        $crate::__gpm_select_start!(true $($tokens)*)
    };
}

/// Starts the parser with the arm labels (index and variable name), 32 of them.
// doc(hidden): expansion plumbing of `select!`; exported only because macros must be.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_start {
    ($b:tt $($tokens:tt)*) => {
        $crate::__gpm_select_parse!($b [] [] [] [(0usize __gpm_arm0) (1usize __gpm_arm1) (2usize __gpm_arm2) (3usize __gpm_arm3)
         (4usize __gpm_arm4) (5usize __gpm_arm5) (6usize __gpm_arm6) (7usize __gpm_arm7)
         (8usize __gpm_arm8) (9usize __gpm_arm9) (10usize __gpm_arm10) (11usize __gpm_arm11)
         (12usize __gpm_arm12) (13usize __gpm_arm13) (14usize __gpm_arm14)
         (15usize __gpm_arm15) (16usize __gpm_arm16) (17usize __gpm_arm17)
         (18usize __gpm_arm18) (19usize __gpm_arm19) (20usize __gpm_arm20)
         (21usize __gpm_arm21) (22usize __gpm_arm22) (23usize __gpm_arm23)
         (24usize __gpm_arm24) (25usize __gpm_arm25) (26usize __gpm_arm26)
         (27usize __gpm_arm27) (28usize __gpm_arm28) (29usize __gpm_arm29)
         (30usize __gpm_arm30) (31usize __gpm_arm31)] $($tokens)*)
    };
}

/// `select!`'s parser: `biased [scrutinee] [arms] [default] [labels] input...`.
// doc(hidden): expansion plumbing of `select!`, as above.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_parse {
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*]) => {
        $crate::__gpm_select_emit!($b [$($e)*] [$($arm)*] [$($def)*])
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*] , $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($e)*] [$($arm)*] [$($def)*] [$($labels)*] $($rest)*)
    };
    // recv(r) -> v => body
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        recv($r:expr $(,)?) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($e)* (&$r),]
            [$($arm)* (recv $l $idx $p, $body)] [$($def)*] [$($labels)*] $($rest)*)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        recv($r:expr $(,)?) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!($b [$($e)* (&$r),]
            [$($arm)* (recv $l $idx $p, { $body })] [$($def)*] [$($labels)*] $($($rest)*)?)
    };
    // send(s, m) -> res => body
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        send($s:expr, $m:expr $(,)?) -> $p:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($e)* (&$s, $m),]
            [$($arm)* (send $l $idx $p, $body)] [$($def)*] [$($labels)*] $($rest)*)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [($idx:tt $l:ident) $($labels:tt)*]
        send($s:expr, $m:expr $(,)?) -> $p:pat => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!($b [$($e)* (&$s, $m),]
            [$($arm)* (send $l $idx $p, { $body })] [$($def)*] [$($labels)*] $($($rest)*)?)
    };
    // default => body / default() => body / default(timeout) => body
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [] [$($labels:tt)*] default $(())? => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($e)*] [$($arm)*]
            [($crate::select::Wait::NoWait) $body] [$($labels)*] $($rest)*)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [] [$($labels:tt)*] default $(())? => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!($b [$($e)*] [$($arm)*]
            [($crate::select::Wait::NoWait) { $body }] [$($labels)*] $($($rest)*)?)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [] [$($labels:tt)*]
        default($t:expr $(,)?) => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($e)*] [$($arm)*]
            [($crate::select::Wait::Timeout($t)) $body] [$($labels)*] $($rest)*)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [] [$($labels:tt)*]
        default($t:expr $(,)?) => $body:expr $(, $($rest:tt)*)?) => {
        $crate::__gpm_select_parse!($b [$($e)*] [$($arm)*]
            [($crate::select::Wait::Timeout($t)) { $body }] [$($labels)*] $($($rest)*)?)
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)+] [$($labels:tt)*] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [] recv $($rest:tt)*) => {
        ::core::compile_error!(
            "select!: more than 32 operation arms; use gpm::chan::Select for more")
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [] send $($rest:tt)*) => {
        ::core::compile_error!(
            "select!: more than 32 operation arms; use gpm::chan::Select for more")
    };
    ($b:tt [$($e:tt)*] [$($arm:tt)*] [$($def:tt)*] [$($labels:tt)*] $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "select!: expected `recv(r) -> v => ..`, `send(s, m) -> res => ..`, ",
            "`default => ..` or `default(timeout) => ..`, found: ",
            ::core::stringify!($($rest)+)
        ))
    };
}

/// `select!`'s code generator.
// doc(hidden): expansion plumbing of `select!`, as above.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_emit {
    ($b:tt [$($e:tt)*] [$(($k:ident $l:ident $idx:tt $p:pat, $body:tt))*] []) => {
        $crate::__gpm_select_emit!(@go $b [$($e)*] [$(($k $l $idx $p, $body))*]
            ($crate::select::Wait::Block)
            { ::core::unreachable!("select!: blocking select returned nothing") })
    };
    ($b:tt [$($e:tt)*] [$(($k:ident $l:ident $idx:tt $p:pat, $body:tt))*] [($($w:tt)*) $dbody:tt]) => {
        $crate::__gpm_select_emit!(@go $b [$($e)*] [$(($k $l $idx $p, $body))*] ($($w)*) $dbody)
    };
    (@go $b:tt [$($e:tt)*] [$(($k:ident $l:ident $idx:tt $p:pat, $body:tt))*] ($($w:tt)*) $dbody:tt) => {
        match ($($e)*) {
            ($($l,)*) => {
                $( let mut $l = $crate::__gpm_select_arm!($k $l); )*
                match $crate::select::run(&mut [$($l.op()),*], $($w)*, $b) {
                    $( ::core::option::Option::Some($idx) => {
                        let $p = $l.take();
                        $body
                    } )*
                    _ => $dbody
                }
            }
        }
    };
}

/// One arm object from its scrutinee element.
// doc(hidden): expansion plumbing of `select!`, as above.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_arm {
    (recv $l:ident) => {
        $crate::select::RecvArm::new($l)
    };
    (send $l:ident) => {
        $crate::select::SendArm::new($l.0, $l.1)
    };
}
