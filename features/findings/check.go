package findings

import (
	"strings"

	"github.com/riskmap/riskmap"
)

// Access verdicts of riskmap's checks (scanner/nse), the first line of their output.
const (
	AccessUnauthenticated = "unauthenticated"
	AccessAuthRequired    = "auth-required"
)

// Check is an access check's output read back as the table it printed: the verdict, and every
// other "key: value" line (check, answer, version, counts, names).
type Check struct {
	Script string
	Access string // AccessUnauthenticated or AccessAuthRequired
	Fields map[string]string
}

// ParseCheck reads s as the output of one of riskmap's checks: "  key: value" lines whose
// first key is access. It reports false for any other script's output.
func ParseCheck(s riskmap.Script) (Check, bool) {
	c := Check{Script: s.ID, Fields: map[string]string{}}
	first := true
	for _, line := range strings.Split(s.Output, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return Check{}, false
		}
		if first {
			if k != "access" || (v != AccessUnauthenticated && v != AccessAuthRequired) {
				return Check{}, false
			}
			c.Access, first = v, false
			continue
		}
		c.Fields[k] = v
	}
	if first {
		return Check{}, false
	}
	return c, true
}
