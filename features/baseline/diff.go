package baseline

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// Snapshot is what one scan saw: the scan, its hosts and their ports. Coverage is the set of
// ports the scan probed; nil means unknown, and then every port it lists is compared.
type Snapshot struct {
	Scan         riskmap.Scan
	Hosts        []riskmap.Host
	Observations []riskmap.Observation
	Coverage     Coverage
}

// hostView is one host of a snapshot with its ports by protocol and number.
type hostView struct {
	host  riskmap.Host
	ports map[portKey]riskmap.Observation
}

type portKey struct {
	port  int
	proto string
}

// view groups a snapshot by IP. A host that has observations but no Host row counts as up:
// nmap lists ports only for hosts that are up.
func (s Snapshot) view() map[string]*hostView {
	out := map[string]*hostView{}
	for _, h := range s.Hosts {
		if _, dup := out[h.IP]; !dup {
			out[h.IP] = &hostView{host: h, ports: map[portKey]riskmap.Observation{}}
		}
	}
	for _, o := range s.Observations {
		v, ok := out[o.IP]
		if !ok {
			v = &hostView{host: riskmap.Host{ScanID: o.ScanID, ScanTime: o.ScanTime, IP: o.IP, AssetID: o.AssetID, Status: "up"},
				ports: map[portKey]riskmap.Observation{}}
			out[o.IP] = v
		}
		v.ports[portKey{o.Port, o.Proto}] = o
	}
	return out
}

// Diff compares current with its baseline, host by host (matched by IP), the way ndiff does,
// and returns the changes sorted by IP, then host-level changes before port changes, ports by
// number and protocol.
//
// Host changes: new_host and host_gone when a host is in one scan only (also when an IP
// moved to another asset: the old asset's host is gone and the new one is new);
// host_state_changed when its status differs (up to down); os_changed when both scans name
// a best OS match and they differ. A host that came up also gets a new_port for each port it
// lists, and one that went down a closed_port for each port it listed, as ndiff reports
// them; ports of a host that is up in neither scan are not compared.
//
// Port changes, where a port is "present" when the scan lists it (ndiff's sense): new_port
// (listed now, not before), closed_port (listed before, not now), port_state_changed
// (listed in both, state differs: open to closed, open to filtered, ...); for a port in the
// same state, service_changed (service name, product or TLS tunnel differ), else
// version_changed (version or extra info differ), else cpe_changed (the CPE sets differ).
// As in ndiff, a port whose state on both sides is unlisted or one of its host's summarised
// "Not shown" states is skipped. Ports outside either scan's Coverage are skipped.
//
// Ignored as noise: timings, scan times, the order of ports, CPEs and scripts, "Not shown"
// counts, and script output.
func Diff(baseline, current Snapshot) []riskmap.Diff {
	bv, cv := baseline.view(), current.view()
	ips := map[string]bool{}
	for ip := range bv {
		ips[ip] = true
	}
	for ip := range cv {
		ips[ip] = true
	}
	d := differ{baseline: baseline, current: current}
	for ip := range ips {
		b, c := bv[ip], cv[ip]
		switch {
		case b == nil:
			d.add(c.host.AssetID, ip, 0, "", riskmap.ChangeNewHost, "", c.host.Status, c.host.ScanTime)
		case c == nil:
			d.add(b.host.AssetID, ip, 0, "", riskmap.ChangeHostGone, b.host.Status, "", time.Time{})
		case b.host.AssetID != "" && c.host.AssetID != "" && b.host.AssetID != c.host.AssetID:
			d.add(b.host.AssetID, ip, 0, "", riskmap.ChangeHostGone, b.host.Status, "", c.host.ScanTime)
			d.add(c.host.AssetID, ip, 0, "", riskmap.ChangeNewHost, "", c.host.Status, c.host.ScanTime)
		default:
			d.hosts(b, c)
		}
	}
	sortDiffs(d.out)
	return d.out
}

type differ struct {
	baseline, current Snapshot
	out               []riskmap.Diff
}

func (d *differ) add(asset, ip string, port int, proto, change, before, after string, at time.Time) {
	if at.IsZero() {
		at = d.current.Scan.Started
	}
	d.out = append(d.out, riskmap.Diff{AssetID: asset, IP: ip, Port: port, Proto: proto, Change: change,
		Before: before, After: after, ScanID: d.current.Scan.ID, BaselineScanID: d.baseline.Scan.ID, ScanTime: at})
}

func (d *differ) hosts(b, c *hostView) {
	asset := c.host.AssetID
	if asset == "" {
		asset = b.host.AssetID
	}
	ip, at := c.host.IP, c.host.ScanTime
	if b.host.Status != c.host.Status {
		d.add(asset, ip, 0, "", riskmap.ChangeHostState, b.host.Status, c.host.Status, at)
	}
	bothUp := b.host.Status == "up" && c.host.Status == "up"
	if bothUp && b.host.OSMatch != "" && c.host.OSMatch != "" && b.host.OSMatch != c.host.OSMatch {
		d.add(asset, ip, 0, "", riskmap.ChangeOSChanged, b.host.OSMatch, c.host.OSMatch, at)
	}
	// A host that came up lists its ports as new, one that went down the ports that went
	// away, as ndiff does: a down host lists no ports, so comparing the two lists says it.
	// When neither side is up there is nothing observed to compare.
	if b.host.Status != "up" && c.host.Status != "up" {
		return
	}
	keys := map[portKey]bool{}
	for k := range b.ports {
		keys[k] = true
	}
	for k := range c.ports {
		keys[k] = true
	}
	for k := range keys {
		if !d.baseline.Coverage.Covers(k.proto, k.port) || !d.current.Coverage.Covers(k.proto, k.port) {
			continue
		}
		pb, inB := b.ports[k]
		pc, inC := c.ports[k]
		// ndiff's include_diff: nothing to say when both sides are unlisted or summarised.
		if summarised(b.host, pb, inB) && summarised(c.host, pc, inC) {
			continue
		}
		switch {
		case !inB:
			d.add(asset, ip, k.port, k.proto, riskmap.ChangeNewPort, "", portString(pc), at)
		case !inC:
			d.add(asset, ip, k.port, k.proto, riskmap.ChangeClosedPort, portString(pb), "", at)
		case pb.State != pc.State:
			d.add(asset, ip, k.port, k.proto, riskmap.ChangePortStateChanged, portString(pb), portString(pc), at)
		case serviceName(pb) != serviceName(pc) || pb.Product != pc.Product:
			d.add(asset, ip, k.port, k.proto, riskmap.ChangeServiceChanged, serviceString(pb), serviceString(pc), at)
		case pb.Version != pc.Version || pb.ExtraInfo != pc.ExtraInfo:
			d.add(asset, ip, k.port, k.proto, riskmap.ChangeVersionChanged, versionString(pb), versionString(pc), at)
		case cpeString(pb) != cpeString(pc):
			d.add(asset, ip, k.port, k.proto, riskmap.ChangeCPEChanged, cpeString(pb), cpeString(pc), at)
		}
	}
}

// summarised reports whether a port's state is unlisted or one that its host summarised as
// "Not shown", ndiff's is_extraports.
func summarised(h riskmap.Host, o riskmap.Observation, listed bool) bool {
	if !listed {
		return true
	}
	_, ok := h.ExtraPorts[o.State]
	return ok
}

// serviceName is ndiff's SERVICE column: the tunnel and the service name, "ssl/http".
func serviceName(o riskmap.Observation) string {
	if o.Tunnel != "" && o.Service != "" {
		return o.Tunnel + "/" + o.Service
	}
	return o.Service
}

// versionString is ndiff's VERSION column: product, version, (extra info).
func versionString(o riskmap.Observation) string {
	var parts []string
	for _, p := range []string{o.Product, o.Version} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if o.ExtraInfo != "" {
		parts = append(parts, "("+o.ExtraInfo+")")
	}
	return strings.Join(parts, " ")
}

func serviceString(o riskmap.Observation) string {
	return strings.TrimSpace(serviceName(o) + " " + versionString(o))
}

// portString is a port's line in ndiff's table without the port: "open ssh OpenSSH 8.9p1".
func portString(o riskmap.Observation) string {
	return strings.TrimSpace(o.State + " " + serviceString(o))
}

// cpeString is the sorted, de-duplicated CPE set, so that order is not a change.
func cpeString(o riskmap.Observation) string {
	set := map[string]bool{}
	for _, c := range o.CPEs {
		set[strings.ToLower(strings.TrimSpace(c))] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

var changeRank = map[string]int{
	riskmap.ChangeHostGone: 0, riskmap.ChangeNewHost: 1, riskmap.ChangeHostState: 2, riskmap.ChangeOSChanged: 3,
}

func sortDiffs(ds []riskmap.Diff) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.IP != b.IP {
			x, errX := netip.ParseAddr(a.IP)
			y, errY := netip.ParseAddr(b.IP)
			if errX == nil && errY == nil {
				return x.Less(y)
			}
			return a.IP < b.IP
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Proto != b.Proto {
			return a.Proto < b.Proto
		}
		ra, oka := changeRank[a.Change]
		rb, okb := changeRank[b.Change]
		if oka && okb && ra != rb {
			return ra < rb
		}
		return a.Change < b.Change
	})
}
