package nmapxml

import (
	"fmt"

	"github.com/riskmap/riskmap"
)

// nmaprun reads the root element's attributes.
func (p *parser) nmaprun() error {
	s := &p.res.Scan
	var scanner, version string
	for i := range p.lx.attrs {
		a := p.lx.attr(i)
		var err error
		switch string(a.name) {
		case "args":
			s.Args, err = p.unique(a, "nmaprun")
		case "start":
			p.started, err = p.unixTime(a, "nmaprun")
		case "version":
			version, err = p.attr(a, "nmaprun")
		case "scanner":
			scanner, err = p.attr(a, "nmaprun")
		}
		if err != nil {
			return err
		}
	}
	s.Started = p.started
	// Masscan writes nmap's format with scanner="masscan" and its own version: say so,
	// rather than pass masscan 1.3 off as nmap 1.3.
	if scanner != "" && scanner != "nmap" && version != "" {
		version = scanner + " " + version
	}
	s.NmapVersion = version
	return nil
}

func (p *parser) runstatsElem() error {
	lx := &p.lx
	p.runstats = true
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
			return lx.eof("<runstats>")
		case tokStart:
			switch string(lx.tag()) {
			case "finished":
				var msg string
				for i := range lx.attrs {
					a := lx.attr(i)
					switch string(a.name) {
					case "time":
						t, err := p.unixTime(a, "finished")
						if err != nil {
							return err
						}
						p.res.Scan.Finished = t
					case "exit":
						p.exit = string(a.val)
					case "errormsg":
						if msg, err = p.attr(a, "finished"); err != nil {
							return err
						}
					}
				}
				if p.exit == "error" {
					p.warn(lx.start, "nmap reported an error: %s", msg)
				}
			case "hosts":
				p.haveCounts = true
				for i := range lx.attrs {
					a := lx.attr(i)
					switch string(a.name) {
					case "up":
						p.up = max(atoi(a.val), 0)
					case "down":
						p.down = max(atoi(a.val), 0)
					}
				}
			}
			if err := p.skip(); err != nil {
				return err
			}
		case tokEnd:
			return p.closes("runstats")
		}
	}
}

// finish fills the Scan fields that depend on the whole document.
func (p *parser) finish() {
	r := p.res
	s := &r.Scan
	for i := range r.Hosts {
		r.Hosts[i].ScanID = s.ID
	}
	for i := range r.Observations {
		r.Observations[i].ScanID = s.ID
	}
	if p.merged > 0 {
		r.Observations = dedupe(r.Observations)
	}
	// No hosts or ports reads the same however it came about (nil, not an empty slice).
	if len(r.Hosts) == 0 {
		r.Hosts = nil
	}
	if len(r.Observations) == 0 {
		r.Observations = nil
	}
	if !p.haveCounts {
		for i := range r.Hosts {
			switch r.Hosts[i].Status {
			case "up":
				p.up++
			case "down":
				p.down++
			}
		}
	}
	s.HostsUp, s.HostsDown = p.up, p.down
	s.Targets = targetsFromArgs(s.Args)
	s.Complete = p.closed && p.runstats && !p.truncated && p.exit != "error"
	if p.closed && !p.runstats && !p.truncated {
		p.warn(len(p.lx.buf), "no <runstats>: nmap did not finish this run")
	}
	if p.suppressed > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d more warnings not listed", p.source(), p.suppressed))
	}
}

// dedupe keeps the first observation of each ip/proto/port, for documents that list one
// address in several host elements (masscan writes one per port).
func dedupe(obs []riskmap.Observation) []riskmap.Observation {
	type key struct {
		ip, proto string
		port      int
	}
	seen := make(map[key]struct{}, len(obs))
	out := obs[:0]
	for _, o := range obs {
		k := key{o.IP, o.Proto, o.Port}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, o)
	}
	return out
}
