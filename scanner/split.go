package scanner

import (
	"fmt"
	"strings"
)

// Split is how a plan's probes divide among what they are for.
type Split struct {
	// Predicted is what predicted ports add to the tiers' own lists; Rechecks the light scans
	// of assets with known serious exposures; FirstLooks the light tier's own list on the
	// assets the scores chose; Escalation what their tiers above light add to it; Exploration
	// the assets drawn for exploration; Sweep the port-space sweep.
	Predicted   int `json:"predicted"`
	Rechecks    int `json:"rechecks"`
	FirstLooks  int `json:"first_looks"`
	Escalation  int `json:"escalation"`
	Exploration int `json:"exploration"`
	Sweep       int `json:"sweep"`
}

// String is the split as one line, in probes and shares of the total.
func (s Split) String() string {
	total := s.Predicted + s.Rechecks + s.FirstLooks + s.Escalation + s.Exploration + s.Sweep
	if total == 0 {
		return "no probes"
	}
	var b strings.Builder
	for i, part := range []struct {
		name string
		n    int
	}{{"predicted ports", s.Predicted}, {"re-checks", s.Rechecks}, {"first looks", s.FirstLooks}, {"escalation", s.Escalation}, {"exploration", s.Exploration}, {"sweep", s.Sweep}} {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d (%.0f%%)", part.name, part.n, 100*float64(part.n)/float64(total))
	}
	return b.String()
}
