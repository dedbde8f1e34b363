//! `http_check`: before `wrk` loads an HTTP server, two pipelined `GET`s on one keep-alive
//! connection, each reply checked in full (status `200`, `Content-Length: 13`, body
//! `Hello, World!`). wrk counts replies but reads no body, so a server that answers with the
//! wrong bytes would otherwise go unnoticed.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: netclient\r\n\r\n";
const BODY: &[u8] = b"Hello, World!";

/// Sends two requests in one write and checks both replies; `Err` says what was wrong.
pub fn check(port: u16) -> Result<(), String> {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect to port {port}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
    s.write_all(&[REQUEST, REQUEST].concat()).map_err(|e| format!("write: {e}"))?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut replies = 0;
    while replies < 2 {
        while let Some(len) = reply_len(&got)? {
            got.drain(..len);
            replies += 1;
        }
        if replies == 2 {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => return Err(format!("connection closed after {replies} of 2 replies")),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("read after {replies} of 2 replies: {e}")),
        }
    }
    if !got.is_empty() {
        return Err(format!("{} bytes after the second reply", got.len()));
    }
    Ok(())
}

/// The length of the complete reply at the front of `b`, `None` while it is incomplete, or
/// `Err` naming what is wrong with it.
fn reply_len(b: &[u8]) -> Result<Option<usize>, String> {
    let Some(head_end) = b.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = String::from_utf8_lossy(&b[..head_end]);
    if !head.starts_with("HTTP/1.1 200 ") {
        return Err(format!("status line: {:?}", head.lines().next().unwrap_or("")));
    }
    let length = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .map(|(_, v)| v.trim().to_string());
    if length.as_deref() != Some("13") {
        return Err(format!("Content-Length: {length:?}, expected 13"));
    }
    let end = head_end + 4 + BODY.len();
    if b.len() < end {
        return Ok(None);
    }
    if &b[head_end + 4..end] != BODY {
        return Err(format!("body {:?}", String::from_utf8_lossy(&b[head_end + 4..end])));
    }
    Ok(Some(end))
}
