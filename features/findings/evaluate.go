package findings

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/intel"
)

// Input is what rules look at: one host of one scan, and the asset it belongs to.
type Input struct {
	Asset        *riskmap.Asset        // may be nil: exposure is then unknown
	Observations []riskmap.Observation // the host's ports in one scan
	Host         *riskmap.Host         // may be nil: host scripts are then absent
}

// Evaluate applies every rule to in and returns the findings sorted by IP, port, protocol
// and rule id, at most one per rule and port. Only open ports are looked at. kev and epss
// may be nil: rules that need them then match nothing. epss looks up a CVE's probability
// (intel.EPSS.Lookup is one); it is called here, at evaluation time, and never stored in
// the rules.
func (r *Rules) Evaluate(in Input, kev *intel.KEV, epss func(cve string) (float64, bool)) []riskmap.Finding {
	if r == nil {
		return nil
	}
	var out []riskmap.Finding
	seen := map[string]bool{}
	for i := range in.Observations {
		o := &in.Observations[i]
		if !o.Open() {
			continue
		}
		ctx := newPortContext(in.Asset, o, kev)
		for j := range r.List {
			rule := &r.List[j]
			if rule.Match.HostScript != nil {
				continue
			}
			f, ok := rule.evalPort(ctx, epss)
			if !ok {
				continue
			}
			key := rule.ID + "|" + o.IP + "|" + o.Proto + "|" + strconv.Itoa(o.Port)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, f)
		}
	}
	if in.Host != nil {
		for j := range r.List {
			rule := &r.List[j]
			if rule.Match.HostScript == nil {
				continue
			}
			if f, ok := rule.evalHost(in.Asset, in.Host); ok {
				out = append(out, f)
			}
		}
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings by IP (numerically), port, protocol and rule id, the order
// Evaluate and ValidateExposure return.
func SortFindings(fs []riskmap.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.IP != b.IP {
			return ipLess(a.IP, b.IP)
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		return a.RuleID < b.RuleID
	})
}

func ipLess(a, b string) bool {
	x, errX := netip.ParseAddr(a)
	y, errY := netip.ParseAddr(b)
	if errX == nil && errY == nil {
		return x.Less(y)
	}
	return a < b
}

// portContext holds what every rule reads of one open port, worked out once.
type portContext struct {
	asset    *riskmap.Asset
	obs      *riskmap.Observation
	exposure exposureInfo
	kev      []intel.Match
	cves     []string // CVEs tied to the port: KEV matches and script mentions
}

func newPortContext(asset *riskmap.Asset, o *riskmap.Observation, kev *intel.KEV) *portContext {
	c := &portContext{asset: asset, obs: o, exposure: internetExposure(asset, o.Proto, o.Port)}
	if kev != nil {
		c.kev = kev.Match(o.CPEs, o.Product, o.Version)
	}
	set := map[string]bool{}
	for _, m := range c.kev {
		set[m.CVE] = true
	}
	for _, s := range o.Scripts {
		for _, cve := range cveRe.FindAllString(s.Output, -1) {
			set[strings.ToUpper(cve)] = true
		}
	}
	for cve := range set {
		c.cves = append(c.cves, cve)
	}
	sort.Strings(c.cves)
	return c
}

var cveRe = regexp.MustCompile(`(?i)\bCVE-[0-9]{4}-[0-9]{4,}\b`)

// exposureInfo says whether the inventory opens a port to the internet, and by which rule.
type exposureInfo struct {
	known    bool // an asset was given
	internet bool
	because  string
}

func internetExposure(a *riskmap.Asset, proto string, port int) exposureInfo {
	if a == nil {
		return exposureInfo{because: "exposure unknown: no inventory asset for this address"}
	}
	for _, e := range a.Exposed {
		if e.Internet() && e.Covers(proto, port) {
			return exposureInfo{known: true, internet: true, because: "internet-exposed by security rule " + describeExposure(e)}
		}
	}
	for _, p := range a.InternetExposedPorts {
		if p == port {
			return exposureInfo{known: true, internet: true, because: fmt.Sprintf("internet-exposed: port %d is in the asset's internet-exposed ports", port)}
		}
	}
	return exposureInfo{known: true, because: "not internet-exposed by the asset's security rules"}
}

// describeExposure writes a security rule the way the evidence quotes it: "tcp 6379 from
// 0.0.0.0/0", "tcp 8000-8100 from 10.0.0.0/8", "all ports from ::/0".
func describeExposure(e riskmap.Exposure) string {
	proto := e.Proto
	switch {
	case e.AllPorts() && (proto == "all" || proto == ""):
		return "all traffic from " + e.Source
	case e.AllPorts():
		return proto + " all ports from " + e.Source
	case e.FromPort == e.ToPort:
		return fmt.Sprintf("%s %d from %s", proto, e.FromPort, e.Source)
	}
	return fmt.Sprintf("%s %d-%d from %s", proto, e.FromPort, e.ToPort, e.Source)
}

func (r *Rule) evalPort(c *portContext, epss func(string) (float64, bool)) (riskmap.Finding, bool) {
	m := &r.Match
	o := c.obs
	var ev []string
	if m.Proto != "" && !strings.EqualFold(m.Proto, o.Proto) {
		return riskmap.Finding{}, false
	}
	if len(m.Services)+len(m.Products)+len(m.Ports) > 0 {
		why, ok := identify(m, o)
		if !ok {
			return riskmap.Finding{}, false
		}
		ev = append(ev, why)
	}
	switch m.Internet {
	case ExposureInternet:
		if !c.exposure.internet {
			return riskmap.Finding{}, false
		}
	case ExposureInternal:
		if !c.exposure.known || c.exposure.internet {
			return riskmap.Finding{}, false
		}
	}
	if m.Script != nil {
		why, ok := scriptMatches(m.Script, o.Scripts)
		if !ok {
			return riskmap.Finding{}, false
		}
		ev = append(ev, why)
	}
	if len(m.Version) > 0 {
		v := leadingVersion(o.Version)
		if !intel.KnownVersion(v) {
			return riskmap.Finding{}, false
		}
		var cs []string
		for _, con := range m.Version {
			if !con.holds(v) {
				return riskmap.Finding{}, false
			}
			cs = append(cs, con.String())
		}
		ev = append(ev, fmt.Sprintf("version %s satisfies %s", v, strings.Join(cs, ", ")))
	}
	cves := map[string]bool{}
	if m.KEV {
		var parts []string
		for _, km := range c.kev {
			if m.KEVConfidence != "" && km.Confidence != m.KEVConfidence {
				continue
			}
			cves[km.CVE] = true
			parts = append(parts, fmt.Sprintf("%s (%s: %s)", km.CVE, km.Confidence, km.Entry.Name))
		}
		if len(parts) == 0 {
			return riskmap.Finding{}, false
		}
		ev = append(ev, "CISA KEV lists "+strings.Join(parts, ", "))
	}
	if m.EPSSAtLeast > 0 {
		if epss == nil {
			return riskmap.Finding{}, false
		}
		var parts []string
		for _, cve := range c.cves {
			if s, ok := epss(cve); ok && s >= m.EPSSAtLeast {
				cves[cve] = true
				parts = append(parts, fmt.Sprintf("%s %.3f", cve, s))
			}
		}
		if len(parts) == 0 {
			return riskmap.Finding{}, false
		}
		ev = append(ev, fmt.Sprintf("EPSS at least %g: %s", m.EPSSAtLeast, strings.Join(parts, ", ")))
	}
	sev := r.Severity
	if r.InternetSeverity != nil && c.exposure.internet {
		sev = *r.InternetSeverity
	}
	if d := r.Downgrade; d != nil {
		if why, ok := scriptMatches(d.Script, o.Scripts); ok {
			to := d.Severity
			if c.exposure.internet && r.InternetSeverity != nil {
				to = d.InternetSeverity
			}
			if to < sev {
				ev = append(ev, fmt.Sprintf("downgraded from %s to %s, %s", sev, to, why))
				sev = to
			}
		}
	}
	head := fmt.Sprintf("%d/%s open", o.Port, o.Proto)
	if d := describeService(o); d != "" {
		head += " (" + d + ")"
	}
	parts := append([]string{head}, ev...)
	parts = append(parts, c.exposure.because)
	assetID := o.AssetID
	if assetID == "" && c.asset != nil {
		assetID = c.asset.ID
	}
	return riskmap.Finding{
		ScanID: o.ScanID, AssetID: assetID, IP: o.IP, Port: o.Port, Proto: o.Proto,
		RuleID: r.ID, Severity: sev, Title: r.Title, Evidence: strings.Join(parts, "; "), CVEs: sortedKeys(cves),
	}, true
}

func (r *Rule) evalHost(asset *riskmap.Asset, h *riskmap.Host) (riskmap.Finding, bool) {
	why, ok := scriptMatches(r.Match.HostScript, h.Scripts)
	if !ok {
		return riskmap.Finding{}, false
	}
	assetID := h.AssetID
	if assetID == "" && asset != nil {
		assetID = asset.ID
	}
	return riskmap.Finding{
		ScanID: h.ScanID, AssetID: assetID, IP: h.IP, RuleID: r.ID, Severity: r.Severity,
		Title: r.Title, Evidence: "host " + why,
	}, true
}

// identify reports which of the rule's service names, products or ports the port matched.
func identify(m *Match, o *riskmap.Observation) (string, bool) {
	for _, s := range m.Services {
		if strings.EqualFold(s, o.Service) {
			return "service " + o.Service, true
		}
	}
	for _, p := range m.Products {
		if p != "" && strings.Contains(strings.ToLower(o.Product), strings.ToLower(p)) {
			return fmt.Sprintf("product %q", o.Product), true
		}
	}
	for _, p := range m.Ports {
		if p == o.Port {
			return fmt.Sprintf("port %d", p), true
		}
	}
	return "", false
}

func scriptMatches(sm *ScriptMatch, scripts []riskmap.Script) (string, bool) {
	for _, s := range scripts {
		if s.ID != sm.ID {
			continue
		}
		if sm.Output == nil {
			return "script " + s.ID + " ran", true
		}
		if loc := sm.Output.FindStringIndex(s.Output); loc != nil {
			return fmt.Sprintf("script %s output matched %q", s.ID, excerpt(s.Output, loc)), true
		}
	}
	return "", false
}

// excerpt returns the matched text, widened to its line, at most 120 bytes.
func excerpt(s string, loc []int) string {
	start, end := loc[0], loc[1]
	for start > 0 && s[start-1] != '\n' {
		start--
	}
	for end < len(s) && s[end] != '\n' {
		end++
	}
	out := strings.TrimSpace(s[start:end])
	if len(out) > 120 {
		out = out[:120] + "..."
	}
	return out
}

// describeService writes what nmap said of the port, as ndiff's SERVICE and VERSION columns.
func describeService(o *riskmap.Observation) string {
	var parts []string
	name := o.Service
	if o.Tunnel != "" && name != "" {
		name = o.Tunnel + "/" + name
	}
	for _, p := range []string{name, o.Product, o.Version} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if o.ExtraInfo != "" {
		parts = append(parts, "("+o.ExtraInfo+")")
	}
	return strings.Join(parts, " ")
}

// leadingVersion takes the release number out of nmap's version field ("8.9p1 Ubuntu
// 3ubuntu0.1" gives 8.9p1); a range gives "".
func leadingVersion(v string) string {
	if strings.Contains(v, " - ") {
		return ""
	}
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
