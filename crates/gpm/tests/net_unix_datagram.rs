//! `gpm::net::UnixDatagram`: round trips through an echo goroutine from named and
//! connected clients, `pair`, `peek`, unnamed and abstract addresses, std conversions; a
//! full receive queue parking the sender until the receiver reads; read and write
//! timeouts, deadlines (past, moved while a receive waits); a shutdown ending a receive
//! blocked elsewhere; and the same calls from plain threads.

mod net_support;

use std::io;
use std::net::Shutdown;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm::net::UnixDatagram;
use net_support::{TempPath, bytes, deadline, on_runtime};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn round_trips_through_an_echo_goroutine() {
    let dir = TempPath::new("dgram-echo");
    let server_path = dir.0.clone();
    on_runtime(2, 30, move || {
        let server = UnixDatagram::bind(&server_path).unwrap();
        assert_eq!(server.local_addr().unwrap().as_pathname(), Some(server_path.as_path()));
        gpm::go(move || {
            let mut buf = [0u8; 4096];
            loop {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                let to = from.as_pathname().expect("every client is bound to a path");
                server.send_to(&buf[..n], to).unwrap();
            }
        });
        let clients: Vec<_> = (0..20u64)
            .map(|c| {
                let server_path = server_path.clone();
                gpm::go(move || {
                    let own = TempPath::new(&format!("dgram-client-{c}"));
                    let s = UnixDatagram::bind(&own.0).unwrap();
                    // Half the clients connect and use send / recv.
                    let connected = c % 2 == 0;
                    if connected {
                        s.connect(&server_path).unwrap();
                        assert_eq!(s.peer_addr().unwrap().as_pathname(), Some(&*server_path));
                    }
                    let mut got = [0u8; 4096];
                    for r in 0..30u64 {
                        let msg = bytes(c * 100 + r, 1 + ((c * 7 + r * 131) % 4000) as usize);
                        if connected {
                            assert_eq!(s.send(&msg).unwrap(), msg.len());
                            let n = s.recv(&mut got).unwrap();
                            assert_eq!(&got[..n], &msg[..], "client {c} round {r}");
                        } else {
                            assert_eq!(s.send_to(&msg, &server_path).unwrap(), msg.len());
                            let (n, from) = s.recv_from(&mut got).unwrap();
                            assert_eq!(from.as_pathname(), Some(&*server_path));
                            assert_eq!(&got[..n], &msg[..], "client {c} round {r}");
                        }
                    }
                })
            })
            .collect();
        clients.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn pair_peek_addresses_and_conversions() {
    on_runtime(2, 20, || {
        let (a, b) = UnixDatagram::pair().unwrap();
        assert!(a.peer_addr().unwrap().is_unnamed() && a.local_addr().unwrap().is_unnamed());
        let reader = gpm::go(move || {
            let mut buf = [0u8; 16];
            assert_eq!(b.peek(&mut buf).unwrap(), 3);
            assert_eq!(b.peek(&mut buf).unwrap(), 3);
            assert_eq!(&buf[..3], b"one");
            buf = [0; 16];
            assert_eq!(b.recv(&mut buf).unwrap(), 3);
            assert_eq!(&buf[..3], b"one");
            b
        });
        gpm::sleep(ms(20)); // let the reader park first
        a.send(b"one").unwrap();
        let _b = reader.join().unwrap();

        // An unbound sender is unnamed; an abstract address (Linux) works both ways.
        let name = format!("gpm-net-dgram-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let server = UnixDatagram::bind_addr(&addr).unwrap();
        let anon = UnixDatagram::unbound().unwrap();
        anon.send_to_addr(b"anon", &addr).unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from.is_unnamed()), (&b"anon"[..], true));
        anon.connect_addr(&addr).unwrap();
        anon.send(b"again").unwrap();
        assert_eq!(server.recv(&mut buf).unwrap(), 5);
        assert_eq!(server.local_addr().unwrap().as_abstract_name(), Some(name.as_bytes()));

        let c = server.try_clone().unwrap();
        anon.send(b"clone").unwrap();
        assert_eq!(c.recv(&mut buf).unwrap(), 5);
        assert!(server.take_error().unwrap().is_none());
        let s = server.into_std().unwrap();
        assert!(s.read_timeout().unwrap().is_none());
        anon.send(b"std").unwrap();
        assert_eq!(s.recv(&mut buf).unwrap(), 3); // blocking mode again
        let back = UnixDatagram::from(s);
        back.set_read_timeout(Some(ms(10))).unwrap();
        assert_eq!(back.recv(&mut buf).unwrap_err().kind(), io::ErrorKind::TimedOut);
        let err = UnixDatagram::bind(TempPath::new("dgram-missing").0.join("x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    });
}

#[test]
fn a_full_queue_parks_the_sender_until_the_receiver_reads() {
    on_runtime(2, 20, || {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.set_write_timeout(Some(ms(50))).unwrap();
        assert_eq!(a.write_timeout().unwrap(), Some(ms(50)));
        let mut sent = 0u64;
        let err = loop {
            match a.send(&bytes(sent, 100)) {
                Ok(_) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 1_000_000, "a million datagrams queued to a peer that never reads");
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(sent > 0);
        a.set_write_timeout(None).unwrap();
        let a = Arc::new(a);
        let sender = {
            let a = a.clone();
            gpm::go(move || a.send(&bytes(sent, 100)).unwrap())
        };
        gpm::sleep(ms(30));
        assert!(!sender.is_finished(), "a send to a full queue did not wait");
        let mut buf = [0u8; 200];
        for i in 0..=sent {
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &bytes(i, 100)[..], "datagram {i}");
        }
        assert_eq!(sender.join().unwrap(), 100);
    });
}

#[test]
fn read_timeouts_and_deadlines() {
    on_runtime(2, 20, || {
        let (a, b) = UnixDatagram::pair().unwrap();
        let err = a.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        a.set_read_timeout(Some(ms(30))).unwrap();
        let t = Instant::now();
        let err = a.recv(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(t.elapsed() >= ms(30) && t.elapsed() < ms(2000), "took {:?}", t.elapsed());
        a.set_read_timeout(None).unwrap();

        // A past deadline fails even with a datagram waiting, until it is cleared.
        b.send(b"data").unwrap();
        a.set_read_deadline(Some(Instant::now() - ms(1)));
        assert_eq!(a.recv(&mut [0u8; 4]).unwrap_err().kind(), io::ErrorKind::TimedOut);
        a.set_write_deadline(Some(Instant::now() - ms(1)));
        assert_eq!(a.send(b"x").unwrap_err().kind(), io::ErrorKind::TimedOut);
        a.set_deadline(None);
        assert_eq!(a.recv(&mut [0u8; 4]).unwrap(), 4);

        // A deadline moved earlier while a receive waits ends it.
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
        let err = a.recv(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(t.elapsed() >= ms(50) && t.elapsed() < ms(2000), "took {:?}", t.elapsed());
        mover.join().unwrap();
    });
}

/// Linux's non-blocking datagram receive does not see a shutdown (it keeps saying
/// `WouldBlock`); the socket's own flag ends the wait, also through a `try_clone`, on a
/// plain thread too, and only once the queued datagrams are taken.
#[test]
fn shutdown_from_elsewhere_ends_a_blocked_recv() {
    on_runtime(2, 20, || {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let a = Arc::new(a);
        let reader = {
            let a = a.clone();
            gpm::go(move || a.recv(&mut [0u8; 4]))
        };
        gpm::sleep(ms(30));
        assert!(!reader.is_finished());
        a.shutdown(Shutdown::Both).unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), 0);

        let (a, b) = UnixDatagram::pair().unwrap();
        let clone = a.try_clone().unwrap();
        let reader = gpm::go(move || {
            let mut buf = [0u8; 4];
            let first = a.recv_from(&mut buf).unwrap();
            (first.0, buf, a.recv_from(&mut buf).unwrap())
        });
        gpm::sleep(ms(30));
        b.send(b"last").unwrap();
        clone.shutdown(Shutdown::Read).unwrap();
        let (n, buf, (eof, from)) = reader.join().unwrap();
        assert_eq!((n, &buf, eof, from.is_unnamed()), (4, b"last", 0, true));
    });
    deadline(20, || {
        let (a, _b) = UnixDatagram::pair().unwrap();
        let a = Arc::new(a);
        let reader = {
            let a = a.clone();
            std::thread::spawn(move || a.peek(&mut [0u8; 4]))
        };
        std::thread::sleep(ms(30));
        a.shutdown(Shutdown::Read).unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), 0);
    });
}

#[test]
fn every_call_works_from_plain_threads() {
    deadline(20, || {
        let (a, b) = UnixDatagram::pair().unwrap();
        const N: u64 = 2000; // far more than a receive queue holds: the sender blocks
        let sender = std::thread::spawn(move || {
            for i in 0..N {
                a.send(&bytes(i, 1 + (i % 500) as usize)).unwrap();
            }
            a
        });
        let mut buf = [0u8; 600];
        for i in 0..N {
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &bytes(i, 1 + (i % 500) as usize)[..], "datagram {i}");
        }
        let _a = sender.join().unwrap();
        b.set_read_timeout(Some(ms(20))).unwrap();
        assert_eq!(b.recv(&mut buf).unwrap_err().kind(), io::ErrorKind::TimedOut);
    });
}
