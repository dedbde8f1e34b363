// The servers of the network workloads, Go's twins of benches/workloads/net/ (see
// benches/README.md, "Network workloads"):
//
//	gobench serve_echo <procs>
//
// Each listens on 127.0.0.1:0, prints "LISTEN port=<port>" on stdout, and serves until it is
// killed. Go sets TCP_NODELAY on every TCP connection and raises RLIMIT_NOFILE itself.
package main

import (
	"fmt"
	"net"
	"time"
)

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

// acceptLoop starts one goroutine per accepted connection (the Rust accept_loop).
func acceptLoop(ln net.Listener, kind string) {
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
		}
	}
}

// serve runs one server; the process's exit code.
func serve(kind string) int {
	switch kind {
	case "serve_echo":
	default:
		fmt.Println("RESULT system=go workload=" + kind + " value=NaN unit=? ok=false error=unknown server kind")
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // backlog: somaxconn
	if err != nil {
		fmt.Println("RESULT system=go workload="+kind+" value=NaN unit=? ok=false error=listen:", err)
		return 1
	}
	go acceptLoop(ln, kind)
	fmt.Printf("LISTEN port=%d\n", ln.Addr().(*net.TCPAddr).Port) // os.Stdout is unbuffered
	select {}                                                     // serve until killed
}
