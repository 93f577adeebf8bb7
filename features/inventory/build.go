package inventory

import (
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// built is one asset resolved from the inputs, with where it came from so that duplicates
// can be reported and the later Add can win.
type built struct {
	asset riskmap.Asset
	file  string
	seq   int // order of the Add call that described it
}

// canonicalIP returns s in canonical form, or ok=false when it is not an IP address.
func canonicalIP(s string) (string, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	return a.Unmap().String(), true
}

// isPublicIP reports whether a canonical address is routable on the internet, which is how
// an AWS IPv6 address (globally unique, no NAT) ends up among the public addresses.
func isPublicIP(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	p := netip.PrefixFrom(a, a.BitLen())
	for _, np := range nonPublic {
		if np.Overlaps(p) {
			return false
		}
	}
	return a.IsGlobalUnicast()
}

// appendUnique appends the non-empty values not already in list, keeping first-seen order.
func appendUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// splitList splits the comma-separated lists that `az vm list -d` prints.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		out = appendUnique(out, f)
	}
	return out
}

// tagsFromMap turns a provider's tag map into Tags sorted by key.
func tagsFromMap(m map[string]string) []riskmap.Tag {
	out := make([]riskmap.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, riskmap.Tag{Key: k, Value: v})
	}
	sortTags(out)
	return out
}

func sortTags(t []riskmap.Tag) {
	sort.Slice(t, func(i, j int) bool {
		if t[i].Key != t[j].Key {
			return t[i].Key < t[j].Key
		}
		return t[i].Value < t[j].Value
	})
}

// parseTime reads the RFC 3339 timestamps every provider prints (AWS CLI v1 ".000Z", v2
// "+00:00", Azure's seven fractional digits, GCP's local offsets) and returns it in UTC.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// lastSegment returns what follows the last slash of a resource path or URL.
func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// osFamily maps a provider's platform words to linux, windows or "".
func osFamily(words ...string) string {
	for _, w := range words {
		lw := strings.ToLower(w)
		switch {
		case strings.Contains(lw, "windows"):
			return "windows"
		case lw == "":
		case strings.Contains(lw, "linux"), strings.Contains(lw, "unix"), strings.Contains(lw, "red hat"),
			strings.Contains(lw, "suse"), strings.Contains(lw, "ubuntu"), strings.Contains(lw, "debian"):
			return "linux"
		}
	}
	return ""
}

// cloneAsset copies a's slices, so that resolving (which appends to them) never writes into
// what the importer keeps, and so that callers own what Assets returns.
func cloneAsset(a riskmap.Asset) riskmap.Asset {
	a.SecurityGroups = slices.Clone(a.SecurityGroups)
	a.PrivateIPs = slices.Clone(a.PrivateIPs)
	a.PublicIPs = slices.Clone(a.PublicIPs)
	a.DNSNames = slices.Clone(a.DNSNames)
	a.Tags = slices.Clone(a.Tags)
	a.Exposed = slices.Clone(a.Exposed)
	a.InternetExposedPorts = slices.Clone(a.InternetExposedPorts)
	return a
}
