//! Dropping a runtime whose goroutines are blocked in socket reads (and in accept)
//! cancels them, and every socket they owned is closed: the process's fd count
//! (`/proc/self/fd`) after the drop is what it was before the runtime was made. The only
//! test of its binary, so no other test opens fds meanwhile.

mod net_support;

use std::io::Read;
use std::time::{Duration, Instant};

use gpm::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use net_support::{deadline, open_fds, runtime};

#[test]
fn runtime_drop_cancels_blocked_reads_and_closes_every_fd() {
    deadline(30, || {
        // Warm-ups that open fds for good (std's lazily made ones), outside the count.
        drop(runtime(2));
        let before = open_fds();
        let rt = runtime(2);
        const PAIRS: usize = 50;
        let (handles, waiting) = rt.block_on(|| {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            let mut hs = Vec::new();
            for _ in 0..PAIRS {
                let c = TcpStream::connect(addr).unwrap();
                let (s, _) = l.accept().unwrap();
                for mut s in [c, s] {
                    hs.push(gpm::go(move || s.read(&mut [0u8; 1]).map(|_| ())));
                }
            }
            for _ in 0..10 {
                let (mut a, _b) = UnixStream::pair().unwrap();
                hs.push(gpm::go(move || {
                    let _keep = _b;
                    a.read(&mut [0u8; 1]).map(|_| ())
                }));
                let u = UdpSocket::bind("127.0.0.1:0").unwrap();
                hs.push(gpm::go(move || u.recv(&mut [0u8; 1]).map(|_| ())));
                let (d, _e) = UnixDatagram::pair().unwrap();
                hs.push(gpm::go(move || {
                    let _keep = _e;
                    d.recv(&mut [0u8; 1]).map(|_| ())
                }));
            }
            hs.push(gpm::go(move || l.accept().map(|_| ())));
            let n = hs.len();
            (hs, n)
        });
        let t = Instant::now();
        while rt.stats().waiting < waiting {
            assert!(t.elapsed() < Duration::from_secs(10), "not all parked: {:?}", rt.stats());
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(open_fds() >= before + 2 * PAIRS + 50);
        drop(rt);
        for h in handles {
            assert!(h.join().is_err(), "a goroutine blocked in the poller finished");
        }
        let after = open_fds();
        assert_eq!(after, before, "fds before the runtime: {before}, after its drop: {after}");
    });
}
