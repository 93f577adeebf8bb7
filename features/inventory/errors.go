package inventory

import (
	"errors"
	"fmt"
)

// Sentinel errors, checked with errors.Is on what Add and Assets return.
var (
	// ErrSyntax means the bytes are not well-formed JSON, JSON Lines or CSV.
	ErrSyntax = errors.New("malformed input")
	// ErrShape means the file parsed but is none of the shapes this package reads.
	ErrShape = errors.New("unrecognised input shape")
	// ErrMissing means a field the shape requires is absent or empty.
	ErrMissing = errors.New("missing field")
	// ErrValue means a field has the wrong JSON type or a value that cannot be used.
	ErrValue = errors.New("bad value")
	// ErrProvider means the file belongs to a provider other than Importer.Provider.
	ErrProvider = errors.New("provider mismatch")
	// ErrNoSnapshotTime means Assets was called with a zero Importer.SnapshotTime.
	ErrNoSnapshotTime = errors.New("snapshot time not set")
)

// ParseError is a problem at a position in one input file. It wraps one of the sentinel
// errors above.
type ParseError struct {
	File   string
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based byte column; 0 when unknown
	Path   string // JSON path such as Reservations[0].Instances[2].InstanceId, or a CSV column name
	Err    error
}

// Error formats e as file:line:column: path: message, leaving out what is unknown.
func (e *ParseError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }
