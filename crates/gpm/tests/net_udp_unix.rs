//! `gpm::net` UDP and Unix-domain streams: UDP round trips through an echo goroutine from
//! many clients, connected `send`/`recv`, `peek`, a receive deadline; Unix listener echo
//! round trips, `pair`, half close, a shutdown ending a blocked read, and plain threads.

mod net_support;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gpm::net::{UdpSocket, UnixListener, UnixStream};
use net_support::{TempPath, bytes, deadline, on_runtime, read_to_end, write_chunked};

#[test]
fn udp_round_trips_through_an_echo_goroutine() {
    const CLIENTS: u64 = 50;
    const ROUNDS: u64 = 40;
    on_runtime(2, 30, || {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        gpm::go(move || {
            let mut buf = [0u8; 2048];
            loop {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                server.send_to(&buf[..n], from).unwrap();
            }
        });
        let hs: Vec<_> = (0..CLIENTS)
            .map(|c| {
                gpm::go(move || {
                    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
                    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                    let mut got = [0u8; 2048];
                    let mut ok = 0;
                    for r in 0..ROUNDS {
                        let msg = bytes(c * 100 + r, 1 + ((c + r * 13) % 1400) as usize);
                        s.send_to(&msg, addr).unwrap();
                        // Loopback does not lose datagrams unless the buffer overflows;
                        // a lost one shows as a timeout and is counted, not hung on.
                        match s.recv_from(&mut got) {
                            Ok((n, from)) => {
                                assert_eq!(from, addr);
                                assert_eq!(&got[..n], &msg[..], "client {c} round {r}");
                                ok += 1;
                            }
                            Err(e) => assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        let ok: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(ok >= CLIENTS * ROUNDS * 9 / 10, "only {ok} of {} came back", CLIENTS * ROUNDS);
    });
}

#[test]
fn udp_connected_send_recv_peek_and_deadline() {
    on_runtime(2, 20, || {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), io::ErrorKind::NotConnected);
        a.connect(b.local_addr().unwrap()).unwrap();
        b.connect(a.local_addr().unwrap()).unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        let reader = gpm::go(move || {
            let mut buf = [0u8; 16];
            let n = b.peek(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"one");
            let (n, _) = b.peek_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"one");
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"one");
            b.set_read_deadline(Some(Instant::now() + Duration::from_millis(30)));
            let err = b.recv(&mut buf).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        });
        gpm::sleep(Duration::from_millis(20)); // let the reader park first
        a.send(b"one").unwrap();
        reader.join().unwrap();
        let c = a.try_clone().unwrap();
        assert_eq!(c.local_addr().unwrap(), a.local_addr().unwrap());
        assert!(a.take_error().unwrap().is_none());
        let s = a.into_std().unwrap();
        assert!(s.read_timeout().unwrap().is_none());
        let _back = UdpSocket::from(s);
    });
}

#[test]
fn unix_listener_echo_round_trips() {
    let path = TempPath::new("echo");
    let p = path.0.clone();
    on_runtime(2, 30, move || {
        let l = UnixListener::bind(&p).unwrap();
        assert_eq!(l.local_addr().unwrap().as_pathname(), Some(p.as_path()));
        gpm::go(move || {
            for conn in l.incoming() {
                let s = conn.unwrap();
                gpm::go(move || {
                    let mut buf = [0u8; 4096];
                    loop {
                        match (&s).read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => (&s).write_all(&buf[..n]).unwrap(),
                        }
                    }
                });
            }
        });
        let hs: Vec<_> = (0..50u64)
            .map(|c| {
                let p = p.clone();
                gpm::go(move || {
                    let mut s = UnixStream::connect(&p).unwrap();
                    let mut got = vec![0u8; 2000];
                    for r in 0..40u64 {
                        let msg = bytes(c * 100 + r, 1 + ((c * 7 + r * 31) % 2000) as usize);
                        s.write_all(&msg).unwrap();
                        s.read_exact(&mut got[..msg.len()]).unwrap();
                        assert_eq!(&got[..msg.len()], &msg[..]);
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}

#[test]
fn unix_pair_half_close_and_shutdown_from_another_goroutine() {
    on_runtime(2, 20, || {
        let (a, b) = UnixStream::pair().unwrap();
        let peer = gpm::go(move || {
            let got = read_to_end(&b).unwrap();
            write_chunked(&b, &got, 10_000).unwrap();
        });
        write_chunked(&a, &bytes(3, 300_000), 8192).unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&a).unwrap(), bytes(3, 300_000));
        peer.join().unwrap();

        let (a, _b) = UnixStream::pair().unwrap();
        let a = Arc::new(a);
        let reader = {
            let a = a.clone();
            gpm::go(move || (&*a).read(&mut [0u8; 4]))
        };
        gpm::sleep(Duration::from_millis(30));
        a.shutdown(Shutdown::Both).unwrap();
        assert!(matches!(reader.join().unwrap(), Ok(0) | Err(_)));

        let (a, _b) = UnixStream::pair().unwrap();
        a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let err = (&a).read(&mut [0u8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    });
}

#[test]
fn unix_streams_from_plain_threads() {
    let path = TempPath::new("threads");
    let p = path.0.clone();
    deadline(20, move || {
        let l = UnixListener::bind(&p).unwrap();
        let server = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let got = read_to_end(&s).unwrap();
            (&s).write_all(&got).unwrap();
        });
        let s = UnixStream::connect(&p).unwrap();
        write_chunked(&s, &bytes(9, 500_000), 50_000).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_end(&s).unwrap(), bytes(9, 500_000));
        server.join().unwrap();
        let err = UnixStream::connect(p.with_extension("missing")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    });
}
