package scanner

import (
	"fmt"
	"slices"
	"time"

	"github.com/riskmap/riskmap"
)

// PortWhy is why one port is in a plan item.
type PortWhy struct {
	Port int    `json:"port"`
	Why  string `json:"why"`
}

// Explain says why each TCP port of it, the plan's item for candidate c, is there: the
// port-space sweep (with when the port was last probed), the tier's own list, a predicted port
// with the reason the candidate gives (Candidate.PortReasons), or a re-check of a known serious
// exposure. Ports come in the item's order.
func (p *Profiles) Explain(it PlanItem, c Candidate) []PortWhy {
	out := make([]PortWhy, 0, len(it.Ports))
	base := p.base[it.Tier]
	for _, port := range it.Ports {
		var why string
		_, inBase := slices.BinarySearch(base, port)
		_, swept := slices.BinarySearch(it.Swept, port)
		switch {
		case swept:
			last := "never probed before"
			if at, ok := c.Probed.Last(port); ok {
				last = "last probed " + at.UTC().Format(time.RFC3339)
			}
			why = "port-space sweep: " + last
			if c.WideOpen {
				why += "; the asset's rules open wide ranges to the internet"
			}
		case slices.Contains(c.KnownSerious, port) && it.Recheck:
			why = "re-check of a known serious exposure"
		case inBase:
			why = fmt.Sprintf("%s tier's own list (%s)", it.Tier, p.listName(it.Tier))
		case c.PortReasons[port] != "":
			why = "predicted: " + c.PortReasons[port]
		default:
			why = "predicted"
		}
		out = append(out, PortWhy{port, why})
	}
	return out
}

func (p *Profiles) listName(t riskmap.Tier) string {
	pr := p.cfg.profile(t)
	if pr.AllPorts {
		return "every port"
	}
	return fmt.Sprintf("nmap-services' top %d", pr.TopPorts)
}
