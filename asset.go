package riskmap

import (
	"slices"
	"time"
)

// Asset kinds, as the assets table stores them.
const (
	KindVM        = "vm"
	KindLB        = "lb"
	KindDB        = "db"
	KindContainer = "container"
	KindFunction  = "function"
	KindOther     = "other"
)

// Asset is one cloud resource in one inventory snapshot. ID is stable for the life of the
// resource (instance id, VM id), so an IP that moves to another resource is not mistaken for
// the same asset.
type Asset struct {
	SnapshotTime   time.Time
	ID             string
	Provider       string // aws, azure, gcp, csv, jsonl
	Account        string // AWS account, Azure subscription, GCP project
	Region         string // region or zone
	Network        string // VPC, VNet or GCP network
	Subnet         string
	Kind           string // one of the Kind constants
	State          string // running, stopped, ... as the provider says it
	Image          string // AMI, image id or source image
	Group          string // auto-scaling group, scale set or instance group
	SecurityGroups []string
	PrivateIPs     []string
	PublicIPs      []string
	DNSNames       []string
	Tags           []Tag
	LaunchedAt     time.Time // zero when unknown
	OSFamily       string    // linux, windows or "" when unknown
	// Exposed is the ingress that the asset's security rules allow, after deny rules and
	// priorities are applied.
	Exposed []Exposure
	// InternetExposedPorts lists the TCP/UDP ports (sorted, unique) open to 0.0.0.0/0, ::/0 or
	// the provider's Internet tag. A rule for all ports is not expanded here; see
	// Exposure.AllPorts.
	InternetExposedPorts []int
}

// Tag is a key/value label from the inventory.
type Tag struct {
	Key   string
	Value string
}

// TagValue returns the value of the first tag named key (case-insensitive), or "".
func (a *Asset) TagValue(key string) string {
	for _, t := range a.Tags {
		if equalFold(t.Key, key) {
			return t.Value
		}
	}
	return ""
}

// IPs returns the private then the public addresses of a.
func (a *Asset) IPs() []string {
	out := make([]string, 0, len(a.PrivateIPs)+len(a.PublicIPs))
	out = append(out, a.PrivateIPs...)
	return append(out, a.PublicIPs...)
}

// Exposure is one allowed ingress: a protocol, an inclusive port range and a source.
type Exposure struct {
	Proto    string // tcp, udp, icmp or all
	FromPort int    // 0 with ToPort 65535 means every port
	ToPort   int
	Source   string // a CIDR, a security group id, or a provider tag such as Internet
}

// AllPorts reports whether e covers every port.
func (e Exposure) AllPorts() bool { return e.FromPort <= 0 && e.ToPort >= 65535 }

// Covers reports whether e allows proto/port.
func (e Exposure) Covers(proto string, port int) bool {
	if e.Proto != "all" && e.Proto != proto {
		return false
	}
	return port >= e.FromPort && port <= e.ToPort
}

// Internet reports whether the source is the whole internet.
func (e Exposure) Internet() bool { return IsInternetSource(e.Source) }

// IsInternetSource reports whether src names the whole internet: 0.0.0.0/0, ::/0, or a
// provider tag that means it (Azure's Internet, *, Any).
func IsInternetSource(src string) bool {
	switch src {
	case "0.0.0.0/0", "::/0", "*", "Internet", "internet", "Any", "any", "0.0.0.0":
		return true
	}
	return false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// wideRange is the narrowest internet-open TCP range that makes an asset wide-open.
const wideRange = 1024

// WideRanges returns, for a wide-open asset, the TCP port ranges its rules open to the
// internet, merged and sorted ([1, 65535] when a rule opens every port); nil for any other
// asset. They are what the sweep takes first on it: ports outside them are no more exposed
// than any other asset's.
func (a *Asset) WideRanges() [][2]int {
	if !a.WideOpen() {
		return nil
	}
	var rs [][2]int
	for _, e := range a.Exposed {
		if !e.Internet() || (e.Proto != "all" && e.Proto != "tcp") {
			continue
		}
		from, to := max(e.FromPort, 1), min(e.ToPort, 65535)
		if e.AllPorts() {
			from, to = 1, 65535
		}
		if from <= to {
			rs = append(rs, [2]int{from, to})
		}
	}
	slices.SortFunc(rs, func(x, y [2]int) int { return x[0] - y[0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// WideOpen reports whether a's rules open every TCP port, or a range of at least 1,024, to
// the internet (an all-traffic rule, IpProtocol -1, from 0.0.0.0/0 is the common case), on an
// asset with a public address: the assets whose whole port space the sweep covers first.
func (a *Asset) WideOpen() bool {
	if len(a.PublicIPs) == 0 {
		return false
	}
	for _, e := range a.Exposed {
		if !e.Internet() || (e.Proto != "all" && e.Proto != "tcp") {
			continue
		}
		if e.AllPorts() || e.ToPort-e.FromPort+1 >= wideRange {
			return true
		}
	}
	return false
}
