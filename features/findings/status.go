package findings

import (
	"strings"

	"github.com/riskmap/riskmap"
)

// Confirmation says how far a finding is proven.
type Confirmation string

// Confirmations, from least to most proven.
const (
	// Reachable: the service answered on the port; nothing was asked of it.
	Reachable Confirmation = "reachable"
	// Downgraded: a check proved the service asks for credentials, so the finding's severity
	// was lowered (its evidence says from what).
	Downgraded Confirmation = "downgraded: authentication required"
	// Confirmed: a script's output proved the finding (unauthenticated access, anonymous
	// login, a vulnerable answer).
	Confirmed Confirmation = "confirmed"
)

// Confirmation returns how far f is proven: Downgraded when a check lowered it, Confirmed when
// its rule rests on a script's output, Reachable otherwise. rules may be nil: the evidence
// alone then decides.
func (r *Rules) Confirmation(f riskmap.Finding) Confirmation {
	if strings.Contains(f.Evidence, "downgraded from ") {
		return Downgraded
	}
	if r != nil {
		for i := range r.List {
			if r.List[i].ID == f.RuleID {
				if r.List[i].Match.Script != nil || r.List[i].Match.HostScript != nil {
					return Confirmed
				}
				return Reachable
			}
		}
	}
	if strings.Contains(f.Evidence, "script ") && strings.Contains(f.Evidence, " output matched ") {
		return Confirmed
	}
	return Reachable
}

// Rule returns the rule of id, or nil.
func (r *Rules) Rule(id string) *Rule {
	if r == nil {
		return nil
	}
	for i := range r.List {
		if r.List[i].ID == id {
			return &r.List[i]
		}
	}
	return nil
}
