package nmapxml

import (
	"errors"
	"fmt"
)

// Sentinel errors, checked with errors.Is on what Parse returns.
var (
	// ErrNotNmap means the input is not nmap XML at all: empty, not XML, HTML, or XML whose
	// root element is not <nmaprun>.
	ErrNotNmap = errors.New("not nmap XML")
	// ErrEntity means the input carries a DOCTYPE with an internal subset, entity
	// declarations or an external identifier. nmap never writes one; the tricks it allows
	// (billion laughs, external entities) are refused outright, never expanded.
	ErrEntity = errors.New("DOCTYPE with entity or DTD declarations refused")
	// ErrMalformed means the input starts as nmap XML but breaks XML's rules (or ends)
	// before the first complete host, or declares an encoding riskmap cannot read.
	ErrMalformed = errors.New("malformed nmap XML")
)

// ParseError is the error Parse returns: where it stopped and why. Err wraps one of the
// sentinels. Error returns a single line.
type ParseError struct {
	Source string // the file name from Options.Source, "" when none was given
	Line   int    // 1-based line where the problem was found; 0 when not known
	Err    error
}

func (e *ParseError) Error() string {
	src := e.Source
	if src == "" {
		src = "<input>"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %v", src, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", src, e.Err)
}

// Unwrap returns the cause, so that errors.Is(err, ErrMalformed) and friends work.
func (e *ParseError) Unwrap() error { return e.Err }
