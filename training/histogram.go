package training

import "math"

// gpair is a sum of gradients and hessians in fixed point: the real value times the training's
// scale. Integer sums do not depend on the order of addition, so a histogram built by any
// number of goroutines, or by subtracting a sibling from its parent, is exact.
type gpair struct{ g, h int64 }

// rowGrad is one row's gradient and hessian in the same fixed point, 8 bytes so that the
// gathers of a node's rows touch half the memory.
type rowGrad struct{ g, h int32 }

func (a gpair) add(b gpair) gpair { return gpair{a.g + b.g, a.h + b.h} }
func (a gpair) sub(b gpair) gpair { return gpair{a.g - b.g, a.h - b.h} }

// fixedScale returns the power of two by which values of magnitude at most maxAbs are
// multiplied to fit an int32 (sums of up to 2^32 rows then fit an int64): a resolution of
// about maxAbs/2^30, far below what a split or a leaf value can tell apart.
func fixedScale(maxAbs float64) float64 {
	if maxAbs <= 0 {
		return 1
	}
	return math.Ldexp(1, int(math.Floor(math.Log2(math.Ldexp(1, 30)/maxAbs))))
}

// histogram holds, per feature, binStride slots: the gradient sums of the rows in each value bin,
// then of the rows with a missing value.
type histogram [][binStride]gpair

func newHistogram(cols int) histogram { return make(histogram, cols) }

func (h histogram) clear() { clear(h) }

// accumulate adds the gradients of rows to h. codes is the row-major code matrix with len(h)
// columns. This loop is where training spends its time. It takes rows two at a time: the two
// rows' updates of one feature are independent, which lets the processor overlap them, and
// each row's codes are contiguous, so a row costs one or two cache lines.
func (h histogram) accumulate(codes []uint8, grad []rowGrad, rows []uint32) {
	cols := len(h)
	n := len(rows) &^ 1
	for i := 0; i < n; i += 2 {
		a, b := int(rows[i]), int(rows[i+1])
		h.add2(codes[a*cols:a*cols+cols], codes[b*cols:b*cols+cols], grad[a], grad[b])
	}
	if n < len(rows) {
		a := int(rows[n])
		h.add1(codes[a*cols:a*cols+cols], grad[a])
	}
}

// accumulateRange is accumulate for the rows lo..hi-1, the root of a tree without subsampling.
func (h histogram) accumulateRange(codes []uint8, grad []rowGrad, lo, hi int) {
	cols := len(h)
	n := lo + (hi-lo)&^1
	for i := lo; i < n; i += 2 {
		r0 := codes[i*cols : i*cols+cols]
		h.add2(r0, codes[i*cols+cols:i*cols+2*cols], grad[i], grad[i+1])
	}
	if n < hi {
		h.add1(codes[n*cols:n*cols+cols], grad[n])
	}
}

// add2 adds p to the bins of row r0 and q to those of row r1. It stays a function of its own
// so that its loop gets every register: inlined into the row loop, the compiler spills.
//
//go:noinline
func (h histogram) add2(r0, r1 []uint8, p, q rowGrad) {
	pg, ph, qg, qh := int64(p.g), int64(p.h), int64(q.g), int64(q.h)
	r1 = r1[:len(r0)]
	h = h[:len(r0)]
	for f, c := range r0 {
		hf := &h[f]
		e := &hf[c]
		e.g += pg
		e.h += ph
		e = &hf[r1[f]]
		e.g += qg
		e.h += qh
	}
}

func (h histogram) add1(r0 []uint8, p rowGrad) {
	pg, ph := int64(p.g), int64(p.h)
	h = h[:len(r0)]
	for f, c := range r0 {
		e := &h[f][c]
		e.g += pg
		e.h += ph
	}
}

// addFrom adds o into h.
func (h histogram) addFrom(o histogram) {
	for f := range h {
		a, b := &h[f], &o[f]
		for i := range a {
			a[i].g += b[i].g
			a[i].h += b[i].h
		}
	}
}

// subtractInto sets dst to parent minus h: the sibling's histogram, exact in integers.
func (h histogram) subtractInto(parent, dst histogram) {
	for f := range h {
		a, p, d := &h[f], &parent[f], &dst[f]
		for i := range a {
			d[i].g = p[i].g - a[i].g
			d[i].h = p[i].h - a[i].h
		}
	}
}

// histBuilder builds histograms with up to threads goroutines, each into its own histogram,
// summed at the end; the integer sums make the result independent of the thread count.
type histBuilder struct {
	codes   []uint8
	cols    int
	threads int
	minRows int         // least rows per goroutine
	scratch []histogram // one per extra goroutine
}

// parallelRows is the least number of rows worth splitting across goroutines: below it the
// cost of clearing and summing an extra histogram (about 10us for 40 features) exceeds the
// work shared.
const parallelRows = 2048

func newHistBuilder(codes []uint8, cols, threads, minRows int) *histBuilder {
	b := &histBuilder{codes: codes, cols: cols, threads: threads, minRows: minRows}
	for t := 1; t < threads; t++ {
		b.scratch = append(b.scratch, newHistogram(cols))
	}
	return b
}

// build sets dst to the histogram of rows; rows == nil means every row in [0, n).
func (b *histBuilder) build(dst histogram, grad []rowGrad, rows []uint32, n int) {
	dst.clear()
	if rows != nil {
		n = len(rows)
	}
	threads := min(b.threads, max(n/b.minRows, 1))
	parallelChunks(n, threads, func(t, lo, hi int) {
		h := dst
		if t > 0 {
			h = b.scratch[t-1]
			h.clear()
		}
		if rows == nil {
			h.accumulateRange(b.codes, grad, lo, hi)
		} else {
			h.accumulate(b.codes, grad, rows[lo:hi])
		}
	})
	for t := 1; t < threads; t++ {
		dst.addFrom(b.scratch[t-1])
	}
}
