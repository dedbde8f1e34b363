// Command gobench is the Go column of `cargo xtask bench`: the same eight workloads as
// benches/workloads (the Rust program), with the same semantics and the same result line:
//
//	gobench <workload> <procs> [n]
//	RESULT system=go workload=pingpong procs=2 n=1000000 value=150.2 unit=ns/op ok=true
//
// The servers of the network workloads are in net.go (gobench serve_<kind> <procs> [n]).
//
// Standard library only. GOMAXPROCS is set to procs (the xtask also sets the environment
// variable). See benches/README.md for what each workload does.
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	ringTasks    = 1000
	timerSleep   = 10 * time.Millisecond
	skynetFanout = 10
	idleSettle   = 50 * time.Millisecond
	// One pingpong round trip in every rttEvery is timed (common::RTT_EVERY in the Rust twin).
	rttEvery = 16
)

// outcome is what one run measured; value is in the workload's unit (lower is better).
type outcome struct {
	value float64
	ok    bool
	err   string
	extra []metric // further figures, each its own RESULT line with metric=<name>
}

// metric is one further figure of a run (the timers lateness and pingpong round-trip
// percentiles, in ns).
type metric struct {
	name  string
	value float64
	unit  string
}

func perOp(elapsed time.Duration, ops uint64, ok bool, what string) outcome {
	return checked(float64(elapsed.Nanoseconds())/float64(max(ops, 1)), ok, what)
}

func checked(value float64, ok bool, what string) outcome {
	if ok {
		return outcome{value: value, ok: true}
	}
	return outcome{value: value, ok: false, err: "check failed: " + what}
}

// pct is the q-th percentile of sorted (ascending): the value at rank (len-1)*q/100, the
// Rust programs' rule (common::percentile); NaN when empty.
func pct(sorted []int64, q int) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return float64(sorted[(len(sorted)-1)*q/100])
}

func triangle(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return n * (n - 1) / 2
}

// share is worker i's part of n operations split over tasks workers; shareStart its first item.
func share(n, tasks, i uint64) uint64 {
	if i < n%tasks {
		return n/tasks + 1
	}
	return n / tasks
}

func shareStart(n, tasks, i uint64) uint64 { return i*(n/tasks) + min(i, n%tasks) }

// rssBytes is VmRSS from /proc/self/status, in bytes (0 if unknown).
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, found := strings.CutPrefix(line, "VmRSS:"); found {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func spawnJoin(n uint64) outcome {
	start := time.Now()
	results := make([]uint64, n)
	var wg sync.WaitGroup
	wg.Add(int(n))
	for i := uint64(0); i < n; i++ {
		go func(i uint64) { results[i] = i; wg.Done() }(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var sum uint64
	for _, v := range results {
		sum += v
	}
	return perOp(elapsed, n, sum == triangle(n), "sum of joined values")
}

func pingpong(n uint64) outcome {
	ping, pong := make(chan uint64), make(chan uint64)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	rtt := make([]int64, 0, n/rttEvery+1) // sampled round trips, ns; allocated before the loop
	start := time.Now()
	var v uint64
	for i := uint64(0); i < n; i++ {
		var t0 time.Time
		sample := i%rttEvery == 0
		if sample {
			t0 = time.Now()
		}
		ping <- v
		v = <-pong
		if sample {
			rtt = append(rtt, int64(time.Since(t0)))
		}
	}
	elapsed := time.Since(start)
	close(ping)
	o := perOp(elapsed, n, v == n, "final counter")
	slices.Sort(rtt)
	o.extra = []metric{{"rtt_p50", pct(rtt, 50), "ns"}, {"rtt_p99", pct(rtt, 99), "ns"}}
	return o
}

func skynet(c chan<- uint64, num, size uint64) {
	if size == 1 {
		c <- num
		return
	}
	child := size / skynetFanout
	rc := make(chan uint64, skynetFanout)
	for i := uint64(0); i < skynetFanout; i++ {
		go skynet(rc, num+i*child, child)
	}
	var sum uint64
	for i := 0; i < skynetFanout; i++ {
		sum += <-rc
	}
	c <- sum
}

func skynetRun(n uint64) outcome {
	start := time.Now()
	c := make(chan uint64, 1)
	go skynet(c, 0, n)
	sum := <-c
	return perOp(time.Since(start), n, sum == triangle(n), "skynet sum")
}

func yieldMany(procs, n uint64) outcome {
	tasks := 4 * procs
	var total atomic.Uint64
	var wg sync.WaitGroup
	start := time.Now()
	for i := uint64(0); i < tasks; i++ {
		wg.Add(1)
		go func(k uint64) {
			defer wg.Done()
			for j := uint64(0); j < k; j++ {
				runtime.Gosched()
			}
			total.Add(k)
		}(share(n, tasks, i))
	}
	wg.Wait()
	return perOp(time.Since(start), n, total.Load() == n, "yield count")
}

func ring(n uint64) outcome {
	// Goroutine i receives on link i and sends on link i+1 (mod ringTasks). The one that sees
	// 0 reports and closes its outgoing link; each next one then closes its own: the ring unwinds.
	links := make([]chan uint64, ringTasks)
	for i := range links {
		links[i] = make(chan uint64)
	}
	done := make(chan uint64, 1)
	for i := 0; i < ringTasks; i++ {
		go func(i int, in <-chan uint64, out chan<- uint64) {
			defer close(out)
			for v := range in {
				if v == 0 {
					done <- uint64(i)
					return
				}
				out <- v - 1
			}
		}(i, links[i], links[(i+1)%ringTasks])
	}
	start := time.Now()
	links[0] <- n
	last := <-done
	return perOp(time.Since(start), n, last == n%ringTasks, "token ended at the wrong goroutine")
}

func fanin(procs, n uint64) outcome {
	producers := 2 * procs
	c := make(chan uint64, 1024)
	var wg sync.WaitGroup
	start := time.Now()
	for p := uint64(0); p < producers; p++ {
		wg.Add(1)
		go func(from, k uint64) {
			defer wg.Done()
			for v := from; v < from+k; v++ {
				c <- v
			}
		}(shareStart(n, producers, p), share(n, producers, p))
	}
	go func() { wg.Wait(); close(c) }()
	var count, sum uint64
	for v := range c {
		count++
		sum += v
	}
	return perOp(time.Since(start), n, count == n && sum == triangle(n), "count or sum")
}

func idleMem(n uint64) outcome {
	gate := make(chan struct{})
	var started, woke atomic.Uint64
	var wg sync.WaitGroup
	before := rssBytes()
	wg.Add(int(n))
	for i := uint64(0); i < n; i++ {
		go func() {
			defer wg.Done()
			started.Add(1)
			<-gate
			woke.Add(1)
		}()
	}
	for started.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(idleSettle)
	after := rssBytes()
	close(gate)
	wg.Wait()
	perTask := float64(after-min(before, after)) / float64(max(n, 1))
	return checked(perTask, woke.Load() == n, "not every task woke")
}

func timers(n uint64) outcome {
	late := make([]int64, n) // how late each goroutine woke, ns (-1: early)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(int(n))
	for i := uint64(0); i < n; i++ {
		go func(i uint64) {
			defer wg.Done()
			due := time.Now().Add(timerSleep)
			time.Sleep(timerSleep)
			late[i] = max(int64(time.Since(due)), -1)
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	ms := float64(elapsed.Nanoseconds()) / 1e6
	slices.Sort(late)
	o := checked(ms, n > 0 && late[0] >= 0 && elapsed >= timerSleep, "a sleep returned early")
	o.extra = []metric{{"late_p50", pct(late, 50), "ns"}, {"late_p99", pct(late, 99), "ns"}}
	return o
}

var units = map[string]string{"idle_mem": "B/task", "timers": "ms"}

var defaultN = map[string]uint64{
	"spawn_join": 1_000_000, "pingpong": 1_000_000, "skynet": 1_000_000, "yield": 10_000_000,
	"ring": 1_000_000, "fanin": 1_000_000, "idle_mem": 100_000, "timers": 100_000,
}

func run(workload string, procs, n uint64) outcome {
	switch workload {
	case "spawn_join":
		return spawnJoin(n)
	case "pingpong":
		return pingpong(n)
	case "skynet":
		return skynetRun(n)
	case "yield":
		return yieldMany(procs, n)
	case "ring":
		return ring(n)
	case "fanin":
		return fanin(procs, n)
	case "idle_mem":
		return idleMem(n)
	case "timers":
		return timers(n)
	}
	return outcome{value: 0, ok: false, err: "unknown workload " + workload}
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "pool" {
		os.Exit(poolMain(args[1:])) // its own table: `cargo xtask bench pool`
	}
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobench <workload> <procs> [n]")
		os.Exit(2)
	}
	workload := args[0]
	procs, err := strconv.ParseUint(args[1], 10, 64)
	if strings.HasPrefix(workload, "serve_") && err == nil && procs > 0 {
		runtime.GOMAXPROCS(int(procs))
		n := uint64(10_000) // serve_idle: the connections to await
		if len(args) > 2 {
			if n, err = strconv.ParseUint(args[2], 10, 64); err != nil {
				fmt.Fprintln(os.Stderr, "gobench: bad n:", args[2])
				os.Exit(2)
			}
		}
		os.Exit(serve(workload, procs, n))
	}
	n, known := defaultN[workload]
	if err != nil || procs == 0 || !known {
		fmt.Fprintln(os.Stderr, "gobench: bad workload or procs:", args)
		os.Exit(2)
	}
	if len(args) > 2 {
		if n, err = strconv.ParseUint(args[2], 10, 64); err != nil {
			fmt.Fprintln(os.Stderr, "gobench: bad n:", args[2])
			os.Exit(2)
		}
	}
	runtime.GOMAXPROCS(int(procs))
	unit, ok := units[workload]
	if !ok {
		unit = "ns/op"
	}
	o := run(workload, procs, n)
	line := fmt.Sprintf("RESULT system=go workload=%s procs=%d n=%d value=%.3f unit=%s ok=%t",
		workload, procs, n, o.value, unit, o.ok)
	if o.err != "" {
		line += " error=" + o.err
	}
	fmt.Println(line)
	for _, m := range o.extra {
		fmt.Printf("RESULT system=go workload=%s metric=%s procs=%d n=%d value=%.3f unit=%s ok=%t\n",
			workload, m.name, procs, n, m.value, m.unit, o.ok)
	}
	if !o.ok {
		os.Exit(1)
	}
}
