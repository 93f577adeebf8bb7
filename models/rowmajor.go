package models

// RowMajor assembles a feature matrix from columns (one []float32 per feature, each at least rows
// long) into dst, row-major as Scorer.Score reads it, and returns dst[:rows*len(cols)] (dst grows
// when short). It copies tiles of 64 rows by every column, so that the writes of a tile stay in
// cache instead of striding through the whole matrix once per column.
func RowMajor(cols [][]float32, rows int, dst []float32) []float32 {
	w := len(cols)
	if cap(dst) < rows*w {
		dst = make([]float32, rows*w)
	}
	dst = dst[:rows*w]
	const tile = 64
	for lo := 0; lo < rows; lo += tile {
		hi := min(lo+tile, rows)
		for f, col := range cols {
			col := col[lo:hi]
			out := dst[lo*w+f:]
			for i, v := range col {
				out[i*w] = v
			}
		}
	}
	return dst
}
