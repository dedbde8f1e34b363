//! 2,000 loopback connections open at once on two Ps: every client connects, all wait at
//! a barrier so every connection is open together, then each does round trips through
//! its own server goroutine, checking every byte. The netpoller raises the soft fd limit
//! to the hard one at its first registration; if the hard limit cannot hold 2,000
//! connections (two fds each), the test scales down and says so.

mod net_support;

use std::io::{Read, Write};
use std::time::Instant;

use gpm::net::{TcpListener, TcpStream};
use gpm::sync::WaitGroup;
use net_support::{bytes, fd_limit, on_runtime, open_fds};

#[test]
fn two_thousand_concurrent_loopback_connections() {
    const WANTED: usize = 2000;
    let (n, took) = on_runtime(2, 60, || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // One connection first: it registers with the poller, which raises the limit.
        let first = gpm::go(move || TcpStream::connect(addr).unwrap());
        let (_s0, _) = l.accept().unwrap();
        let _c0 = first.join().unwrap();
        let room = fd_limit().saturating_sub(open_fds() + 64) / 2;
        let n = WANTED.min(room);
        if n < WANTED {
            eprintln!("net_scale: fd limit {} holds only {n} connections", fd_limit());
        }
        assert!(n >= 100, "fd limit {} too low for this test", fd_limit());
        let t = Instant::now();
        gpm::go(move || {
            for conn in l.incoming() {
                let mut s = conn.unwrap();
                gpm::go(move || {
                    let mut buf = [0u8; 512];
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(k) => s.write_all(&buf[..k]).unwrap(),
                        }
                    }
                });
            }
        });
        let all_open = WaitGroup::new();
        all_open.add(n as isize);
        let hs: Vec<_> = (0..n as u64)
            .map(|c| {
                let all_open = all_open.clone();
                gpm::go(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    all_open.done();
                    all_open.wait();
                    let mut got = [0u8; 300];
                    for r in 0..5u64 {
                        let msg = bytes(c * 10 + r, 1 + ((c + r * 61) % 300) as usize);
                        s.write_all(&msg).unwrap();
                        s.read_exact(&mut got[..msg.len()]).unwrap();
                        assert_eq!(&got[..msg.len()], &msg[..], "conn {c} round {r}");
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        (n, t.elapsed())
    });
    eprintln!("net_scale: {n} connections open at once, 5 round trips each, in {took:?}");
}
