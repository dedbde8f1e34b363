//! `gpm::net` TCP in the spirit of Go's net tests: an echo server with many clients on two
//! Ps (every byte checked), half close, a peer reset, full duplex, a read blocked in one
//! goroutine ended by a shutdown from another, connect errors, std conversions, and the
//! same calls from plain threads and on a single-thread runtime.

mod net_support;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm::net::{TcpListener, TcpStream};
use net_support::{bytes, deadline, on_runtime, pattern, read_to_end, runtime, write_chunked};

/// An echo server on `l`: one goroutine per connection, until the runtime is dropped.
fn serve_echo(l: TcpListener) {
    gpm::go(move || {
        for conn in l.incoming() {
            let mut c = conn.expect("accept");
            gpm::go(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match c.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if c.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
}

#[test]
fn echo_server_with_200_clients_checks_every_byte() {
    const CLIENTS: u64 = 200;
    const ROUNDS: usize = 50;
    let (total, took) = on_runtime(2, 60, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        serve_echo(l);
        let t = Instant::now();
        let hs: Vec<_> = (0..CLIENTS)
            .map(|c| {
                gpm::go(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    let mut got = vec![0u8; 1024];
                    let mut checked = 0usize;
                    for r in 0..ROUNDS {
                        // Round r sends a message of its own length and pattern.
                        let msg = bytes(c * 1000 + r as u64, 1 + (r * 37 + c as usize) % 1000);
                        s.write_all(&msg).unwrap();
                        s.read_exact(&mut got[..msg.len()]).unwrap();
                        assert_eq!(&got[..msg.len()], &msg[..], "client {c} round {r}");
                        checked += msg.len();
                    }
                    s.shutdown(Shutdown::Write).unwrap();
                    assert_eq!(s.read(&mut got).unwrap(), 0, "echo after EOF");
                    checked
                })
            })
            .collect();
        let total: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
        (total, t.elapsed())
    });
    assert!(total > 0);
    let trips = CLIENTS as f64 * ROUNDS as f64;
    eprintln!(
        "echo: {trips} round trips, {total} bytes in {took:?} ({:.0} round trips/s)",
        trips / took.as_secs_f64()
    );
}

#[test]
fn half_close_gives_the_peer_eof_and_it_can_still_write_back() {
    on_runtime(2, 20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = gpm::go(move || {
            let (s, _) = l.accept().unwrap();
            let got = read_to_end(&s).unwrap();
            assert_eq!(got, bytes(1, 100_000));
            // The read half is at EOF; the write half still works.
            write_chunked(&s, &bytes(2, 100_000), 7000).unwrap();
        });
        let s = TcpStream::connect(addr).unwrap();
        write_chunked(&s, &bytes(1, 100_000), 3000).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert!((&s).write(b"x").is_err(), "a write after shutdown(Write) succeeded");
        assert_eq!(read_to_end(&s).unwrap(), bytes(2, 100_000));
        server.join().unwrap();
    });
}

#[test]
fn a_peer_reset_surfaces_as_an_error() {
    on_runtime(2, 20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = gpm::go(move || {
            let (s, _) = l.accept().unwrap();
            let mut b = [0u8; 1];
            (&s).read_exact(&mut b).unwrap();
            // SO_LINGER 0: close sends RST instead of FIN.
            socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO)).unwrap();
            drop(s);
        });
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"x").unwrap();
        server.join().unwrap();
        let mut buf = [0u8; 16];
        let err = s.read(&mut buf).expect_err("a read from a reset connection succeeded");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    });
}

#[test]
fn full_duplex_both_ways_at_once() {
    const N: usize = 4 << 20;
    on_runtime(2, 30, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let peer = gpm::go(move || Arc::new(l.accept().unwrap().0));
        let a = Arc::new(TcpStream::connect(addr).unwrap());
        let b = peer.join().unwrap();
        let mut hs = Vec::new();
        for (seed, from, to) in [(10, a.clone(), b.clone()), (20, b.clone(), a.clone())] {
            // Chunks far larger than the socket buffers: each writer blocks while its
            // reader waits, on the same sockets the other pair uses.
            hs.push(gpm::go(move || {
                write_chunked(&*from, &bytes(seed, N), 1 << 20).unwrap();
                from.shutdown(Shutdown::Write).unwrap();
            }));
            hs.push(gpm::go(move || {
                let got = read_to_end(&*to).unwrap();
                assert_eq!(got.len(), N);
                assert!(got.iter().enumerate().all(|(i, &x)| x == pattern(seed, i)));
            }));
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn shutdown_from_another_goroutine_ends_a_blocked_read() {
    on_runtime(2, 20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let _keep = gpm::go(move || {
            let (s, _) = l.accept().unwrap();
            gpm::sleep(Duration::from_secs(3));
            drop(s);
        });
        for how in [Shutdown::Both, Shutdown::Read] {
            let s = Arc::new(TcpStream::connect(addr).unwrap());
            let reader = {
                let s = s.clone();
                gpm::go(move || (&*s).read(&mut [0u8; 8]))
            };
            gpm::sleep(Duration::from_millis(30));
            let t = Instant::now();
            s.shutdown(how).unwrap();
            match reader.join().unwrap() {
                Ok(0) | Err(_) => {}
                Ok(n) => panic!("{how:?}: the read returned {n} bytes"),
            }
            assert!(t.elapsed() < Duration::from_secs(2), "{how:?}: took {:?}", t.elapsed());
        }
    });
}

#[test]
fn connect_errors_are_std_errors() {
    on_runtime(2, 20, || {
        // A port nobody listens on: bind one, take its address, close it.
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let err = TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        let err = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        let err = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        // A name that needs the resolver, run inside `blocking`.
        let l = TcpListener::bind(("localhost", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let ok = gpm::go(move || l.accept().map(|_| ()));
        TcpStream::connect(format!("localhost:{port}")).unwrap();
        ok.join().unwrap().unwrap();
    });
}

#[test]
fn std_conversions_and_options() {
    on_runtime(1, 20, || {
        let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_l.local_addr().unwrap();
        let l = TcpListener::from(std_l);
        let c = gpm::go(move || TcpStream::from(std::net::TcpStream::connect(addr).unwrap()));
        let (s, peer) = l.accept().unwrap();
        let c = c.join().unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        assert_eq!(s.peer_addr().unwrap(), c.local_addr().unwrap());
        c.set_nodelay(true).unwrap();
        assert!(c.nodelay().unwrap());
        c.set_ttl(42).unwrap();
        assert_eq!(c.ttl().unwrap(), 42);
        l.set_ttl(43).unwrap();
        assert_eq!(l.ttl().unwrap(), 43);
        assert!(c.take_error().unwrap().is_none());
        assert!(l.take_error().unwrap().is_none());
        let c2 = c.try_clone().unwrap();
        (&c2).write_all(b"via clone").unwrap();
        let mut buf = [0u8; 9];
        assert_eq!(s.peek(&mut buf).unwrap(), 9);
        (&s).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"via clone");
        // Back to std: blocking mode again.
        let mut s = s.into_std().unwrap();
        (&c).write_all(b"std").unwrap();
        let mut buf = [0u8; 3];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"std");
        let l = l.into_std().unwrap();
        l.set_nonblocking(true).unwrap();
        assert_eq!(l.accept().unwrap_err().kind(), io::ErrorKind::WouldBlock);
    });
}

#[test]
fn every_call_works_from_plain_threads() {
    deadline(20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let got = read_to_end(&s).unwrap();
            s.write_all(&got).unwrap();
        });
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
        let t = Instant::now();
        let err = (&s).read(&mut [0u8; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(t.elapsed() >= Duration::from_millis(30));
        s.set_read_timeout(None).unwrap();
        write_chunked(&s, &bytes(5, 1 << 20), 64 << 10).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&s).unwrap(), bytes(5, 1 << 20));
        server.join().unwrap();
    });
}

#[test]
fn a_single_thread_runtime_serves_and_connects() {
    deadline(20, || {
        let rt = gpm::Runtime::single_thread().unwrap();
        rt.block_on(|| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            serve_echo(l);
            let hs: Vec<_> = (0..20u64)
                .map(|c| {
                    gpm::go(move || {
                        let s = TcpStream::connect(addr).unwrap();
                        let msg = bytes(c, 50_000);
                        let w = s.try_clone().unwrap();
                        let writer = gpm::go(move || {
                            write_chunked(&w, &msg, 5000).unwrap();
                            w.shutdown(Shutdown::Write).unwrap();
                        });
                        let got = read_to_end(&s).unwrap();
                        writer.join().unwrap();
                        assert_eq!(got, bytes(c, 50_000));
                    })
                })
                .collect();
            hs.into_iter().for_each(|h| h.join().unwrap());
        });
        drop(rt);
        drop(runtime(1));
    });
}

/// A short read waits for the next edge before its next syscall, but the end of the stream
/// that was already there when the short read took the last bytes raises no edge: the
/// next read must still see it, not park.
#[test]
fn the_end_behind_a_short_read_is_still_seen() {
    on_runtime(2, 20, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = gpm::go(move || {
            let (mut s, _) = l.accept().unwrap();
            // The client's first read waits, so its fd is in the poller before the data
            // and the FIN arrive; the poller reports them in one event.
            gpm::sleep(Duration::from_millis(50));
            s.write_all(b"last words").unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            gpm::sleep(Duration::from_millis(500)); // the fd stays open
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let mut buf = [0u8; 4096];
        assert_eq!(c.read(&mut buf[..1]).unwrap(), 1);
        // Let the FIN arrive, and its event be taken, before the short read.
        gpm::sleep(Duration::from_millis(100));
        let n = c.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ast words");
        assert_eq!(c.read(&mut buf).unwrap(), 0, "no end of file after a short read");
        server.join().unwrap();
    });
}
