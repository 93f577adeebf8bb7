package training

import (
	"runtime"
	"sync"
)

// threadCount turns a Threads setting (0 = one per CPU) into a worker count.
func threadCount(n int) int {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return max(n, 1)
}

// parallelChunks calls fn(t, lo, hi) for threads contiguous chunks of [0, n) and waits for all.
// Chunk t runs on the calling goroutine when t == 0. Callers keep results deterministic by
// writing each index's result only from the chunk that owns it, or by summing integers.
func parallelChunks(n, threads int, fn func(t, lo, hi int)) {
	threads = max(min(threads, n), 1)
	if threads == 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < threads; t++ {
		lo, hi := n*t/threads, n*(t+1)/threads
		wg.Go(func() { fn(t, lo, hi) })
	}
	fn(0, 0, n/threads)
	wg.Wait()
}

// parallelFor calls fn(i) for every i in [0, n) from at most threads goroutines, handing out
// indices one at a time; fn must write only to what index i owns.
func parallelFor(n, threads int, fn func(i int)) {
	threads = max(min(threads, n), 1)
	if threads == 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		i := next
		next++
		return i
	}
	for range threads {
		wg.Go(func() {
			for i := take(); i < n; i = take() {
				fn(i)
			}
		})
	}
	wg.Wait()
}
