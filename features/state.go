package features

// Per-asset state that the builder keeps while it streams hosts, observations, findings and
// diffs. Each worker holds its own copy (indexed by asset number) and the copies are merged
// at the end, so the hot loops never lock. Every field is a count, a maximum or a small set,
// so merging is exact except for one case that ingest never produces: one scan's rows of
// one asset split across files read by different workers, when the asset had a scan in
// between (see obsAgg.merge).

// portSeen is one port that observations reported on an asset, in any state.
type portSeen struct {
	last  int64 // time key of the latest scan that saw it open; 0 if never open
	match int32 // KEV match result at that scan, -1 none
	port  uint16
	proto uint8 // protoTCP, protoUDP or protoOther
	info  uint8 // service class | infoTLS | infoHTTP | infoVersioned at that scan
}

const (
	infoClass     = 0x0f
	infoTLS       = 0x10
	infoHTTP      = 0x20
	infoVersioned = 0x40
)

// inlinePorts is how many ports an obsAgg holds without a heap allocation: most hosts show
// a handful, and a million small slices would cost the collector more than they hold.
const inlinePorts = 4

// obsAgg aggregates observations.
type obsAgg struct {
	inline  [inlinePorts]portSeen
	more    []portSeen       // the ports beyond the inline ones
	index   map[uint32]int32 // port key -> position in more, once more is long
	nInline uint8
	runOpen uint16 // open rows in the current run
	peak    uint16 // most open rows in a finished run
	scans   uint16 // runs, that is scans with observations of the asset
	runScan int32  // scan number + 1 of the current run of rows, 0 before the first
	now     int64  // time key of the latest scan with an observation of the asset
}

// each calls yield with every port the observations named; for p := range o.each.
func (a *obsAgg) each(yield func(*portSeen) bool) {
	for i := 0; i < int(a.nInline); i++ {
		if !yield(&a.inline[i]) {
			return
		}
	}
	for i := range a.more {
		if !yield(&a.more[i]) {
			return
		}
	}
}

// indexAfter is the number of overflow ports past which an obsAgg indexes them: a host that
// answers on every port (a tarpit, a misconfigured firewall) must not make each row a scan
// of thousands of entries.
const indexAfter = 32

func portKeyOf(port uint16, proto uint8) uint32 { return uint32(port) | uint32(proto)<<16 }

// port returns the entry of port/proto, adding it when new.
func (a *obsAgg) port(port uint16, proto uint8) *portSeen {
	for i := 0; i < int(a.nInline); i++ {
		if p := &a.inline[i]; p.port == port && p.proto == proto {
			return p
		}
	}
	if a.index != nil {
		if j, ok := a.index[portKeyOf(port, proto)]; ok {
			return &a.more[j]
		}
	} else {
		for i := range a.more {
			if p := &a.more[i]; p.port == port && p.proto == proto {
				return p
			}
		}
	}
	if a.nInline < inlinePorts {
		a.inline[a.nInline] = portSeen{port: port, proto: proto, match: -1}
		a.nInline++
		return &a.inline[a.nInline-1]
	}
	a.more = append(a.more, portSeen{port: port, proto: proto, match: -1})
	switch {
	case a.index != nil:
		a.index[portKeyOf(port, proto)] = int32(len(a.more) - 1)
	case len(a.more) > indexAfter:
		a.index = make(map[uint32]int32, 2*len(a.more))
		for j := range a.more {
			a.index[portKeyOf(a.more[j].port, a.more[j].proto)] = int32(j)
		}
	}
	return &a.more[len(a.more)-1]
}

// has reports whether any observation, in any state and protocol, named port p.
func (a *obsAgg) has(p uint16) bool {
	for i := 0; i < int(a.nInline); i++ {
		if a.inline[i].port == p {
			return true
		}
	}
	if a.index != nil {
		for _, proto := range [...]uint8{protoTCP, protoUDP, protoOther} {
			if _, ok := a.index[portKeyOf(p, proto)]; ok {
				return true
			}
		}
		return false
	}
	for i := range a.more {
		if a.more[i].port == p {
			return true
		}
	}
	return false
}

// merge folds b (another worker's state of the same asset) into a. A run that both workers
// have open (the same scan read from two files) is summed; any other run of b is closed
// into the peak.
func (a *obsAgg) merge(b *obsAgg) {
	if b.runScan == 0 {
		return
	}
	switch {
	case a.runScan == 0:
		a.runScan, a.runOpen, a.peak, a.scans = b.runScan, b.runOpen, b.peak, b.scans
	case a.runScan == b.runScan:
		a.runOpen += b.runOpen
		a.peak = max(a.peak, b.peak)
		a.scans += b.scans - 1
	default:
		a.peak = max(a.peak, b.peak, b.runOpen)
		a.scans += b.scans
	}
	a.now = max(a.now, b.now)
	for p := range b.each {
		q := a.port(p.port, p.proto)
		if p.last > q.last {
			q.last, q.match, q.info = p.last, p.match, p.info
		}
	}
}

func (a *obsAgg) peakOpen() uint16 { return max(a.peak, a.runOpen) }

// hostAgg aggregates the hosts table.
type hostAgg struct {
	lastKey int64 // time key of the latest scan that listed the host, in any state
	upScan  int32 // scan number + 1 last counted as up
	scansUp uint16
	osKey   int64 // time key of the latest scan with an OS match
	os      uint8
}

func (a *hostAgg) merge(b *hostAgg) {
	a.lastKey = max(a.lastKey, b.lastKey)
	a.scansUp += b.scansUp
	if b.upScan != 0 && b.upScan == a.upScan {
		a.scansUp-- // the same scan, split across two workers' files
	}
	if b.osKey > a.osKey {
		a.osKey, a.os = b.osKey, b.os
	}
}

// findAgg aggregates findings.
type findAgg struct {
	lastKey      int64     // time key of the latest scan that reported findings
	counts       [5]uint16 // by severity, in that scan
	seriousScan  int32     // scan number + 1 last counted as serious
	seriousScans uint16
	seriousKey   int64   // time key of the latest serious scan
	epss         float32 // highest EPSS of the CVEs the findings name
}

func (a *findAgg) merge(b *findAgg) {
	switch {
	case b.lastKey > a.lastKey:
		a.lastKey, a.counts = b.lastKey, b.counts
	case b.lastKey == a.lastKey:
		for i := range a.counts {
			a.counts[i] += b.counts[i]
		}
	}
	a.seriousScans += b.seriousScans
	if b.seriousScan != 0 && b.seriousScan == a.seriousScan {
		a.seriousScans--
	}
	a.seriousKey = max(a.seriousKey, b.seriousKey)
	a.epss = max(a.epss, b.epss)
}

// diffAgg aggregates baseline diffs.
type diffAgg struct {
	lastKey                      int64 // time key of the latest scan with diffs
	added, closed, changed, host uint16
	total                        uint32 // port changes in every diff
}

func (a *diffAgg) merge(b *diffAgg) {
	switch {
	case b.lastKey > a.lastKey:
		a.lastKey, a.added, a.closed, a.changed, a.host = b.lastKey, b.added, b.closed, b.changed, b.host
	case b.lastKey == a.lastKey:
		a.added += b.added
		a.closed += b.closed
		a.changed += b.changed
		a.host += b.host
	}
	a.total += b.total
}

// Change categories of the diffs table.
const (
	changeOther = iota
	changeNew
	changeClosed
	changePort
	changeHost
)
