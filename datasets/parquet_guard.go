package datasets

import (
	"errors"
	"fmt"
	"io"
)

// ErrParquetWriter marks a failure inside arrow-go's Parquet writer that it reported by
// panicking: it panics when a write to its sink fails at some points ("failed to write
// magic number" on a full disk), instead of returning the error.
var ErrParquetWriter = errors.New("parquet writer failed")

// GuardParquet runs write, which drives a Parquet writer over sink, and turns a panic inside
// it into an error. The error names what (the table or file being written), the panic, and
// the first error the sink returned (the cause: "no space left on device"), which the panic
// does not carry. A write error returned normally is wrapped the same way. Whatever write
// had written to sink is the caller's to throw away: WriteTable writes to a temporary file
// that is removed.
func GuardParquet(what string, sink io.Writer, write func(io.Writer) error) (err error) {
	rec := &recordingWriter{w: sink}
	defer func() {
		if r := recover(); r != nil {
			if rec.err != nil {
				err = fmt.Errorf("%s: %w (%v): %w", what, ErrParquetWriter, r, rec.err)
			} else {
				err = fmt.Errorf("%s: %w: %v", what, ErrParquetWriter, r)
			}
		}
	}()
	if err := write(rec); err != nil {
		if rec.err != nil && !errors.Is(err, rec.err) {
			return fmt.Errorf("%s: %w: %w", what, err, rec.err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if rec.err != nil { // the writer swallowed a write error
		return fmt.Errorf("%s: %w", what, rec.err)
	}
	return nil
}

// recordingWriter passes writes through and keeps the first error.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}
