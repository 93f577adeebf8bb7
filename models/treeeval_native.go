package models

import (
	"sync"
	"sync/atomic"
)

// chunkRows is the unit of work one goroutine takes at a time: big enough that handing it out
// costs nothing, small enough that two or more threads finish together.
const chunkRows = 16 * blockRows

// nativeEval scores rows with a compiled tree ensemble, threads goroutines at a time. It holds
// no buffers between calls and is safe for concurrent use.
type nativeEval struct {
	c       *compiled
	f       *forest
	threads int
}

func newNativeEval(c *compiled, threads int) *nativeEval {
	return &nativeEval{c: c, f: newForest(c), threads: max(threads, 1)}
}

// score writes the scores of rows rows of x into out; the caller has checked the lengths.
func (e *nativeEval) score(x []float32, rows int, out []float32) {
	chunks := (rows + chunkRows - 1) / chunkRows
	workers := min(e.threads, chunks)
	if workers <= 1 {
		e.scoreRange(x, 0, rows, out)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= chunks {
					return
				}
				lo := k * chunkRows
				e.scoreRange(x, lo, min(lo+chunkRows, rows), out)
			}
		}()
	}
	wg.Wait()
}

// scoreRange scores rows lo..hi, blockRows at a time.
func (e *nativeEval) scoreRange(x []float32, lo, hi int, out []float32) {
	w := e.c.width
	var s0, s1 [blockRows]float32
	k := make([]uint32, keysLen(w))
	for b := lo; b < hi; b += blockRows {
		n := min(blockRows, hi-b)
		e.f.sums(x[b*w:(b+n)*w], n, s0[:], s1[:], k)
		o := out[b : b+n]
		for i := range o {
			o[i] = e.c.final(s0[i], s1[i])
		}
		for _, op := range e.c.post {
			op(o)
		}
	}
}
