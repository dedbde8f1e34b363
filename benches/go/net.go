// The servers of the network workloads, Go's twins of benches/workloads/net/ (see
// benches/README.md, "Network workloads"):
//
//	gobench serve_echo|serve_http|serve_nethttp|serve_idle <procs> [n]
//
// Each listens on 127.0.0.1:0, prints "LISTEN port=<port>" on stdout, and serves until it is
// killed; serve_idle instead prints a RESULT line once n connections are blocked in a read,
// and exits. Go sets TCP_NODELAY on every TCP connection and raises RLIMIT_NOFILE itself.
package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// idleConnSettle is how long serve_idle waits after the n-th connection blocked
	// (IDLE_CONN_SETTLE in net/mod.rs).
	idleConnSettle = 200 * time.Millisecond
	// idleWait bounds the wait for the n connections.
	idleWait = 60 * time.Second
	// httpBuf is the bytes one HTTP connection buffers (http::BUF).
	httpBuf = 4096
)

// httpResponse is the reply to every request (http::RESPONSE).
var httpResponse = []byte("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!")

// echoConn echoes what c reads until the peer closes or an error (echo_conn).
func echoConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096) // the Rust servers' [0u8; 4096]
	for {
		n, err := c.Read(buf) // parks the goroutine in the netpoller until readable
		if err != nil || n == 0 {
			return // peer closed (io.EOF) or failed
		}
		if _, err := c.Write(buf[:n]); err != nil { // write_all: Go's Write writes everything
			return
		}
	}
}

// httpConn is the raw-TCP twin of http_conn + http::Session: a request is everything up to
// the first "\r\n\r\n"; each gets httpResponse; the replies of one read go out in one write.
func httpConn(c net.Conn) {
	defer c.Close()
	buf := make([]byte, httpBuf)                // Session.buf
	filled := 0                                 // Session.len: bytes read and not yet answered
	out := make([]byte, 0, 4*len(httpResponse)) // Session.out
	for {
		n, err := c.Read(buf[filled:]) // read into Session::spare()
		if err != nil || n == 0 {
			return
		}
		filled += n // Session::filled(n) from here on
		out = out[:0]
		at := 0
		for {
			i := bytes.Index(buf[at:filled], []byte("\r\n\r\n")) // head_end
			if i < 0 {
				break
			}
			at += i + 4                        // consume the request head
			out = append(out, httpResponse...) // one reply per request
		}
		copy(buf, buf[at:filled]) // keep the incomplete rest at the front
		filled -= at
		if filled == httpBuf { // a head larger than the buffer: close (Session returns None)
			return
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

// idleConn counts the connection, greets the client with one byte, then blocks reading 64
// bytes until the peer closes (idle_conn).
func idleConn(c net.Conn, started *atomic.Uint64) {
	defer c.Close()
	started.Add(1)
	if _, err := c.Write([]byte("!")); err != nil { // GREETING
		return
	}
	buf := make([]byte, 64)
	for {
		if n, err := c.Read(buf); err != nil || n == 0 {
			return
		}
	}
}

// acceptLoop starts one goroutine per accepted connection (the Rust accept_loop).
func acceptLoop(ln net.Listener, kind string, started *atomic.Uint64) {
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Println("gobench: accept:", err) // e.g. EMFILE; retry after a pause
			time.Sleep(10 * time.Millisecond)
			continue
		}
		switch kind {
		case "serve_echo":
			go echoConn(c)
		case "serve_http":
			go httpConn(c)
		case "serve_idle":
			go idleConn(c, started)
		}
	}
}

// hello is the net/http handler: the same 13-byte body (net/http adds its Date and
// Content-Type headers).
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", "13")
	w.Write([]byte("Hello, World!"))
}

// serve runs one server; the process's exit code.
func serve(kind string, procs, n uint64) int {
	switch kind {
	case "serve_echo", "serve_http", "serve_nethttp", "serve_idle":
	default:
		fmt.Println("RESULT system=go workload=" + kind + " value=NaN unit=? ok=false error=unknown server kind")
		return 2
	}
	// Die with the process that started us (PR_SET_PDEATHSIG, as net/mod.rs die_with_parent).
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // backlog: somaxconn
	if err != nil {
		fmt.Println("RESULT system=go workload="+kind+" value=NaN unit=? ok=false error=listen:", err)
		return 1
	}
	var started atomic.Uint64
	if kind == "serve_nethttp" {
		go http.Serve(ln, http.HandlerFunc(hello)) // one goroutine per connection, keep-alive
	} else {
		go acceptLoop(ln, kind, &started)
	}
	before := rssBytes()                                          // as the Rust servers: after the runtime, the listener and the accept loop
	fmt.Printf("LISTEN port=%d\n", ln.Addr().(*net.TCPAddr).Port) // os.Stdout is unbuffered
	if kind != "serve_idle" {
		select {} // serve until killed
	}
	deadline := time.Now().Add(idleWait)
	for started.Load() < n {
		if time.Now().After(deadline) {
			fmt.Printf("RESULT system=go workload=idle_conn procs=%d n=%d value=NaN unit=? ok=false error=only %d of %d connections\n",
				procs, n, started.Load(), n)
			return 1
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(idleConnSettle)
	perConn := float64(rssBytes()-min(before, rssBytes())) / float64(max(n, 1))
	fmt.Printf("RESULT system=go workload=idle_conn procs=%d n=%d value=%.3f unit=B/conn ok=true\n",
		procs, n, perConn)
	return 0
}
