package intel

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrFormat means the input is not a format this package reads: neither a KEV catalog in JSON
// or CSV, nor an EPSS CSV. Check it with errors.Is.
var ErrFormat = errors.New("unrecognised format")

// ParseError is a problem at one place in an input file. Line is 1-based (0 when the problem
// is the whole file); Field names the JSON key or CSV column, or "" when the line itself is
// wrong.
type ParseError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	var b bytes.Buffer
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// lineAt returns the 1-based line of data[off], skipping the whitespace that a JSON decoder
// leaves before the next value so that an element is reported on the line where it starts.
func lineAt(data []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	i := int(off)
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n', ',':
			i++
			continue
		}
		break
	}
	if i == len(data) {
		i = int(off)
	}
	return bytes.Count(data[:i], []byte{'\n'}) + 1
}
