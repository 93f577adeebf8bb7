package riskmap

import (
	"fmt"
	"strings"
)

// Severity orders findings from info to critical.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// Serious reports whether s is high or critical: the label the risk model learns.
func (s Severity) Serious() bool { return s >= SeverityHigh }

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("severity %q: want one of %s", name, strings.Join(severityNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is a rule's verdict on an observation (or on an asset's exposure).
type Finding struct {
	ScanID   string
	AssetID  string
	IP       string
	Port     int    // the port of a port-level finding; 0 for host-level ones (see HostLevel)
	Proto    string // "" exactly for host-level findings
	RuleID   string
	Severity Severity
	Title    string
	Evidence string
	CVEs     []string
}

// HostLevel reports whether f is about the host itself (host scripts) rather than one port.
// It looks at Proto, not Port: port 0 is a real port number.
func (f Finding) HostLevel() bool { return f.Proto == "" }
