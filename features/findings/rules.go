package findings

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/intel"
)

//go:embed default_rules.yaml
var defaultRulesYAML []byte

// DefaultRulesYAML returns the rules file shipped with riskmap, for users who want to start
// their own from it.
func DefaultRulesYAML() []byte { return append([]byte(nil), defaultRulesYAML...) }

// DefaultRules parses the shipped rules. It fails only if the shipped file is broken, which
// a test guards against.
func DefaultRules() (*Rules, error) {
	return LoadRules("default_rules.yaml", strings.NewReader(string(defaultRulesYAML)))
}

// Rules is a set of rules, in file order. Evaluate applies every rule and sorts what they find,
// so order does not change the result.
type Rules struct {
	List []Rule
	// Disabled lists the ids that a rules file turned off with enabled: false; Merge removes
	// them from the defaults.
	Disabled []string
}

// Rule turns matching observations into findings of one kind.
type Rule struct {
	ID       string
	Severity riskmap.Severity
	// InternetSeverity, when set, replaces Severity for a port that the asset's security
	// rules open to the internet (redis reachable inside the VPC is medium; from the internet,
	// critical).
	InternetSeverity *riskmap.Severity
	Title            string
	Rationale        string
	References       []string
	Match            Match
	// Downgrade, when set, lowers the severity of a finding whose port carries a script
	// output that proves it less serious: redis reachable, but a check proved it asks for a
	// password.
	Downgrade *Downgrade
}

// Downgrade is the severity a rule's finding takes when Script matches on the same port.
// InternetSeverity is the downgraded severity for an internet-exposed port (Severity when the
// rule has no internet escalation).
type Downgrade struct {
	Script           *ScriptMatch
	Severity         riskmap.Severity
	InternetSeverity riskmap.Severity
}

// Exposure is a rule's condition on internet exposure, taken from the asset's inventory.
type Exposure int

// Exposure conditions.
const (
	ExposureAny      Exposure = iota // whatever the inventory says, or without one
	ExposureInternet                 // the asset's security rules open the port to the internet
	ExposureInternal                 // the inventory knows the asset and does not open the port to the internet
)

func (e Exposure) String() string {
	switch e {
	case ExposureInternet:
		return "true"
	case ExposureInternal:
		return "false"
	}
	return "any"
}

// Match is what a rule looks for. Every condition that is set must hold, except that
// Services, Products and Ports together name the service: when more than one of them is set,
// any one matching is enough (redis is service "redis" or port 6379).
type Match struct {
	Services []string // nmap service names, case-insensitive
	Products []string // substrings of nmap's product field, case-insensitive
	Ports    []int
	Proto    string // tcp, udp, sctp, or "" for any
	Internet Exposure
	// Script must be present on the port and, when Output is set, its output must match.
	Script *ScriptMatch
	// HostScript makes the rule host-level: it looks at the host's scripts only and yields a
	// finding with port 0. It cannot be combined with port conditions.
	HostScript *ScriptMatch
	// Version constraints on nmap's version field, all of which must hold; a port whose
	// version is unknown does not match.
	Version []Constraint
	// KEV requires at least one KEV entry for the port's product (intel.KEV.Match), with
	// confidence KEVConfidence when that is set.
	KEV           bool
	KEVConfidence string
	// EPSSAtLeast, when above zero, requires a CVE tied to the port (by a KEV match or named in
	// a script's output) whose EPSS score, looked up at evaluation time, is at least this.
	EPSSAtLeast float64
}

// ScriptMatch names an NSE script and, optionally, a regular expression (RE2) its output
// must match.
type ScriptMatch struct {
	ID     string
	Output *regexp.Regexp
}

// Constraint is one version comparison, such as ">= 2.4.49".
type Constraint struct {
	Op      string // one of =, !=, <, <=, >, >=
	Version string
}

func (c Constraint) String() string { return c.Op + " " + c.Version }

func (c Constraint) holds(v string) bool {
	cmp := intel.CompareVersions(v, c.Version)
	switch c.Op {
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// parseConstraints reads "Op Version" pairs separated by commas: ">= 2.4.49, < 2.4.51".
func parseConstraints(s string) ([]Constraint, error) {
	var out []Constraint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{">=", "<=", "!=", "==", ">", "<", "="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		v := strings.TrimSpace(strings.TrimPrefix(part, op))
		if op == "==" {
			op = "="
		}
		if op == "" || !intel.KnownVersion(v) {
			return nil, fmt.Errorf("constraint %q: want an operator (=, !=, <, <=, >, >=) and a version, as in \">= 2.4.49, < 2.4.51\"", part)
		}
		out = append(out, Constraint{Op: op, Version: v})
	}
	return out, nil
}

// Merge returns defaults with user's rules applied on top: a user rule replaces the default
// of the same id, a rule the defaults lack is added, and a user rule with enabled: false
// (kept in Disabled by LoadRules) removes the default of that id. Neither input changes.
func Merge(defaults, user *Rules) *Rules {
	out := &Rules{}
	replace := map[string]Rule{}
	drop := map[string]bool{}
	if user != nil {
		for _, r := range user.List {
			replace[r.ID] = r
		}
		for _, id := range user.Disabled {
			drop[id] = true
		}
	}
	seen := map[string]bool{}
	if defaults != nil {
		for _, r := range defaults.List {
			seen[r.ID] = true
			if drop[r.ID] {
				continue
			}
			if u, ok := replace[r.ID]; ok {
				r = u
			}
			out.List = append(out.List, r)
		}
	}
	if user != nil {
		for _, r := range user.List {
			if !seen[r.ID] {
				out.List = append(out.List, r)
			}
		}
	}
	return out
}
