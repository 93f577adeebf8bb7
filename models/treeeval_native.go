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

// rowSource hands the evaluator the rows it scores, a block at a time: rows b..b+n, row-major,
// either a slice of the caller's matrix or a copy made into buf (blockRows rows).
type rowSource interface {
	block(b, n int, buf []float32) []float32
}

// matrix is a row-major source: no copy.
type matrix struct {
	x []float32
	w int
}

func (m matrix) block(b, n int, _ []float32) []float32 { return m.x[b*m.w : (b+n)*m.w] }

// columns is a column-major source: each worker copies its block's rows out of the columns into
// its own L1-sized buffer, so that the transposition runs in parallel and in cache.
type columns [][]float32

func (c columns) block(b, n int, buf []float32) []float32 {
	w := len(c)
	buf = buf[:n*w]
	for f, col := range c {
		col := col[b : b+n]
		for i, v := range col {
			buf[i*w+f] = v
		}
	}
	return buf
}

// score writes the scores of rows rows of x into out; the caller has checked the lengths.
func (e *nativeEval) score(x []float32, rows int, out []float32) {
	e.scoreFrom(matrix{x, e.c.width}, rows, out)
}

// scoreFrom scores rows rows of src into out, chunkRows at a time on up to threads goroutines.
func (e *nativeEval) scoreFrom(src rowSource, rows int, out []float32) {
	chunks := (rows + chunkRows - 1) / chunkRows
	workers := min(e.threads, chunks)
	if workers <= 1 {
		e.scoreRange(src, 0, rows, out)
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
				e.scoreRange(src, lo, min(lo+chunkRows, rows), out)
			}
		}()
	}
	wg.Wait()
}

// scoreRange scores rows lo..hi, blockRows at a time.
func (e *nativeEval) scoreRange(src rowSource, lo, hi int, out []float32) {
	w := e.c.width
	var s0, s1 [blockRows]float32
	k := make([]uint32, keysLen(w))
	buf := make([]float32, blockRows*w)
	for b := lo; b < hi; b += blockRows {
		n := min(blockRows, hi-b)
		e.f.sums(src.block(b, n, buf), n, s0[:], s1[:], k)
		o := out[b : b+n]
		for i := range o {
			o[i] = e.c.final(s0[i], s1[i])
		}
		for _, op := range e.c.post {
			op(o)
		}
	}
}
