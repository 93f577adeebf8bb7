package riskmap

import (
	"fmt"
	"strings"
	"time"
)

// Tier is how deeply an asset is scanned.
type Tier int

// Tiers, lightest first.
const (
	TierSkip Tier = iota
	TierLight
	TierStandard
	TierDeep
)

var tierNames = [...]string{"skip", "light", "standard", "deep"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return fmt.Sprintf("tier(%d)", int(t))
	}
	return tierNames[t]
}

// ParseTier reads a tier name.
func ParseTier(name string) (Tier, error) {
	for i, n := range tierNames {
		if strings.EqualFold(name, n) {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("tier %q: want one of %s", name, strings.Join(tierNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Score is what the models say of one asset at one time.
type Score struct {
	AssetID      string
	AsOf         time.Time
	Model        string
	ModelVersion string
	Risk         float32 // probability of a high or critical finding at the next deep scan
	Anomaly      float32 // in [0, 1], higher is stranger
	Priority     float32 // the combined rank key
	Tier         Tier
	Reasons      []string // top features, most important first, as "name=value (+contribution)"
	// Why is Reasons in sentences a person reads ("3 of its 5 scans found a high or critical
	// finding"), when the scorer had the whole feature row; the scores table keeps Reasons.
	Why []string
}

// Target is one asset address handed to a scanner.
type Target struct {
	AssetID  string
	IP       string
	Ports    []int // predicted ports; empty means the tier's default list
	Tier     Tier
	Priority float32
	Why      []string // why it ranks where it does, in sentences (Score.Why)
}

// Change kinds in the diffs table.
const (
	ChangeNewPort        = "new_port"
	ChangeClosedPort     = "closed_port"
	ChangeVersionChanged = "version_changed"
	ChangeServiceChanged = "service_changed"
	ChangeNewHost        = "new_host"
	ChangeHostGone       = "host_gone"
	ChangeHostState      = "host_state_changed"
	ChangeOSChanged      = "os_changed"
	ChangeCPEChanged     = "cpe_changed"
	// ChangePortStateChanged is a port listed in both scans with different states (open to
	// closed, open to filtered, ...), as ndiff reports it.
	ChangePortStateChanged = "port_state_changed"
)

// Diff is one change of a host or port against its baseline.
type Diff struct {
	AssetID        string
	IP             string
	Port           int    // the port of a port-level change; 0 for host-level ones (see HostLevel)
	Proto          string // tcp, udp, sctp; "" exactly for host-level changes
	Change         string // one of the Change constants
	Before         string
	After          string
	ScanID         string
	BaselineScanID string
	ScanTime       time.Time
	// FirstPossible is, for a new_port change, when a scan of the host could first have found
	// the port open: the host's first scan after the last one that probed the port and did not
	// find it open, or its first scan at all when none ever probed it (the port may have been
	// open since). Zero for other changes and where it is not known. DetectCycles is how many
	// scans of the host, from FirstPossible up to this one, missed it (0: found at the first
	// chance), meaningful only when FirstPossible is set: time to detect, in cycles (a cycle
	// scans a host once, plus any confirmation rescan).
	FirstPossible time.Time
	DetectCycles  int
}

// HostLevel reports whether d is a change of the host itself (new_host, host_gone,
// host_state_changed, os_changed) rather than of one port. It looks at Proto, not Port:
// port 0 is a real port number.
func (d Diff) HostLevel() bool { return d.Proto == "" }
