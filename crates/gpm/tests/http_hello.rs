//! The `http_hello` example, driven from outside as its clients would: `curl` (the body,
//! the headers, keep-alive across two URLs, a body behind `Expect: 100-continue`, `HEAD`)
//! and raw TCP (pipelined and cut-up requests, bodies split across writes, many
//! connections at once, HTTP/1.0, and the unsupported requests that get an error and a
//! close). The server is the example's own code in a child process (this test binary run
//! again with `server_child`), so it is never a stale build; a guard kills it even when
//! the test fails.

#[allow(dead_code)]
#[path = "../examples/http_hello.rs"]
mod http_hello;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use http_hello::Parsed;

const CHILD_ENV: &str = "GPM_HTTP_HELLO_CHILD";
const HELLO: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
const HELLO_CLOSE: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\
                           Connection: close\r\n\r\nHello, World!";

/// The server's process: the example's `run` on the address in `CHILD_ENV`; a no-op in
/// the parent's run.
#[test]
fn server_child() {
    if let Some(addr) = std::env::var_os(CHILD_ENV) {
        http_hello::run(addr.to_str().unwrap()).unwrap();
    }
}

/// A running server; killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Server {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["server_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, "127.0.0.1:0")
            .env("GPM_MAXPROCS", "2")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut server = Server { child, addr: "0.0.0.0:0".parse().unwrap() };
        // A reader thread finds the address and then drains stdout, so the child never
        // blocks on a full pipe; a server that exits or says nothing fails the test.
        let stdout = server.child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // libtest's `test server_child ... ` may open the line.
                if let Some((_, a)) = line.split_once("http_hello: listening on http://") {
                    let _ = tx.send(a.parse::<SocketAddr>().expect("the printed address"));
                }
            }
        });
        server.addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server did not print `http_hello: listening on http://ADDR`");
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A raw connection with a read timeout, so a missing reply fails instead of hanging.
    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads exactly `n` bytes, as text.
fn read_n(s: &mut TcpStream, n: usize) -> String {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).unwrap_or_else(|e| panic!("reading {n} bytes: {e}"));
    String::from_utf8(buf).unwrap()
}

/// Reads until the server closes, as text.
fn read_to_eof(s: &mut TcpStream) -> String {
    let mut v = String::new();
    s.read_to_string(&mut v).expect("the server closes the connection");
    v
}

/// `curl ARGS`, or `None` (with a line saying so) where curl is missing outside CI.
fn curl(args: &[&str], stdin: Option<&[u8]>) -> Option<(String, String)> {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--max-time", "20", "--http1.1"]).args(args);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(std::env::var_os("CI").is_none(), "curl is missing, and CI must have it");
            eprintln!("skipped: curl is not installed");
            return None;
        }
        r => r.expect("run curl"),
    };
    let mut input = child.stdin.take().unwrap();
    let data = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "curl {args:?}: {}\nstderr: {stderr}", out.status);
    Some((stdout.into_owned(), stderr.into_owned()))
}

#[test]
fn curl_gets_hello_world_over_one_kept_alive_connection() {
    let server = Server::start();
    let (a, b) = (server.url("/"), server.url("/second?x=1"));
    let Some((body, log)) = curl(&["--verbose", &a, &b], None) else { return };
    assert_eq!(body, "Hello, World!Hello, World!");
    assert!(log.contains("Re-using existing connection"), "no reuse in: {log}");
    assert!(log.contains("< Content-Length: 13"), "{log}");
    assert!(log.contains("< Content-Type: text/plain"), "{log}");

    // Bodies are read past: a form post twice on one connection, then 100 KB sent only
    // after `100 Continue`.
    let (body, log) = curl(&["--verbose", "-d", "a=1&b=2", &a, &b], None).unwrap();
    assert_eq!(body, "Hello, World!Hello, World!");
    assert!(log.contains("Re-using existing connection"), "no reuse in: {log}");
    let big = vec![b'x'; 100_000];
    let args = ["--verbose", "-H", "Expect: 100-continue", "--data-binary", "@-", &a, &b];
    let (body, log) = curl(&args, Some(&big)).unwrap();
    assert_eq!(body, "Hello, World!Hello, World!");
    assert!(log.contains("HTTP/1.1 100 Continue"), "{log}");
    assert!(log.contains("Re-using existing connection"), "no reuse in: {log}");

    let (head, _) = curl(&["--head", &a], None).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 13\r\n") && !head.contains("Hello"), "{head}");
}

#[test]
fn pipelined_and_cut_up_requests_are_answered_in_order() {
    let server = Server::start();
    let mut s = server.connect();
    let get = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    s.write_all(get.repeat(2).as_bytes()).unwrap();
    assert_eq!(read_n(&mut s, 2 * HELLO.len()), HELLO.repeat(2));
    s.write_all(get.repeat(64).as_bytes()).unwrap();
    assert_eq!(read_n(&mut s, 64 * HELLO.len()), HELLO.repeat(64));

    // A request a few bytes at a time, then a body split across writes with the next
    // request behind it, and empty lines before a request line.
    for piece in get.as_bytes().chunks(3) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(read_n(&mut s, HELLO.len()), HELLO);
    s.write_all(b"POST /form HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234").unwrap();
    assert_eq!(read_n(&mut s, HELLO.len()), HELLO);
    std::thread::sleep(Duration::from_millis(20));
    s.write_all(format!("56789\r\n{get}").as_bytes()).unwrap();
    assert_eq!(read_n(&mut s, HELLO.len()), HELLO);
    s.write_all(b"HEAD / HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_n(&mut s, HELLO.len() - 13), HELLO[..HELLO.len() - 13]);

    // `Connection: close` gets its reply, then the end of the stream.
    s.write_all(b"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").unwrap();
    assert_eq!(read_to_eof(&mut s), HELLO_CLOSE);
}

#[test]
fn many_connections_at_once() {
    let server = Server::start();
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let mut s = server.connect();
            std::thread::spawn(move || {
                for n in 1..=20 {
                    s.write_all("GET / HTTP/1.1\r\n\r\n".repeat(n).as_bytes()).unwrap();
                    assert_eq!(read_n(&mut s, n * HELLO.len()), HELLO.repeat(n));
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().unwrap());
}

#[test]
fn http_1_0_closes_unless_kept_alive() {
    let server = Server::start();
    let mut s = server.connect();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_to_eof(&mut s), HELLO_CLOSE);
    let mut s = server.connect();
    s.write_all(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
    let kept = HELLO.replace("\r\n\r\n", "\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(read_n(&mut s, kept.len()), kept);
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_to_eof(&mut s), HELLO_CLOSE);
}

#[test]
fn unsupported_requests_get_an_error_and_a_close() {
    let server = Server::start();
    let long = format!("GET / HTTP/1.1\r\nX-Long: {}\r\n\r\n", "y".repeat(9000));
    let cases: [(&str, &str); 7] = [
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400"),
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "400"),
        ("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400"),
        ("hello\r\n\r\n", "400"),
        ("a=1 / HTTP/1.1\r\n\r\n", "400"),
        ("GET / HTTP/2.0\r\n\r\n", "505"),
        (&long, "431"),
    ];
    for (req, status) in cases {
        let mut s = server.connect();
        // A request behind the bad one is not answered.
        s.write_all(format!("GET / HTTP/1.1\r\n\r\n{req}GET / HTTP/1.1\r\n\r\n").as_bytes())
            .unwrap();
        let got = read_to_eof(&mut s);
        let (ok, err) = got.split_at(HELLO.len().min(got.len()));
        assert_eq!(ok, HELLO, "{req:?}");
        assert!(err.starts_with(&format!("HTTP/1.1 {status} ")), "{req:?}: {err:?}");
        assert!(err.contains("\r\nConnection: close\r\n"), "{req:?}: {err:?}");
        assert!(!err.contains("Hello"), "{req:?}: answered after the error: {err:?}");
    }
}

#[test]
fn the_parser_finds_the_end_of_each_request() {
    let get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    for cut in 0..get.len() {
        assert_eq!(http_hello::parse(&get[..cut]), Parsed::Partial, "cut at {cut}");
    }
    let req = |head, body, close| Parsed::Request {
        head,
        body,
        close,
        http10: false,
        head_only: false,
        expect_continue: false,
    };
    assert_eq!(http_hello::parse(get), req(get.len(), 0, false));
    assert_eq!(http_hello::parse(b"\r\n\r\nGET / HTTP/1.1\r\n\r\nGET"), req(22, 0, false));
    let post = b"POST / HTTP/1.1\r\ncontent-length:  7 \r\nConnection: close\r\n\r\n";
    assert_eq!(http_hello::parse(post), req(post.len(), 7, true));
    let folded = b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n";
    assert!(matches!(http_hello::parse(folded), Parsed::Unsupported { status: 400, .. }));
    let spaced = b"GET / HTTP/1.1\r\nContent-Length : 1\r\n\r\n";
    assert!(matches!(http_hello::parse(spaced), Parsed::Unsupported { status: 400, .. }));
}
