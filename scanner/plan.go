package scanner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"time"

	"github.com/riskmap/riskmap"
)

// Plan is one cycle's scans: which assets, at which tier, on which ports, at what cost. It is
// JSON so that a person can read and edit it between planning and running; ReadPlan checks an
// edited file, and the Runner checks every address against the scope again before nmap runs.
type Plan struct {
	CreatedAt time.Time `json:"created_at"`
	// Budget is the probe budget the plan was made for; Probes what its items cost.
	Budget int        `json:"budget"`
	Probes int        `json:"probes"`
	Items  []PlanItem `json:"items"`
	// Skipped counts the candidates left out, by reason (the Skip constants).
	Skipped map[string]int `json:"skipped,omitempty"`
	// Split is how Probes divide: predicted ports, re-checks, escalation, exploration, sweep.
	Split Split `json:"split"`
	// Sweep is the port-space sweep and its guarantee; nil when the planner sweeps nothing.
	Sweep *Sweep `json:"sweep,omitempty"`
}

// PlanItem is one asset to scan.
type PlanItem struct {
	AssetID string       `json:"asset_id"`
	IPs     []netip.Addr `json:"ips"`
	Network string       `json:"network,omitempty"`
	Tier    riskmap.Tier `json:"tier"`
	// Ports is the full TCP list this item scans (the tier's list plus predicted ports);
	// UDPPorts the UDP list, if the tier has one.
	Ports    PortList `json:"ports"`
	UDPPorts PortList `json:"udp_ports,omitempty"`
	// Probes is hosts x ports x the tier's factor (see Profile).
	Probes int `json:"probes"`
	// MaxRate is the network's packets-per-second cap (0: none); the runner never exceeds it.
	MaxRate  int     `json:"max_rate,omitempty"`
	Priority float32 `json:"priority"`
	// Explore marks an item chosen by the exploration share rather than by its score.
	Explore bool `json:"explore,omitempty"`
	// Recheck marks an item that re-checks an asset's known serious exposures.
	Recheck bool `json:"recheck,omitempty"`
	// Swept is the part of Ports that the port-space sweep added.
	Swept   PortList `json:"swept,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
}

// Reasons a candidate was skipped, the keys of Plan.Skipped.
const (
	SkipNoAddress   = "no_address"   // the asset has no IP address
	SkipMinRescan   = "min_rescan"   // scanned too recently for every tier it could get
	SkipQuietHours  = "quiet_hours"  // quiet hours allow no scan now
	SkipNetworkRate = "network_rate" // its network's rate cap for the cycle is spent
	SkipBudget      = "budget"       // the probe budget went to assets expected to find more
)

// PlanError is a plan that does not validate. Item is the 0-based index of the item, or -1
// for the plan itself; Line and Column locate JSON syntax errors (1-based, 0 when unknown).
type PlanError struct {
	Item    int
	AssetID string
	Field   string
	Line    int
	Column  int
	Err     error
}

func (e *PlanError) Error() string {
	var where string
	switch {
	case e.Line > 0:
		where = fmt.Sprintf("plan line %d column %d", e.Line, e.Column)
	case e.Item >= 0:
		where = fmt.Sprintf("plan item %d (asset %q)", e.Item, e.AssetID)
	default:
		where = "plan"
	}
	if e.Field != "" {
		where += " " + e.Field
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *PlanError) Unwrap() []error { return []error{ErrBadPlan, e.Err} }

// ReadPlan reads a JSON plan and validates it: unknown fields, tiers and ports, invalid
// addresses, negative or inconsistent probe counts and duplicate assets are errors
// (*PlanError, wrapping ErrBadPlan). Whether the addresses are in scope is not its business:
// the Runner refuses those before nmap starts.
func ReadPlan(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, jsonError(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(data, dec.InputOffset())
		return nil, &PlanError{Item: -1, Line: line, Column: col, Err: errors.New("unexpected data after the plan object")}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func jsonError(data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	line, col := position(data, off)
	if line == 0 {
		line = 1
	}
	return &PlanError{Item: -1, Line: line, Column: col, Err: err}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Validate checks p as ReadPlan does.
func (p *Plan) Validate() error {
	plan := func(field string, format string, args ...any) error {
		return &PlanError{Item: -1, Field: field, Err: fmt.Errorf(format, args...)}
	}
	if p.Budget < 0 {
		return plan("budget", "%d: want >= 0", p.Budget)
	}
	if p.Probes < 0 {
		return plan("probes", "%d: want >= 0", p.Probes)
	}
	seen := map[string]int{}
	sum := 0
	for i := range p.Items {
		it := &p.Items[i]
		bad := func(field, format string, args ...any) error {
			return &PlanError{Item: i, AssetID: it.AssetID, Field: field, Err: fmt.Errorf(format, args...)}
		}
		if it.AssetID == "" {
			return bad("asset_id", "empty: want the asset's id")
		}
		if j, dup := seen[it.AssetID]; dup {
			return bad("asset_id", "also planned as item %d: want one item per asset", j)
		}
		seen[it.AssetID] = i
		if it.Tier < riskmap.TierSkip || it.Tier > riskmap.TierDeep {
			return bad("tier", "%d: want skip, light, standard or deep", int(it.Tier))
		}
		if it.Probes < 0 {
			return bad("probes", "%d: want >= 0", it.Probes)
		}
		if it.MaxRate < 0 {
			return bad("max_rate", "%d: want >= 0 (0: no cap)", it.MaxRate)
		}
		if math.IsNaN(float64(it.Priority)) || math.IsInf(float64(it.Priority), 0) {
			return bad("priority", "%v: want a finite number", it.Priority)
		}
		for j, a := range it.IPs {
			if !a.IsValid() {
				return bad(fmt.Sprintf("ips[%d]", j), "empty: want an IP address")
			}
		}
		if it.Tier != riskmap.TierSkip {
			if len(it.IPs) == 0 {
				return bad("ips", "empty: a %s scan needs an address", it.Tier)
			}
			if len(it.Ports)+len(it.UDPPorts) == 0 {
				return bad("ports", "empty: a %s scan needs ports", it.Tier)
			}
		}
		for _, l := range []struct {
			name  string
			ports PortList
		}{{"ports", it.Ports}, {"udp_ports", it.UDPPorts}, {"swept", it.Swept}} {
			if err := l.ports.Validate(); err != nil {
				return bad(l.name, "%w", err)
			}
		}
		sum += it.Probes
		if sum < 0 {
			return bad("probes", "the total overflows")
		}
	}
	if sum != p.Probes {
		return plan("probes", "%d, but the items add up to %d: fix one or the other", p.Probes, sum)
	}
	if p.Probes > p.Budget {
		return plan("probes", "%d is above the budget of %d", p.Probes, p.Budget)
	}
	for reason, n := range p.Skipped {
		if n < 0 {
			return plan("skipped."+reason, "%d: want >= 0", n)
		}
	}
	return nil
}

// WritePlan writes p as indented JSON.
func WritePlan(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
