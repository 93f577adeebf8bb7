package findings

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
)

// Rule ids of the security-group validation findings.
const (
	// RuleSGBypass: a port was open although no security rule of the asset allows it: the
	// rules are bypassed (another path in, a host firewall hole behind a permissive default)
	// or the inventory is stale.
	RuleSGBypass = "sg-bypass"
	// RuleSGUnusedOpen: a security rule opens ports to the internet where nothing listened in
	// any recent scan: the rule can be tightened or removed.
	RuleSGUnusedOpen = "sg-unused-open"
)

// ValidateExposure checks an asset's security rules against what nmap saw, both ways.
// recent holds the asset's recent scans, newest first, each as the observations of the
// asset's addresses in that scan.
//
//   - sg-bypass (high): a port open in the newest scan that no rule of the asset allows, from
//     any source.
//   - sg-unused-open (low): a rule that opens ports to the internet (0.0.0.0/0, ::/0, the
//     provider's Internet tag) where no port in its range was open in any recent scan. The
//     evidence quotes the rule. Scans are only evidence for the ports they probed: a scan
//     with no observation of the asset at all (host down, or every port summarised away)
//     does not count, and with no counting scan no such finding is made. Callers should pass
//     scans that covered the rule's ports; a port never probed cannot prove a rule unused.
//
// Findings are sorted as SortFindings does. A nil asset or no scans gives none.
func ValidateExposure(asset *riskmap.Asset, recent [][]riskmap.Observation) []riskmap.Finding {
	if asset == nil || len(recent) == 0 {
		return nil
	}
	ips := map[string]bool{}
	for _, ip := range asset.IPs() {
		ips[ip] = true
	}
	mine := func(o riskmap.Observation) bool {
		return ips[o.IP] || (o.AssetID != "" && o.AssetID == asset.ID)
	}
	var out []riskmap.Finding
	out = append(out, bypasses(asset, recent[0], mine)...)
	out = append(out, unused(asset, recent, mine)...)
	SortFindings(out)
	return out
}

func bypasses(asset *riskmap.Asset, newest []riskmap.Observation, mine func(riskmap.Observation) bool) []riskmap.Finding {
	var out []riskmap.Finding
	seen := map[string]bool{}
	for _, o := range newest {
		if !o.Open() || !mine(o) {
			continue
		}
		allowed := false
		for _, e := range asset.Exposed {
			if e.Covers(o.Proto, o.Port) {
				allowed = true
				break
			}
		}
		key := o.IP + "|" + o.Proto + "|" + strconv.Itoa(o.Port)
		if allowed || seen[key] {
			continue
		}
		seen[key] = true
		rules := "the asset has no ingress rules"
		if len(asset.Exposed) > 0 {
			var rs []string
			for _, e := range asset.Exposed {
				rs = append(rs, describeExposure(e))
			}
			rules = "its rules allow only: " + strings.Join(rs, "; ")
		}
		svc := ""
		if d := describeService(&o); d != "" {
			svc = " (" + d + ")"
		}
		out = append(out, riskmap.Finding{
			ScanID: o.ScanID, AssetID: asset.ID, IP: o.IP, Port: o.Port, Proto: o.Proto,
			RuleID: RuleSGBypass, Severity: riskmap.SeverityHigh,
			Title: "Open port that no security rule allows",
			Evidence: fmt.Sprintf("%d/%s open%s on %s in scan %s, but no security rule of asset %s allows %s %d from any source (%s): a rule bypass or a stale inventory",
				o.Port, o.Proto, svc, o.IP, o.ScanID, asset.ID, o.Proto, o.Port, rules),
		})
	}
	return out
}

func unused(asset *riskmap.Asset, recent [][]riskmap.Observation, mine func(riskmap.Observation) bool) []riskmap.Finding {
	// Only scans that saw the asset at all are evidence.
	var counted [][]riskmap.Observation
	var scanIDs []string
	for _, scan := range recent {
		var obs []riskmap.Observation
		for _, o := range scan {
			if mine(o) {
				obs = append(obs, o)
			}
		}
		if len(obs) == 0 {
			continue
		}
		counted = append(counted, obs)
		scanIDs = append(scanIDs, obs[0].ScanID)
	}
	if len(counted) == 0 {
		return nil
	}
	ip := ""
	if len(asset.PublicIPs) > 0 {
		ip = asset.PublicIPs[0]
	} else if all := asset.IPs(); len(all) > 0 {
		ip = all[0]
	}
	var out []riskmap.Finding
	seen := map[string]bool{}
	for _, e := range asset.Exposed {
		if !e.Internet() || (e.Proto != "tcp" && e.Proto != "udp" && e.Proto != "all") {
			continue
		}
		desc := describeExposure(e)
		if seen[desc] || listened(counted, e) {
			continue
		}
		seen[desc] = true
		port, proto := 0, e.Proto
		if e.FromPort == e.ToPort {
			port = e.FromPort
		}
		if proto == "all" {
			proto = ""
		}
		out = append(out, riskmap.Finding{
			ScanID: scanIDs[0], AssetID: asset.ID, IP: ip, Port: port, Proto: proto,
			RuleID: RuleSGUnusedOpen, Severity: riskmap.SeverityLow,
			Title: "Security rule opens ports to the internet where nothing listens",
			Evidence: fmt.Sprintf("security rule %s of asset %s opens %s to the internet, but nothing listened there in the last %d scans (%s): tighten or remove the rule",
				desc, asset.ID, portRange(e), len(counted), strings.Join(scanIDs, ", ")),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Evidence < out[j].Evidence })
	return out
}

// listened reports whether any counted scan saw a port open inside e.
func listened(scans [][]riskmap.Observation, e riskmap.Exposure) bool {
	for _, scan := range scans {
		for _, o := range scan {
			if o.Open() && e.Covers(o.Proto, o.Port) {
				return true
			}
		}
	}
	return false
}

func portRange(e riskmap.Exposure) string {
	proto := e.Proto
	if proto == "all" {
		proto = "tcp and udp"
	}
	switch {
	case e.AllPorts():
		return "every " + proto + " port"
	case e.FromPort == e.ToPort:
		return fmt.Sprintf("%d/%s", e.FromPort, proto)
	}
	return fmt.Sprintf("%d-%d/%s", e.FromPort, e.ToPort, proto)
}
