package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// Export is what WriteSARIF and WriteDefectDojo write: findings, with the rules that made
// them (titles, rationale, references) and the assets they are on (names, addresses, tags,
// the rule to change). Only Findings is required.
type Export struct {
	Findings []riskmap.Finding
	Rules    *Rules                    // nil: descriptors come from the findings alone
	Assets   map[string]*riskmap.Asset // by asset id; nil or missing entries are allowed
	// ScanTime returns when a scan ran (zero when unknown); nil means unknown for all.
	ScanTime func(scanID string) time.Time
	// ChecksRan reports whether a scan ran the access checks (riskmap's light tier does not);
	// nil means every scan did. See Supersedes.
	ChecksRan func(scanID string) bool
	// Version is riskmap's version, written as the tool's.
	Version string
	// Now stamps the export when no finding has a scan time; nil means time.Now.
	Now func() time.Time
}

// Fingerprint identifies a finding across scans: the same rule on the same asset, address,
// port and protocol. Re-imports into SARIF consumers and DefectDojo deduplicate on it.
func Fingerprint(f riskmap.Finding) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{f.AssetID, f.IP, fmt.Sprint(f.Port), f.Proto, f.RuleID}, "|")))
	return hex.EncodeToString(sum[:16])
}

// latest returns one finding per Fingerprint, the one of the latest scan (by ScanTime, then by
// position), ordered by severity (highest first), then address, port and rule.
func (e *Export) latest() []riskmap.Finding {
	at := func(f riskmap.Finding) time.Time {
		if e.ScanTime == nil {
			return time.Time{}
		}
		return e.ScanTime(f.ScanID)
	}
	// Oldest scan first, so that each later verdict meets the one it may replace.
	byTime := slices.Clone(e.Findings)
	sort.SliceStable(byTime, func(i, j int) bool { return at(byTime[i]).Before(at(byTime[j])) })
	idx := map[string]int{}
	var out []riskmap.Finding
	for _, f := range byTime {
		k := Fingerprint(f)
		if i, ok := idx[k]; ok {
			if Supersedes(f, out[i], e.ChecksRan == nil || e.ChecksRan(f.ScanID)) {
				out[i] = f
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	SortFindings(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity > out[j].Severity })
	return out
}

// Where writes a finding's place for a person: "10.0.0.5:6379/tcp on i-0abc (web-1)".
func Where(f riskmap.Finding, a *riskmap.Asset) string {
	s := f.IP
	if f.Port > 0 {
		s = fmt.Sprintf("%s/%s", net.JoinHostPort(f.IP, fmt.Sprint(f.Port)), orTCP(f.Proto))
	}
	if f.AssetID != "" {
		s += " on " + f.AssetID
		if n := AssetName(a); n != "" {
			s += " (" + n + ")"
		}
	}
	return s
}

// AssetName returns the asset's Name tag, or "".
func AssetName(a *riskmap.Asset) string {
	if a == nil {
		return ""
	}
	for _, t := range a.Tags {
		if t.Key == "Name" || t.Key == "name" {
			return t.Value
		}
	}
	return ""
}

// AssetLine describes an asset in one line: name, addresses, network and tags.
func AssetLine(a *riskmap.Asset) string {
	if a == nil {
		return ""
	}
	var parts []string
	if n := AssetName(a); n != "" {
		parts = append(parts, "name "+n)
	}
	if len(a.PrivateIPs) > 0 {
		parts = append(parts, "private "+strings.Join(a.PrivateIPs, ", "))
	}
	if len(a.PublicIPs) > 0 {
		parts = append(parts, "public "+strings.Join(a.PublicIPs, ", "))
	}
	if a.Network != "" {
		parts = append(parts, "network "+a.Network)
	}
	if a.Subnet != "" {
		parts = append(parts, "subnet "+a.Subnet)
	}
	if len(a.SecurityGroups) > 0 {
		parts = append(parts, "security groups "+strings.Join(a.SecurityGroups, ", "))
	}
	var tags []string
	for _, t := range a.Tags {
		if t.Key != "Name" && t.Key != "name" && !strings.HasPrefix(t.Key, "aws:") {
			tags = append(tags, t.Key+"="+t.Value)
		}
	}
	slices.Sort(tags)
	if len(tags) > 0 {
		parts = append(parts, "tags "+strings.Join(tags, ", "))
	}
	return fmt.Sprintf("%s (%s %s): %s", a.ID, a.Provider, a.Account, strings.Join(parts, "; "))
}

func (e *Export) asset(id string) *riskmap.Asset {
	if e.Assets == nil || id == "" {
		return nil
	}
	return e.Assets[id]
}

func (e *Export) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Because says in words why finding f of asset a matters and how far it is proven, for an
// alert or a report line: "Redis reachable on 10.0.0.5:6379/tcp on i-0abc (cache-1). A check
// proved it asks for credentials, so its severity was lowered. Evidence: ...".
func (r *Rules) Because(f riskmap.Finding, a *riskmap.Asset) string {
	status := "The service answered; no check has proved or ruled out access without credentials."
	switch r.Confirmation(f) {
	case Confirmed:
		status = "A check confirmed it."
	case Downgraded:
		status = "A check proved it asks for credentials, so its severity was lowered."
	}
	if f.Port == 0 {
		status = "A host script found it."
	}
	return fmt.Sprintf("%s on %s. %s Evidence: %s.", f.Title, Where(f, a), status, f.Evidence)
}

// Supersedes reports whether f, from a later scan of the same asset, port and rule, replaces
// g as the current verdict. It does, unless g rests on a script (a check confirmed it or
// downgraded it) and f's scan ran no checks (checksRan false, as riskmap's light tier): a
// scan that did not ask cannot overturn one that did.
func Supersedes(f, g riskmap.Finding, checksRan bool) bool {
	if checksRan {
		return true
	}
	byScript := func(x riskmap.Finding) bool {
		return strings.Contains(x.Evidence, "downgraded from ") || strings.Contains(x.Evidence, "script ")
	}
	return !byScript(g) || byScript(f)
}
