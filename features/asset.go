package features

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// OS families as assetInfo keeps them.
const (
	osUnknown = iota
	osLinux
	osWindows
)

// Rule protocols as rule keeps them.
const (
	protoOther = iota
	protoTCP
	protoUDP
	protoAll
)

// rule is one allowed ingress, compact.
type rule struct {
	lo, hi   uint16
	proto    uint8
	internet bool
}

func (r rule) covers(proto uint8, port int) bool {
	if r.proto != protoAll && r.proto != proto {
		return false
	}
	return port >= int(r.lo) && port <= int(r.hi)
}

// assetInfo is what the builder keeps of one asset of the snapshot: the features that
// depend on the inventory row alone, and the keys that join it to its neighbours.
type assetInfo struct {
	static               [fScansSeen]float32
	launched             int64 // the asset's launch in microseconds, noLaunch when unknown (ageDays)
	image, group, subnet int32 // interned; -1 when empty
	sgs                  span  // security group numbers, in snapshot.sgs
	rules                span  // in snapshot.rules
	inet                 span  // InternetExposedPorts, in snapshot.inet
	os                   uint8
}

func protoCode(p string) uint8 {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return protoTCP
	case "udp", "17":
		return protoUDP
	case "all", "-1", "*", "any":
		return protoAll
	}
	return protoOther
}

func clampPort(p int) uint16 {
	if p < 0 {
		return 0
	}
	if p > 65535 {
		return 65535
	}
	return uint16(p)
}

// noLaunch is assetInfo.launched of an asset whose launch is unknown.
const noLaunch = math.MinInt64

// launchedAt is assetInfo.launched as a time.
func (info *assetInfo) launchedAt() time.Time {
	if info.launched == noLaunch {
		return time.Time{}
	}
	return time.UnixMicro(info.launched).UTC()
}

// ageDays is the fAgeDays feature: days from launch to asOf, 0 when unknown or later.
func ageDays(launched, asOf time.Time) float32 {
	if !launched.IsZero() && launched.Before(asOf) {
		return float32(asOf.Sub(launched).Hours() / 24)
	}
	return 0
}

// staticFeatures fills the exposure and asset features of a (positions below fScansSeen).
// scratch is reused between calls to hold a's internet rules.
func staticFeatures(a *riskmap.Asset, asOf time.Time, out *[fScansSeen]float32, scratch *[]riskmap.Exposure) {
	*out = [fScansSeen]float32{}
	b := func(v bool) float32 {
		if v {
			return 1
		}
		return 0
	}
	inet := (*scratch)[:0]
	for _, e := range a.Exposed {
		if e.Internet() {
			inet = append(inet, e)
		}
	}
	*scratch = inet
	// open reports whether the rules let the internet reach TCP port p.
	open := func(p int) bool {
		if slices.Contains(a.InternetExposedPorts, p) {
			return true
		}
		for _, e := range inet {
			if e.Covers("tcp", p) { // Covers also takes rules for every protocol
				return true
			}
		}
		return false
	}
	out[fHasPublicIP] = b(len(a.PublicIPs) > 0)
	out[fPublicIPs] = float32(len(a.PublicIPs))
	out[fIngressRules] = float32(len(a.Exposed))
	out[fInternetRules] = float32(len(inet))
	out[fInternetPorts] = float32(len(a.InternetExposedPorts))
	var udp, all bool
	for _, e := range inet {
		p := protoCode(e.Proto)
		if p == protoOther {
			continue
		}
		switch {
		case e.AllPorts():
			all = true
		case e.ToPort > e.FromPort:
			out[fInternetRanges]++
		}
		if p == protoUDP || p == protoAll {
			udp = true
		}
	}
	out[fInternetAllPorts] = b(all)
	out[fInternetUDP] = b(udp)
	for _, p := range adminPorts {
		if open(p) {
			out[fInternetAdmin]++
		}
	}
	out[fInternetSSH] = b(open(22))
	out[fInternetRDP] = b(open(3389))
	for _, p := range dataPorts {
		if open(p) {
			out[fInternetData]++
		}
	}

	switch strings.ToLower(a.Kind) {
	case riskmap.KindVM:
		out[fKindVM] = 1
	case riskmap.KindLB:
		out[fKindLB] = 1
	case riskmap.KindDB:
		out[fKindDB] = 1
	case riskmap.KindContainer:
		out[fKindContainer] = 1
	case riskmap.KindFunction:
		out[fKindFunction] = 1
	default:
		out[fKindOther] = 1
	}
	env := a.TagValue("env")
	if env == "" {
		env = a.TagValue("environment")
	}
	switch environment(env) {
	case envProd:
		out[fEnvProd] = 1
	case envStaging:
		out[fEnvStaging] = 1
	case envDev:
		out[fEnvDev] = 1
	}
	crit := a.TagValue("criticality")
	if crit == "" {
		crit = a.TagValue("business_criticality")
	}
	if crit == "" {
		crit = a.TagValue("business-criticality")
	}
	out[fCriticality] = float32(criticality(crit))
	out[fAgeDays] = ageDays(a.LaunchedAt, asOf)
	switch osFamily(a.OSFamily) {
	case osLinux:
		out[fOSLinux] = 1
	case osWindows:
		out[fOSWindows] = 1
	}
	out[fRunning] = b(strings.Contains(strings.ToLower(a.State), "running"))
	out[fTags] = float32(len(a.Tags))
	out[fSecurityGroups] = float32(len(a.SecurityGroups))
}

const (
	envNone = iota
	envProd
	envStaging
	envDev
)

// environment reads an env tag. Staging names are checked before the production prefix so
// that "preprod" is staging.
func environment(v string) int {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "":
		return envNone
	case "staging", "stage", "stg", "preprod", "pre-prod", "preproduction", "uat", "qa", "test-staging":
		return envStaging
	case "prod", "production", "prd", "live", "prod1", "prod2":
		return envProd
	case "dev", "development", "develop", "test", "testing", "sandbox", "sbx", "lab", "local":
		return envDev
	}
	switch {
	case strings.HasPrefix(v, "stag"), strings.HasPrefix(v, "preprod"), strings.HasPrefix(v, "uat"):
		return envStaging
	case strings.HasPrefix(v, "prod"):
		return envProd
	case strings.HasPrefix(v, "dev"), strings.HasPrefix(v, "test"), strings.HasPrefix(v, "sandbox"):
		return envDev
	}
	return envNone
}

// criticality reads a criticality tag as a level from 1 (low) to 4 (critical), 0 unknown.
func criticality(v string) int {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "critical", "crit", "mission-critical", "mission_critical", "very high", "very-high":
		return 4
	case "high":
		return 3
	case "medium", "moderate", "med", "normal":
		return 2
	case "low", "minimal", "none":
		return 1
	}
	return 0
}

// osFamily reads an inventory OS family or an nmap OS match name.
func osFamily(v string) uint8 {
	l := strings.ToLower(v)
	switch {
	case strings.Contains(l, "windows"):
		return osWindows
	case strings.Contains(l, "linux"), strings.Contains(l, "ubuntu"), strings.Contains(l, "debian"),
		strings.Contains(l, "centos"), strings.Contains(l, "red hat"), strings.Contains(l, "rhel"),
		strings.Contains(l, "amazon"), strings.Contains(l, "alpine"):
		return osLinux
	}
	return osUnknown
}
