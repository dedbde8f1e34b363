//! The netpoller through `PollFd`, on socket pairs: a goroutine parks until its fd is
//! readable (and wakes on the edge), deadlines end waits and can be moved while a goroutine
//! waits, one goroutine reads while another writes the same socket, many pairs ping-pong
//! on two Ps, and a plain thread waits in `poll(2)`.

mod common;

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm_sched::{Interest, PollFd, Runtime};

/// A non-blocking stream and its poll handle (dropped before the stream: field order).
struct Conn {
    pfd: PollFd,
    s: UnixStream,
}

impl Conn {
    fn new(s: UnixStream) -> Conn {
        s.set_nonblocking(true).unwrap();
        Conn { pfd: PollFd::new(s.as_raw_fd()), s }
    }

    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match (&self.s).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.pfd.wait(Interest::Read)?,
                r => return r,
            }
        }
    }

    fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match (&self.s).write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.pfd.wait(Interest::Write)?
                }
                Err(e) => return Err(e),
                Ok(n) => buf = &buf[n..],
            }
        }
        Ok(())
    }

    fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }
}

fn pair() -> (Conn, Conn) {
    let (a, b) = UnixStream::pair().unwrap();
    (Conn::new(a), Conn::new(b))
}

fn runtime(procs: usize) -> Runtime {
    // SAFETY: no goroutine here holds a thread-local or a thread-bound value across a park.
    unsafe { Runtime::builder().procs(procs).build() }.unwrap()
}

#[test]
fn a_goroutine_parks_until_its_fd_is_readable() {
    let _w = common::watchdog(30, "a_goroutine_parks_until_its_fd_is_readable");
    let rt = runtime(2);
    let (a, b) = pair();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        b.write_all(b"hello").unwrap();
        b
    });
    let got = rt.block_on(move || {
        let mut buf = [0u8; 5];
        a.read_exact(&mut buf).unwrap();
        buf
    });
    assert_eq!(&got, b"hello");
    drop(writer.join().unwrap());
}

#[test]
fn a_read_deadline_ends_the_wait_with_timed_out() {
    let _w = common::watchdog(30, "a_read_deadline_ends_the_wait_with_timed_out");
    let rt = runtime(2);
    let (a, _b) = pair();
    let (err, waited) = rt.block_on(move || {
        let t = Instant::now();
        a.pfd.set_deadline(Interest::Read, Some(t + Duration::from_millis(30)));
        let err = a.read(&mut [0u8; 4]).unwrap_err();
        (err, t.elapsed())
    });
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(err.to_string().contains("read deadline"), "{err}");
    assert!(waited >= Duration::from_millis(30), "returned early: {waited:?}");
}

#[test]
fn a_deadline_in_the_past_fails_at_once() {
    let rt = runtime(1);
    let (a, _b) = pair();
    let err = rt.block_on(move || {
        a.pfd.set_deadline(Interest::Read, Some(Instant::now() - Duration::from_secs(1)));
        a.read(&mut [0u8; 4]).unwrap_err()
    });
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn a_deadline_moved_while_a_goroutine_waits_is_honoured() {
    let _w = common::watchdog(30, "a_deadline_moved_while_a_goroutine_waits_is_honoured");
    let rt = runtime(2);
    let (a, _b) = pair();
    let a = Arc::new(a);
    let (err, waited) = rt.block_on(move || {
        a.pfd.set_deadline(Interest::Read, Some(Instant::now() + Duration::from_secs(3600)));
        let mover = {
            let a = a.clone();
            gpm_sched::go(move || {
                gpm_sched::sleep(Duration::from_millis(20));
                a.pfd
                    .set_deadline(Interest::Read, Some(Instant::now() + Duration::from_millis(20)));
            })
        };
        let t = Instant::now();
        let err = a.read(&mut [0u8; 4]).unwrap_err();
        mover.join().unwrap();
        (err, t.elapsed())
    });
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(waited < Duration::from_secs(10), "the moved deadline was missed: {waited:?}");
}

#[test]
fn one_goroutine_reads_while_another_writes_the_same_socket() {
    let _w = common::watchdog(60, "one_goroutine_reads_while_another_writes_the_same_socket");
    let rt = runtime(2);
    let (a, b) = pair();
    let (a, b) = (Arc::new(a), Arc::new(b));
    const N: usize = 1 << 20;
    rt.block_on(move || {
        // Both directions at once, in chunks bigger than the socket buffer, so each side's
        // writer blocks while its reader waits.
        let mut hs = Vec::new();
        for (from, to) in [(a.clone(), b.clone()), (b.clone(), a.clone())] {
            hs.push(gpm_sched::go(move || {
                let data: Vec<u8> = (0..N).map(|i| (i % 251) as u8).collect();
                from.write_all(&data).unwrap();
            }));
            hs.push(gpm_sched::go(move || {
                let mut got = vec![0u8; N];
                to.read_exact(&mut got).unwrap();
                assert!(got.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
            }));
        }
        for h in hs {
            h.join().unwrap();
        }
    });
}

#[test]
fn many_pairs_ping_pong_on_two_ps() {
    let _w = common::watchdog(60, "many_pairs_ping_pong_on_two_ps");
    let rt = runtime(2);
    let total = rt.block_on(|| {
        let mut hs = Vec::new();
        for p in 0..200u64 {
            let (a, b) = pair();
            hs.push(gpm_sched::go(move || {
                let mut buf = [0u8; 8];
                for i in 0..50u64 {
                    b.read_exact(&mut buf).unwrap();
                    assert_eq!(u64::from_le_bytes(buf), p * 1000 + i);
                    b.write_all(&buf).unwrap();
                }
                0
            }));
            hs.push(gpm_sched::go(move || {
                let mut buf = [0u8; 8];
                let mut n = 0u64;
                for i in 0..50u64 {
                    a.write_all(&(p * 1000 + i).to_le_bytes()).unwrap();
                    a.read_exact(&mut buf).unwrap();
                    n += u64::from(u64::from_le_bytes(buf) == p * 1000 + i);
                }
                n
            }));
        }
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(total, 200 * 50);
}

#[test]
fn a_single_thread_runtime_polls_too() {
    let _w = common::watchdog(30, "a_single_thread_runtime_polls_too");
    let rt = Runtime::single_thread().unwrap();
    let (a, b) = pair();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        b.write_all(b"x").unwrap();
        b
    });
    let n = rt.block_on(move || a.read(&mut [0u8; 1]).unwrap());
    assert_eq!(n, 1);
    drop(writer.join().unwrap());
}

#[test]
fn a_plain_thread_waits_in_poll() {
    let (a, b) = pair();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        b.write_all(b"yo").unwrap();
        b
    });
    let mut buf = [0u8; 2];
    a.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"yo");
    let _b = t.join().unwrap();
    a.pfd.set_deadline(Interest::Read, Some(Instant::now() + Duration::from_millis(20)));
    assert_eq!(a.read(&mut buf).unwrap_err().kind(), io::ErrorKind::TimedOut);
}

#[test]
fn runtime_drop_cancels_goroutines_blocked_in_a_read() {
    let _w = common::watchdog(30, "runtime_drop_cancels_goroutines_blocked_in_a_read");
    let rt = runtime(2);
    let mut keep = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..20 {
        let (a, b) = pair();
        keep.push(b);
        handles.push(rt.go(move || a.read(&mut [0u8; 1]).map(|_| ())));
    }
    // Let them all park in the poller.
    while rt.stats().waiting < 20 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let dump = rt.dump();
    assert_eq!(dump.matches("IO wait").count(), 20, "{dump}");
    drop(rt);
    for h in handles {
        assert!(h.join().is_err(), "a goroutine blocked in read finished after the drop");
    }
}
