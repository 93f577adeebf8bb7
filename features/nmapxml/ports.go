package nmapxml

import (
	"bytes"
	"unicode/utf8"

	"github.com/riskmap/riskmap"
)

// ports reads <ports>: its <port> children become observations, its <extraports> counts go
// to Host.ExtraPorts.
func (p *parser) ports(h *riskmap.Host) error {
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
			return lx.eof("<ports>")
		case tokStart:
			switch string(lx.tag()) {
			case "port":
				err = p.port()
			case "extraports":
				err = p.extraports(h)
			default:
				err = p.skip()
			}
			if err != nil {
				return err
			}
		case tokEnd:
			return p.closes("ports")
		}
	}
}

func (p *parser) extraports(h *riskmap.Host) error {
	var state string
	count := -1
	for i := range p.lx.attrs {
		a := p.lx.attr(i)
		switch string(a.name) {
		case "state":
			var err error
			if state, err = p.attr(a, "extraports"); err != nil {
				return err
			}
		case "count":
			count = atoi(a.val)
		}
	}
	if state != "" && count >= 0 {
		if h.ExtraPorts == nil {
			h.ExtraPorts = make(map[string]int, 2)
		}
		h.ExtraPorts[state] += count
	} else {
		p.warn(p.lx.start, "<extraports> without a state and a count ignored")
	}
	return p.skip()
}

// port reads one <port> into an observation appended to the result.
func (p *parser) port() error {
	lx := &p.lx
	start := lx.start
	var o riskmap.Observation
	num := -1
	for i := range lx.attrs {
		a := lx.attr(i)
		switch string(a.name) {
		case "protocol":
			var err error
			if o.Proto, err = p.attr(a, "port"); err != nil {
				return err
			}
		case "portid":
			num = atoi(a.val)
		}
	}
	if num < 0 || num > 65535 {
		p.warn(start, "<port> whose portid is not a number from 0 to 65535 skipped")
		return p.skip()
	}
	o.Port = num
	if lx.empty {
		p.res.Observations = append(p.res.Observations, o)
		p.portOffs = append(p.portOffs, start)
		return nil
	}
	p.cpes.begin()
	p.portScripts.begin()
	for {
		k, err := lx.next()
		if err != nil {
			return err
		}
		switch k {
		case tokEOF:
			return lx.eof("<port>")
		case tokStart:
			switch string(lx.tag()) {
			case "state":
				err = p.portState(&o)
			case "service":
				err = p.service(&o)
			case "script":
				var s riskmap.Script
				if s, err = p.script(); err == nil {
					p.portScripts.add(s)
				}
			default: // owner
				err = p.skip()
			}
			if err != nil {
				return err
			}
		case tokEnd:
			if err := p.closes("port"); err != nil {
				return err
			}
			o.CPEs = p.cpes.take()
			o.Scripts = p.portScripts.take()
			p.res.Observations = append(p.res.Observations, o)
			p.portOffs = append(p.portOffs, start)
			return nil
		}
	}
}

func (p *parser) portState(o *riskmap.Observation) error {
	return p.stateAndReason("state", &o.State, &o.Reason)
}

// service reads <service> and the CPEs inside it (nmap 5.5 and later).
func (p *parser) service(o *riskmap.Observation) error {
	lx := &p.lx
	for i := range lx.attrs {
		a := lx.attr(i)
		var err error
		switch string(a.name) {
		case "name":
			o.Service, err = p.attr(a, "service")
		case "product":
			o.Product, err = p.attr(a, "service")
		case "version":
			o.Version, err = p.attr(a, "service")
		case "extrainfo":
			o.ExtraInfo, err = p.attr(a, "service")
		case "tunnel":
			o.Tunnel, err = p.attr(a, "service")
		}
		if err != nil {
			return err
		}
	}
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
			return lx.eof("<service>")
		case tokStart:
			if string(lx.tag()) == "cpe" {
				v, err := p.text("cpe", p.opts.MaxAttrBytes)
				if err != nil {
					return err
				}
				if v != "" {
					p.cpes.add(v)
				}
			} else if err := p.skip(); err != nil {
				return err
			}
		case tokEnd:
			return p.closes("service")
		}
	}
}

// script reads one <script>. Its output attribute is what riskmap keeps, whatever the nmap
// version (flat output in old ones, output plus <elem>/<table> in newer ones); only when
// the attribute is missing is the structured content rendered as indented text.
func (p *parser) script() (riskmap.Script, error) {
	lx := &p.lx
	var s riskmap.Script
	var out attr
	hasOut := false
	for i := range lx.attrs {
		a := lx.attr(i)
		switch string(a.name) {
		case "id":
			var err error
			if s.ID, err = p.attr(a, "script"); err != nil {
				return s, err
			}
		case "output":
			out, hasOut = a, true
		}
	}
	if hasOut {
		var err error
		if s.Output, err = p.scriptOutput(out, s.ID); err != nil {
			return s, err
		}
	}
	if lx.empty {
		return s, nil
	}
	if hasOut {
		return s, p.skip()
	}
	var err error
	s.Output, err = p.structured(s.ID)
	return s, err
}

// structured renders the <elem>/<table> content of a script that has no output attribute
// as "key: value" lines, indented by table depth, bounded like any script output.
func (p *parser) structured(id string) (string, error) {
	lx := &p.lx
	limit := p.opts.MaxScriptBytes
	b := p.sbuf[:0]
	cut := false
	line := func(depth int, key, val string) {
		if cut {
			return
		}
		n := len(b)
		for range depth {
			b = append(b, "  "...)
		}
		b = append(b, key...)
		if key != "" && val != "" {
			b = append(b, ": "...)
		}
		b = append(b, val...)
		b = append(b, '\n')
		if len(b) > limit {
			k := max(limit, n)
			for k > n && !utf8.RuneStart(b[k]) {
				k--
			}
			b, cut = b[:k], true
		}
	}
	depth := 0
	for {
		k, err := lx.next()
		if err != nil {
			return "", err
		}
		switch k {
		case tokEOF:
			return "", lx.eof("<script>")
		case tokStart:
			var key string
			for i := range lx.attrs {
				a := lx.attr(i)
				if string(a.name) == "key" {
					if key, err = p.attr(a, string(lx.tag())); err != nil {
						return "", err
					}
				}
			}
			switch string(lx.tag()) {
			case "table":
				if key != "" {
					line(depth, key+":", "")
				}
				if !lx.empty {
					if depth >= maxDepth {
						return "", lx.fail(lx.start, "script tables nested deeper than %d", maxDepth)
					}
					depth++
				}
			case "elem":
				v, err := p.text("elem", limit)
				if err != nil {
					return "", err
				}
				line(depth, key, v)
			default:
				if err := p.skip(); err != nil {
					return "", err
				}
			}
		case tokEnd:
			if depth == 0 {
				if err := p.closes("script"); err != nil {
					return "", err
				}
				p.sbuf = b[:0]
				out := p.newString(bytes.TrimRight(b, "\n"))
				if len(out) > limit {
					out, cut = fit(out, limit), true
				}
				if cut {
					p.warn(lx.start, "structured output of script %s is over %d bytes, cut", id, limit)
					out += TruncationMarker
				}
				return out, nil
			}
			if err := p.closes("table"); err != nil {
				return "", err
			}
			depth--
		}
	}
}

// text reads the character data of the element whose start tag was just scanned (such as
// <cpe> or <elem>), decoded, trimmed and cut to limit bytes.
func (p *parser) text(elem string, limit int) (string, error) {
	lx := &p.lx
	if lx.empty {
		return "", nil
	}
	b := p.tbuf[:0]
	cut := false
	for {
		k, err := lx.next()
		if err != nil {
			return "", err
		}
		switch k {
		case tokEOF:
			return "", lx.eof("<" + elem + ">")
		case tokText, tokCDATA:
			if cut {
				continue
			}
			if k == tokCDATA {
				room := limit - len(b)
				if len(lx.text()) > room {
					for room > 0 && !utf8.RuneStart(lx.text()[room]) {
						room--
					}
					b, cut = append(b, lx.text()[:room]...), true
					continue
				}
				b = append(b, lx.text()...)
				continue
			}
			var derr *decodeError
			off := len(b)
			b, cut, derr = decode(b, lx.text(), limit-off, false)
			if derr != nil {
				return "", &syntaxError{off: lx.start + derr.off, msg: "in <" + elem + ">: " + derr.msg}
			}
		case tokStart:
			if err := p.skip(); err != nil {
				return "", err
			}
		case tokEnd:
			if err := p.closes(elem); err != nil {
				return "", err
			}
			p.tbuf = b[:0]
			if cut {
				p.warn(lx.start, "text of <%s> is over %d bytes, cut", elem, limit)
			}
			return fit(p.str(bytes.TrimSpace(b)), limit), nil
		}
	}
}
