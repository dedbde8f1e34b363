//! `gpm::net` timeouts and deadlines, after Go's `timeout_test.go`: std read and write
//! timeouts (a zero one refused), a timeout that counts from each call's start, Go's
//! TestVariousDeadlines in small (from goroutines and from plain threads), deadlines moved,
//! extended and cleared while a call waits, a past deadline failing even with data
//! waiting, and an accept deadline.

mod net_support;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm::net::{TcpListener, TcpStream};
use net_support::{deadline, on_runtime};

/// A connected pair on loopback.
fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (b, _) = l.accept().unwrap();
    (a, b)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn read_timeout_fails_with_timed_out_and_zero_is_invalid() {
    on_runtime(2, 20, || {
        let (a, _b) = pair();
        let err = a.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = a.set_write_timeout(Some(Duration::ZERO)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        a.set_read_timeout(Some(ms(40))).unwrap();
        assert_eq!(a.read_timeout().unwrap(), Some(ms(40)));
        assert_eq!(a.write_timeout().unwrap(), None);
        for _ in 0..3 {
            let t = Instant::now();
            let err = (&a).read(&mut [0u8; 4]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            let took = t.elapsed();
            assert!(took >= ms(40) && took < ms(2000), "read timed out after {took:?}");
        }
    });
}

#[test]
fn write_timeout_fires_when_the_socket_is_full() {
    on_runtime(2, 20, || {
        let (a, _b) = pair(); // `_b` never reads
        a.set_write_timeout(Some(ms(50))).unwrap();
        let chunk = vec![7u8; 1 << 16];
        let mut sent = 0usize;
        let err = loop {
            match (&a).write(&chunk) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
            assert!(sent < 1 << 30, "1 GiB written to a peer that never reads");
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(sent > 0);
    });
}

#[test]
fn a_timeout_counts_from_each_calls_start() {
    on_runtime(2, 20, || {
        let (a, b) = pair();
        a.set_read_timeout(Some(ms(150))).unwrap();
        // Five pieces 40 ms apart: 200 ms in all, but no single read waits 150 ms.
        let writer = gpm::go(move || {
            for i in 0..5u8 {
                gpm::sleep(ms(40));
                (&b).write_all(&[i]).unwrap();
            }
            b
        });
        for i in 0..5u8 {
            let mut x = [0u8];
            (&a).read_exact(&mut x).unwrap();
            assert_eq!(x[0], i);
        }
        let _b = writer.join().unwrap();
    });
}

/// Go's TestVariousDeadlines, in small: a server writes without end; the client reads
/// under a deadline `d` from now and must stop with `TimedOut`, not much after `d`.
fn various_deadlines(threads: bool) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = move || {
        let chunk = [b'a'; 4096];
        for conn in l.incoming() {
            let s = conn.unwrap();
            while (&s).write_all(&chunk).is_ok() {}
            // The client closed this one; on to the next.
        }
    };
    // Leaked on purpose when on threads (a plain thread cannot be cancelled); the
    // runtime's drop cancels the goroutine.
    if threads {
        std::thread::spawn(server);
    } else {
        gpm::go(server);
    }
    for d in [1u64, 5, 20, 50, 100] {
        let s = TcpStream::connect(addr).unwrap();
        let t = Instant::now();
        s.set_read_deadline(Some(t + ms(d)));
        let mut buf = [0u8; 4096];
        let mut n = 0usize;
        let err = loop {
            match (&s).read(&mut buf) {
                Ok(0) => panic!("EOF before the deadline"),
                Ok(k) => n += k,
                Err(e) => break e,
            }
        };
        let took = t.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{d} ms: {err}");
        assert!(took >= ms(d), "{d} ms: ended early, after {took:?}");
        assert!(took < ms(d + 1500), "{d} ms: ended late, after {took:?} ({n} bytes)");
    }
}

#[test]
fn various_deadlines_from_goroutines() {
    on_runtime(2, 30, || various_deadlines(false));
}

#[test]
fn various_deadlines_from_plain_threads() {
    deadline(30, || various_deadlines(true));
}

#[test]
fn a_deadline_moved_earlier_while_a_read_waits_ends_it() {
    on_runtime(2, 20, || {
        let (a, _b) = pair();
        let a = Arc::new(a);
        a.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        let mover = {
            let a = a.clone();
            gpm::go(move || {
                gpm::sleep(ms(30));
                a.set_read_deadline(Some(Instant::now() + ms(20)));
            })
        };
        let t = Instant::now();
        let err = (&*a).read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(t.elapsed() >= ms(50) && t.elapsed() < ms(2000), "took {:?}", t.elapsed());
        mover.join().unwrap();
    });
}

#[test]
fn a_deadline_extended_or_cleared_while_a_read_waits_lets_it_finish() {
    on_runtime(2, 20, || {
        for clear in [false, true] {
            let (a, b) = pair();
            let a = Arc::new(a);
            a.set_read_deadline(Some(Instant::now() + ms(60)));
            let other = {
                let a = a.clone();
                gpm::go(move || {
                    gpm::sleep(ms(20));
                    let later = (!clear).then(|| Instant::now() + Duration::from_secs(10));
                    a.set_read_deadline(later);
                    gpm::sleep(ms(100)); // past the first deadline
                    (&b).write_all(b"late").unwrap();
                    b
                })
            };
            let mut buf = [0u8; 4];
            (&*a).read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"late");
            let _b = other.join().unwrap();
        }
    });
}

#[test]
fn a_timeout_and_a_deadline_together_the_earlier_wins() {
    on_runtime(2, 20, || {
        let (a, _b) = pair();
        a.set_read_timeout(Some(Duration::from_secs(3600))).unwrap();
        a.set_read_deadline(Some(Instant::now() + ms(30)));
        let t = Instant::now();
        assert_eq!((&a).read(&mut [0u8]).unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() < ms(2000));
        a.set_read_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        a.set_read_timeout(Some(ms(30))).unwrap();
        let t = Instant::now();
        assert_eq!((&a).read(&mut [0u8]).unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() >= ms(30) && t.elapsed() < ms(2000));
        // The timeout's end put the deadline back: it is still the Go one.
        assert!(a.read_deadline().unwrap() > Instant::now() + Duration::from_secs(3000));
    });
}

#[test]
fn a_past_deadline_fails_even_with_data_waiting_until_cleared() {
    on_runtime(2, 20, || {
        let (a, b) = pair();
        (&b).write_all(b"data").unwrap();
        gpm::sleep(ms(20));
        a.set_read_deadline(Some(Instant::now() - ms(1)));
        assert_eq!((&a).read(&mut [0u8; 4]).unwrap_err().kind(), io::ErrorKind::TimedOut);
        a.set_write_deadline(Some(Instant::now() - ms(1)));
        assert_eq!((&a).write(b"x").unwrap_err().kind(), io::ErrorKind::TimedOut);
        a.set_deadline(None);
        let mut buf = [0u8; 4];
        (&a).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"data");
        (&a).write_all(b"x").unwrap();
        b.shutdown(Shutdown::Both).unwrap();
    });
}

#[test]
fn an_accept_deadline_ends_accept() {
    on_runtime(2, 20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_deadline(Some(Instant::now() + ms(30)));
        let t = Instant::now();
        let err = l.accept().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(t.elapsed() >= ms(30));
        l.set_deadline(None);
        let addr = l.local_addr().unwrap();
        let c = gpm::go(move || TcpStream::connect(addr).unwrap());
        l.accept().unwrap();
        c.join().unwrap();
    });
}
