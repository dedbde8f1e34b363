//! The minimal HTTP/1.1 keep-alive server logic every Rust system runs (Go's raw-TCP twin in
//! `benches/go/main.go` is the same, line by line): a request is everything up to and
//! including the first `\r\n\r\n` (no body is expected, headers are not read), and each one
//! gets the same fixed reply. Pipelined requests are answered in order, all replies of one
//! read going out in one write.

/// The reply to every request.
pub const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";

/// Bytes a connection buffers; a request head that does not fit closes the connection.
pub const BUF: usize = 4096;

/// One connection's state: the bytes read and not yet answered, and the replies to send.
pub struct Session {
    buf: Vec<u8>,
    len: usize,
    out: Vec<u8>,
}

impl Session {
    /// A fresh connection.
    pub fn new() -> Session {
        Session { buf: vec![0; BUF], len: 0, out: Vec::with_capacity(RESPONSE.len() * 4) }
    }

    /// Where the next read goes.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Takes `n` freshly read bytes; returns the replies to write (possibly none), or `None`
    /// when the buffer is full without a complete request (the caller closes).
    pub fn filled(&mut self, n: usize) -> Option<&[u8]> {
        self.len += n;
        self.out.clear();
        let mut at = 0;
        while let Some(end) = head_end(&self.buf[at..self.len]) {
            at += end;
            self.out.extend_from_slice(RESPONSE);
        }
        self.buf.copy_within(at..self.len, 0);
        self.len -= at;
        (self.len < BUF).then_some(&self.out[..])
    }
}

/// The length of the request head at the front of `b` (through its `\r\n\r\n`), if complete.
fn head_end(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == b'\r') {
        let at = from + i;
        if b.len() < at + 4 {
            return None;
        }
        if &b[at..at + 4] == b"\r\n\r\n" {
            return Some(at + 4);
        }
        from = at + 1;
    }
    None
}
