package scanner

import (
	"net/netip"
	"slices"
	"time"

	"github.com/riskmap/riskmap"
)

// Fixed is one item of a plan made without the planner: addresses to scan at one tier, the
// asset they belong to when known, and the TCP ports (nil: the tier's own list).
type Fixed struct {
	AssetID string
	IPs     []netip.Addr
	Tier    riskmap.Tier
	Ports   []int
	Reason  string
}

// PlanFor makes the plan that scans exactly the given items: what `riskmap scan --targets` and
// a confirmation rescan run. Each item's probes are counted as the planner counts them, and the
// budget is what the plan costs.
func (p *Profiles) PlanFor(now time.Time, items []Fixed) (*Plan, error) {
	plan := &Plan{CreatedAt: now}
	for _, f := range items {
		ports := p.Ports(f.Tier, nil)
		if f.Ports != nil {
			pl, err := NewPortList(f.Ports)
			if err != nil {
				return nil, err
			}
			ports = pl
		}
		it := PlanItem{
			AssetID: f.AssetID, IPs: slices.Clone(f.IPs), Tier: f.Tier, Ports: ports,
			Probes: p.Probes(f.Tier, len(f.IPs), len(ports), 0),
		}
		if f.Reason != "" {
			it.Reasons = []string{f.Reason}
		}
		plan.Items = append(plan.Items, it)
		plan.Probes += it.Probes
	}
	plan.Budget = plan.Probes
	return plan, nil
}
