//! Plain OS threads and goroutines in one program, talking over gpm channels both ways and
//! sharing a `gpm::sync::Mutex`; and a goroutine pinned to its thread with
//! `gpm::lock_os_thread` because it uses a thread-bound resource.
//!
//! Every gpm blocking call works from both sides: on a plain thread it *blocks the thread*;
//! in a goroutine it *parks the goroutine* and its thread runs other goroutines. So:
//! - client **threads** send requests to server **goroutines** (thread → goroutine), each
//!   request carrying its own reply channel (goroutine → thread, Go's "channel of
//!   channels"); client goroutines use the same servers;
//! - the servers report to an auditor **thread** over another channel (goroutine → thread);
//! - everyone updates one `gpm::sync::Mutex` (threads block on it, goroutines park);
//! - a "GUI" goroutine owns a thread-local resource, so it calls `lock_os_thread` and
//!   stays on its thread across every park; the thread then runs nothing else.
//!
//! Run: `cargo run --release -p gpm --example threads_and_goroutines`

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use gpm::chan::{Receiver, Sender, bounded};
use gpm::sync::Mutex;

const SERVERS: usize = 3;
const CLIENT_THREADS: usize = 3;
const CLIENT_GOROUTINES: usize = 3;
const REQUESTS: u64 = 2_000; // per client

/// A request: a number to square and where to send the answer.
struct Request {
    n: u64,
    reply: Sender<u64>,
}

/// Counters shared by threads and goroutines under one gpm Mutex.
#[derive(Default, Debug)]
struct Tally {
    served: u64,
    answers_to_threads: u64,
    answers_to_goroutines: u64,
}

/// A server goroutine: answers requests until every client has dropped its `Sender`.
fn serve(id: usize, requests: Receiver<Request>, audit: Sender<usize>, tally: Arc<Mutex<Tally>>) {
    for Request { n, reply } in &requests {
        // The client may be a thread (blocked in `recv`) or a goroutine (parked): the send
        // wakes either the same way.
        reply.send(n * n).expect("the client waits for its answer");
        tally.lock().served += 1; // parks this goroutine if a thread holds the lock
        audit.send(id).expect("the auditor thread is alive");
    }
}

/// One client's loop (run by a thread or a goroutine): asks for squares and checks them.
/// Returns the sum of the answers.
fn client(first: u64, requests: &Sender<Request>) -> u64 {
    // One reply channel per client, reused; capacity 1 so the server never waits for us.
    let (reply, answers) = bounded(1);
    let mut sum = 0;
    for n in first..first + REQUESTS {
        requests.send(Request { n, reply: reply.clone() }).expect("servers alive");
        let sq = answers.recv().expect("the server answers");
        assert_eq!(sq, n * n);
        sum += sq;
    }
    sum
}

thread_local! {
    /// A stand-in for a thread-bound resource (an OpenGL context, a thread-affine FFI
    /// handle, a `thread_rng`): it must be used from the thread that made it.
    static GUI_CONTEXT: RefCell<Option<(ThreadId, u32)>> = const { RefCell::new(None) };
}

/// Which OS thread runs us *now*. `#[inline(never)]` and no parking inside: a fresh call
/// after every blocking call is the safe way to read thread-local state in a goroutine
/// that may have moved (see the crate docs, "Soundness").
#[inline(never)]
fn os_thread() -> ThreadId {
    std::thread::current().id()
}

/// A goroutine pinned to its thread: every frame it parks (sleeps, receives), and still
/// finds the thread-local context it created, because it never leaves the thread.
/// Using `GUI_CONTEXT` directly in a function that parks is sound *only* because of
/// `lock_os_thread`: unpinned, the goroutine could resume on another thread while the
/// compiled code still used the first thread's slot.
fn gui_loop(frames: Receiver<u32>) -> (u32, usize) {
    gpm::lock_os_thread();
    let home = os_thread();
    let mut threads = HashSet::from([home]);
    GUI_CONTEXT.with(|c| *c.borrow_mut() = Some((home, 0)));
    for frame in &frames {
        gpm::sleep(Duration::from_micros(200)); // parks: the M waits for us alone
        threads.insert(os_thread());
        assert_eq!(os_thread(), home, "a locked goroutine never migrates");
        GUI_CONTEXT.with(|c| {
            let mut c = c.borrow_mut();
            let (owner, drawn) = c.as_mut().expect("the context lives on this thread");
            assert_eq!(*owner, home);
            assert_eq!(*drawn + 1, frame, "frames arrive in order on this thread's context");
            *drawn = frame;
        });
    }
    let drawn = GUI_CONTEXT.with(|c| c.borrow_mut().take().map_or(0, |(_, d)| d));
    gpm::unlock_os_thread();
    (drawn, threads.len())
}

/// An unpinned goroutine doing the same parks: it may be resumed on any M.
fn roaming_loop(frames: Receiver<u32>) -> (u32, usize) {
    let mut threads = HashSet::new();
    let mut last = 0;
    for frame in &frames {
        gpm::sleep(Duration::from_micros(200));
        threads.insert(os_thread());
        last = frame;
    }
    (last, threads.len())
}

/// Client threads and client goroutines against server goroutines; an auditor thread.
fn requests_and_replies(rt: &gpm::Runtime) {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (req_tx, req_rx) = bounded::<Request>(0);
    let (audit_tx, audit_rx) = bounded::<usize>(16);

    // Goroutine → thread: the auditor is a plain thread blocked in `recv` on a gpm channel.
    let auditor = std::thread::spawn(move || {
        let mut per_server = [0u64; SERVERS];
        for id in &audit_rx {
            per_server[id] += 1;
        }
        per_server // the channel closed: every server has exited
    });

    let servers: Vec<_> = (0..SERVERS)
        .map(|id| {
            let (rx, audit, tally) = (req_rx.clone(), audit_tx.clone(), tally.clone());
            rt.go(move || serve(id, rx, audit, tally))
        })
        .collect();
    drop((req_rx, audit_tx));

    // Thread → goroutine: client threads block in `send` until a server goroutine takes it.
    let threads: Vec<_> = (0..CLIENT_THREADS as u64)
        .map(|t| {
            let (req_tx, tally) = (req_tx.clone(), tally.clone());
            std::thread::spawn(move || {
                let sum = client(t * REQUESTS, &req_tx);
                tally.lock().answers_to_threads += REQUESTS; // blocks this thread if needed
                sum
            })
        })
        .collect();
    // Goroutine clients share the same servers.
    let goroutines: Vec<_> = (CLIENT_THREADS as u64..(CLIENT_THREADS + CLIENT_GOROUTINES) as u64)
        .map(|c| {
            let (req_tx, tally) = (req_tx.clone(), tally.clone());
            rt.go(move || {
                let sum = client(c * REQUESTS, &req_tx);
                tally.lock().answers_to_goroutines += REQUESTS; // parks if needed
                sum
            })
        })
        .collect();
    drop(req_tx); // the clients hold the last senders: the servers stop after them

    // A plain thread can join goroutines (it blocks) just as it joins threads.
    let total: u64 = threads.into_iter().map(|h| h.join().expect("client thread")).sum::<u64>()
        + goroutines.into_iter().map(|h| h.join().expect("client goroutine")).sum::<u64>();
    servers.into_iter().for_each(|h| h.join().expect("server goroutine"));
    let per_server = auditor.join().expect("auditor thread");

    let clients = (CLIENT_THREADS + CLIENT_GOROUTINES) as u64;
    let n = clients * REQUESTS;
    let expected: u64 = (0..n).map(|k| k * k).sum();
    let tally = tally.lock();
    println!(
        "threads_and_goroutines: {n} requests from {CLIENT_THREADS} threads and \
         {CLIENT_GOROUTINES} goroutines to {SERVERS} server goroutines"
    );
    println!("  sum of squares {total}; {tally:?}");
    println!("  requests per server, as counted by the auditor thread: {per_server:?}");
    assert_eq!(total, expected);
    assert_eq!(tally.served, n);
    assert_eq!(tally.answers_to_threads + tally.answers_to_goroutines, n);
    assert_eq!(per_server.iter().sum::<u64>(), n);
}

/// lock_os_thread: the pinned and the roaming goroutine get the same frames from the main
/// thread; other goroutines keep both Ps busy so the roaming one has reasons to move.
fn pinned_and_roaming(rt: &gpm::Runtime) {
    const FRAMES: u32 = 300;
    let (gui_tx, gui_rx) = bounded(0);
    let (roam_tx, roam_rx) = bounded(0);
    let gui = rt.go(move || gui_loop(gui_rx));
    let roam = rt.go(move || roaming_loop(roam_rx));
    let busy: Vec<_> =
        (0..4).map(|_| rt.go(|| (0..2_000).for_each(|_| gpm::yield_now()))).collect();
    for f in 1..=FRAMES {
        gui_tx.send(f).expect("gui alive"); // this main thread blocks until the gui takes it
        roam_tx.send(f).expect("roamer alive");
    }
    drop((gui_tx, roam_tx));
    busy.into_iter().for_each(|h| h.join().expect("busy goroutine"));
    let (drawn, gui_threads) = gui.join().expect("gui goroutine");
    let (roamed, roam_threads) = roam.join().expect("roaming goroutine");
    println!(
        "  locked goroutine drew {drawn} frames on {gui_threads} thread; \
         an unlocked one ran on {roam_threads} thread(s) for {roamed} frames"
    );
    assert_eq!((drawn, roamed), (FRAMES, FRAMES));
    assert_eq!(gui_threads, 1);
}

fn main() -> std::io::Result<()> {
    // SAFETY: the goroutines share channels and gpm locks with the threads: they hold no
    // thread-local and no std lock guard across a park.
    let rt = unsafe { gpm::Runtime::builder().procs(2).build() }?;
    requests_and_replies(&rt);
    pinned_and_roaming(&rt);
    Ok(())
}
