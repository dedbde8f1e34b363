//! The `echo` load: `conns` connections, each with one 64-byte message in flight.
//!
//! Every connection sends 64 bytes, waits for the same 64 bytes back (checked byte by byte),
//! and sends the next one at once. One thread drives all of them through a level-triggered
//! epoll, so the client's own cost per round trip is the same whatever the server. The first
//! [`warm_up`] of the run is not counted (connections reach their steady state, the server
//! grows its pools); then round trips are counted and their latency, from the `write` to
//! the read that completes the reply, is recorded in a [`Histogram`].

use crate::hist::Histogram;
use crate::sys::{Epoll, connect_many};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Bytes per message.
pub const MSG: usize = 64;

/// What one echo run measured.
pub struct EchoStats {
    /// Round trips completed in the measured window.
    pub round_trips: u64,
    /// The measured window.
    pub window: Duration,
    /// Their latencies in nanoseconds.
    pub hist: Histogram,
}

/// The part of the run that is not measured: a tenth, at least 100 ms and at most 1 s.
pub fn warm_up(run: Duration) -> Duration {
    (run / 10).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

struct Conn {
    sock: TcpStream,
    sent_at: Instant,
    seq: u64,
    got: usize,
    buf: [u8; MSG],
}

/// The message connection `id` sends as its `seq`th: a pattern no two neighbours share, so a
/// reply delivered to the wrong connection or out of order fails the check.
fn message(id: usize, seq: u64) -> [u8; MSG] {
    let mut m = [0u8; MSG];
    for (i, b) in m.iter_mut().enumerate() {
        *b = (id as u64).wrapping_mul(31).wrapping_add(seq.wrapping_mul(7)).wrapping_add(i as u64)
            as u8;
    }
    m
}

/// Runs the echo load for `warm_up(run) + run`.
pub fn run(port: u16, conns: usize, run: Duration) -> io::Result<EchoStats> {
    let epoll = Epoll::new()?;
    let now = Instant::now();
    let mut all = Vec::with_capacity(conns);
    for (id, sock) in
        connect_many(port, conns, Duration::from_secs(10), false)?.into_iter().enumerate()
    {
        sock.set_nodelay(true)?;
        epoll.add(sock.as_raw_fd(), id as u64)?;
        all.push(Conn { sock, sent_at: now, seq: 0, got: 0, buf: [0; MSG] });
    }
    for (id, c) in all.iter_mut().enumerate() {
        send(c, id)?;
    }
    let measure_from = Instant::now() + warm_up(run);
    let end = measure_from + run;
    let mut stats = EchoStats { round_trips: 0, window: run, hist: Histogram::new() };
    let mut events = Vec::with_capacity(1024);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(stats);
        }
        epoll.wait(&mut events, left.as_millis().clamp(1, 1000) as i32)?;
        for ev in &events {
            let id = ev.u64 as usize;
            let c = &mut all[id];
            let Some(done) = receive(c, id)? else { continue };
            if done >= end {
                return Ok(stats);
            }
            if done >= measure_from {
                stats.round_trips += 1;
                stats.hist.record((done - c.sent_at).as_nanos() as u64);
            }
            c.seq += 1;
            send(c, id)?;
        }
    }
}

/// Sends connection `id`'s next message. Its previous one has been answered in full, so the
/// socket's send buffer is empty and 64 bytes go out in one `write`.
fn send(c: &mut Conn, id: usize) -> io::Result<()> {
    let msg = message(id, c.seq);
    c.got = 0;
    c.sent_at = Instant::now();
    match c.sock.write(&msg) {
        Ok(MSG) => Ok(()),
        Ok(n) => Err(io::Error::other(format!("connection {id}: short write of {n} bytes"))),
        Err(e) => Err(io::Error::new(e.kind(), format!("connection {id}: write: {e}"))),
    }
}

/// Reads what has arrived for connection `id`; `Some(now)` once the whole reply is in and
/// matches what was sent.
fn receive(c: &mut Conn, id: usize) -> io::Result<Option<Instant>> {
    loop {
        match c.sock.read(&mut c.buf[c.got..]) {
            Ok(0) => {
                return Err(io::Error::other(format!("connection {id}: closed by the server")));
            }
            Ok(n) => c.got += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io::Error::new(e.kind(), format!("connection {id}: read: {e}"))),
        }
        if c.got == MSG {
            let now = Instant::now();
            if c.buf != message(id, c.seq) {
                return Err(io::Error::other(format!(
                    "connection {id}: reply {} differs from the message sent",
                    c.seq
                )));
            }
            return Ok(Some(now));
        }
    }
}
