// The pool workload's Go rows (see benches/workloads/pool.rs for the Rust ones), in the
// shape of ants' own benchmark: n tasks, each sleeping poolTaskSleep, waited for with a
// WaitGroup; reports the wall time and the peak RSS (VmHWM).
//
//	gobench pool <go|go_sem> <procs> [n]
//	RESULT system=go workload=pool procs=2 n=1000000 value=1900.0 unit=ms peak_rss=126877696 ok=true
//
// go: one goroutine per task (ants' BenchmarkGoroutines); go_sem: a goroutine per task
// after a slot of a buffered channel of poolCapacity (ants' BenchmarkSemaphore).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	poolCapacity  = 50_000
	poolTaskSleep = 10 * time.Millisecond
)

// peakRSSBytes is VmHWM from /proc/self/status, in bytes (0 if unknown).
func peakRSSBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func poolRun(variant string, n uint64) (time.Duration, uint64, bool) {
	var done atomic.Uint64
	var wg sync.WaitGroup
	task := func() {
		time.Sleep(poolTaskSleep)
		done.Add(1)
		wg.Done()
	}
	start := time.Now()
	switch variant {
	case "go":
		for i := uint64(0); i < n; i++ {
			wg.Add(1)
			go task()
		}
	case "go_sem":
		sema := make(chan struct{}, poolCapacity)
		for i := uint64(0); i < n; i++ {
			wg.Add(1)
			sema <- struct{}{}
			go func() {
				task()
				<-sema
			}()
		}
	default:
		return 0, 0, false
	}
	wg.Wait()
	return time.Since(start), done.Load(), true
}

// poolMain runs `gobench pool <variant> <procs> [n]` and returns the exit code.
func poolMain(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobench pool <go|go_sem> <procs> [n]")
		return 2
	}
	variant := args[0]
	procs, err := strconv.ParseUint(args[1], 10, 64)
	n := uint64(1_000_000)
	if len(args) > 2 {
		n, err = strconv.ParseUint(args[2], 10, 64)
	}
	if err != nil || procs == 0 {
		fmt.Fprintln(os.Stderr, "gobench pool: bad procs or n:", args)
		return 2
	}
	runtime.GOMAXPROCS(int(procs))
	elapsed, done, known := poolRun(variant, n)
	ok := known && done == n
	line := fmt.Sprintf("RESULT system=%s workload=pool procs=%d n=%d value=%.3f unit=ms peak_rss=%d ok=%t",
		variant, procs, n, float64(elapsed.Nanoseconds())/1e6, peakRSSBytes(), ok)
	switch {
	case !known:
		line += " error=unknown variant " + variant
	case !ok:
		line += fmt.Sprintf(" error=check failed: %d of %d ran", done, n)
	}
	fmt.Println(line)
	if !ok {
		return 1
	}
	return 0
}
