package nmapxml

import (
	"net/netip"
	"slices"

	"github.com/riskmap/riskmap"
)

// hostState is what a <host> element says of itself while it is being read.
type hostState struct {
	h        riskmap.Host
	addrOff  int // offset of the address, for warnings
	badAddr  string
	osAcc    int
	obsStart int // index in res.Observations of this host's first port
}

// host reads one <host> element, the start tag just scanned. Its observations are appended
// to the result as its ports are read, and taken back if the element is never completed.
func (p *parser) host() error {
	lx := &p.lx
	p.hostStart = lx.start
	p.inHost = true // until commitHost: an error on the way leaves it set for stop
	var hs hostState
	hs.obsStart = len(p.res.Observations)
	p.portOffs = p.portOffs[:0]
	hs.h.ScanTime = p.started
	for i := range lx.attrs {
		a := lx.attr(i)
		if string(a.name) == "starttime" {
			t, err := p.unixTime(a, "host")
			if err != nil {
				return p.dropHost(&hs, err)
			}
			if !t.IsZero() {
				hs.h.ScanTime = t
			}
		}
	}
	if lx.empty {
		p.commitHost(&hs)
		return nil
	}
	for {
		k, err := lx.next()
		if err != nil {
			return p.dropHost(&hs, err)
		}
		switch k {
		case tokEOF:
			return p.dropHost(&hs, lx.eof("<host> that starts at line "+itoa(p.line(p.hostStart))))
		case tokStart:
			switch string(lx.tag()) {
			case "status":
				err = p.status(&hs.h)
			case "address":
				err = p.address(&hs)
			case "hostnames":
				err = p.hostnames(&hs.h)
			case "ports":
				err = p.ports(&hs.h)
			case "os":
				err = p.osElem(&hs)
			case "hostscript":
				hs.h.Scripts, err = p.scripts(hs.h.Scripts, "hostscript")
			default: // times, distance, uptime, tcpsequence, trace, addport, smurf, ...
				err = p.skip()
			}
			if err != nil {
				return p.dropHost(&hs, err)
			}
		case tokEnd:
			if string(lx.tag()) != "host" {
				return p.dropHost(&hs, lx.fail(lx.start, "end tag </%s> does not close <host>", lx.tag()))
			}
			p.commitHost(&hs)
			return nil
		case tokDoctype:
			return p.dropHost(&hs, &fatalError{p.refuse(lx.start, ErrEntity, "<!DOCTYPE> inside the document")})
		}
	}
}

// dropHost forgets the observations of a host that was never completed.
func (p *parser) dropHost(hs *hostState, err error) error {
	p.res.Observations = p.res.Observations[:hs.obsStart]
	return err
}

// commitHost adds a completed host and finishes its observations.
func (p *parser) commitHost(hs *hostState) {
	p.inHost = false
	h := &hs.h
	obs := p.res.Observations[hs.obsStart:]
	if h.IP == "" {
		if hs.badAddr == "" {
			p.res.Observations = p.res.Observations[:hs.obsStart]
			p.warn(p.hostStart, "host with no IPv4 or IPv6 address skipped")
			p.hostsDone++
			return
		}
		p.noIP++
		h.IP = Placeholder(p.noIP, hs.badAddr)
		p.warn(hs.addrOff, "host address %q is not an IP address: the host and its %d port(s) are kept as %s, a placeholder that is never a scan target",
			clip([]byte(hs.badAddr), 64), len(obs), h.IP)
	}
	if h.Status == "" {
		h.Status = "unknown"
	}
	if h.Status == "down" {
		// nmap lists no ports for a down host; if a file does, they are not observations.
		p.res.Observations = p.res.Observations[:hs.obsStart]
		obs = nil
	}
	for i := range obs {
		o := &obs[i]
		o.ScanTime, o.IP, o.OSMatch = h.ScanTime, h.IP, h.OSMatch
	}
	if len(p.portSeen) > 4096 {
		p.portSeen = make(map[portKey]struct{})
	}
	if hasDuplicatePort(obs, p.portSeen) {
		p.dedupeHost(h.IP, hs.obsStart)
	}
	p.hostsDone++
	if i, ok := p.hosts[h.IP]; ok {
		p.merge(&p.res.Hosts[i], h)
		return
	}
	p.hosts[h.IP] = len(p.res.Hosts)
	p.res.Hosts = append(p.res.Hosts, *h)
}

// hasDuplicatePort reports whether obs lists a protocol/port twice. nmap never does, so it
// is checked cheaply: pairwise for the usual handful of ports, with a set beyond.
func hasDuplicatePort(obs []riskmap.Observation, seen map[portKey]struct{}) bool {
	if len(obs) <= 16 {
		for i := range obs {
			for j := i + 1; j < len(obs); j++ {
				if obs[i].Port == obs[j].Port && obs[i].Proto == obs[j].Proto {
					return true
				}
			}
		}
		return false
	}
	clear(seen) // callers replace a map that grew large: clearing costs its capacity
	for i := range obs {
		k := portKey{obs[i].Proto, obs[i].Port}
		if _, dup := seen[k]; dup {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

type portKey struct {
	proto string
	port  int
}

// merge folds a repeated host element for the same address into the first one. nmap
// repeats a target listed twice; masscan writes one host element per open port.
func (p *parser) merge(into, h *riskmap.Host) {
	if p.merged == 0 {
		p.warn(p.hostStart, "address %s appears in more than one <host>; merged into the first", h.IP)
	}
	p.merged++
	if into.Status != "up" && h.Status == "up" {
		into.Status, into.Reason = h.Status, h.Reason
	}
	for _, n := range h.Hostnames {
		if len(into.Hostnames) < maxHostnames && !slices.Contains(into.Hostnames, n) {
			into.Hostnames = append(into.Hostnames, n)
		}
	}
	if into.OSMatch == "" {
		into.OSMatch, into.OSAccuracy = h.OSMatch, h.OSAccuracy
	}
	if into.ExtraPorts == nil {
		into.ExtraPorts = h.ExtraPorts
	}
	into.Scripts = append(into.Scripts, h.Scripts...)
}

func (p *parser) status(h *riskmap.Host) error {
	return p.stateAndReason("status", &h.Status, &h.Reason)
}

// stateAndReason reads the state and reason attributes of a <status> or <state> element,
// which host status and port state share.
func (p *parser) stateAndReason(elem string, state, reason *string) error {
	for i := range p.lx.attrs {
		a := p.lx.attr(i)
		var err error
		switch string(a.name) {
		case "state":
			*state, err = p.attr(a, elem)
		case "reason":
			*reason, err = p.attr(a, elem)
		}
		if err != nil {
			return err
		}
	}
	return p.skip()
}

// address keeps the first IPv4 or IPv6 address in canonical form; MAC addresses (and any
// other kind) are not IPs and are ignored.
func (p *parser) address(hs *hostState) error {
	var addr, typ attr
	for i := range p.lx.attrs {
		a := p.lx.attr(i)
		switch string(a.name) {
		case "addr":
			addr = a
		case "addrtype":
			typ = a
		}
	}
	kind := string(typ.val)
	if hs.h.IP == "" && (kind == "ipv4" || kind == "ipv6" || kind == "") && len(addr.val) > 0 {
		s, err := p.unique(addr, "address")
		if err != nil {
			return err
		}
		if ip, perr := netip.ParseAddr(s); perr == nil {
			if ip.Is4() {
				hs.h.IP = s // ParseAddr accepts only the canonical dotted quad
			} else {
				hs.h.IP = ip.String()
			}
		} else if hs.badAddr == "" {
			hs.badAddr, hs.addrOff = s, p.lx.start
		}
	}
	return p.skip()
}

func (p *parser) hostnames(h *riskmap.Host) error {
	lx := &p.lx
	if lx.empty {
		return nil
	}
	capped := false
	for {
		k, err := lx.next()
		if err != nil {
			return err
		}
		switch k {
		case tokEOF:
			return lx.eof("<hostnames>")
		case tokStart:
			if string(lx.tag()) == "hostname" {
				for i := range lx.attrs {
					a := lx.attr(i)
					if string(a.name) == "name" {
						n, err := p.unique(a, "hostname")
						if err != nil {
							return err
						}
						if len(h.Hostnames) >= maxHostnames {
							if !capped {
								p.warn(lx.start, "more than %d host names for one host; the rest ignored", maxHostnames)
								capped = true
							}
						} else if n != "" && !slices.Contains(h.Hostnames, n) {
							h.Hostnames = append(h.Hostnames, n)
						}
					}
				}
			}
			if err := p.skip(); err != nil {
				return err
			}
		case tokEnd:
			return p.closes("hostnames")
		}
	}
}

// maxHostnames bounds the names kept per host (nmap reports one or two): the check for
// repeats is quadratic, and hostile input must not make it so.
const maxHostnames = 64

// osElem keeps the osmatch with the highest accuracy (the first of equals: nmap lists the
// best first).
func (p *parser) osElem(hs *hostState) error {
	lx := &p.lx
	if lx.empty {
		return nil
	}
	for {
		k, err := lx.next()
		if err != nil {
			return err
		}
		switch k {
		case tokEOF:
			return lx.eof("<os>")
		case tokStart:
			if string(lx.tag()) == "osmatch" {
				var name string
				acc := -1
				for i := range lx.attrs {
					a := lx.attr(i)
					switch string(a.name) {
					case "name":
						if name, err = p.attr(a, "osmatch"); err != nil {
							return err
						}
					case "accuracy":
						acc = atoi(a.val)
					}
				}
				if name != "" && (hs.h.OSMatch == "" || acc > hs.osAcc) {
					hs.h.OSMatch, hs.h.OSAccuracy, hs.osAcc = name, max(acc, 0), acc
				}
			}
			if err := p.skip(); err != nil {
				return err
			}
		case tokEnd:
			return p.closes("os")
		}
	}
}

// scripts reads the <script> children of a <hostscript> (or similar) element into dst.
func (p *parser) scripts(dst []riskmap.Script, elem string) ([]riskmap.Script, error) {
	lx := &p.lx
	if lx.empty {
		return dst, nil
	}
	for {
		k, err := lx.next()
		if err != nil {
			return dst, err
		}
		switch k {
		case tokEOF:
			return dst, lx.eof("<" + elem + ">")
		case tokStart:
			if string(lx.tag()) == "script" {
				s, err := p.script()
				if err != nil {
					return dst, err
				}
				dst = append(dst, s)
			} else if err := p.skip(); err != nil {
				return dst, err
			}
		case tokEnd:
			return dst, p.closes(elem)
		}
	}
}
