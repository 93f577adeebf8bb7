package nmapxml

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// maxInterned bounds the intern table, so that a file of unique values cannot grow it
// without end; past it, values are simply allocated.
const (
	maxInterned   = 1 << 16
	maxInternSize = 64
)

// str turns bytes the parser keeps into a string: short values through the intern table
// (a scan repeats "open", "syn-ack", "http", "nginx" hundreds of thousands of times), with
// a direct-mapped cache in front of it that answers most lookups without the map.
func (p *parser) str(b []byte) string {
	if len(b) > maxInternSize {
		return p.newString(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &p.recent[h%uint32(len(p.recent))]
	if *slot == string(b) {
		return *slot
	}
	s, ok := p.intern[string(b)]
	if !ok {
		s = p.newString(b)
		if len(p.intern) < maxInterned {
			p.intern[s] = s
		}
	}
	*slot = s
	return s
}

// newString copies b. Invalid UTF-8, and characters that XML does not allow (raw control
// bytes, U+FFFE, U+FFFF), become U+FFFD: every string Parse returns is valid UTF-8 and can
// be written back into XML.
func (p *parser) newString(b []byte) string {
	if xmlClean(b) && utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 || !xmlChar(r) {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// xmlClean reports whether b has none of the bytes that spell a character XML forbids.
func xmlClean(b []byte) bool {
	for i, c := range b {
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		case c == 0xEF:
			if i+2 < len(b) && b[i+1] == 0xBF && b[i+2] >= 0xBE {
				return false
			}
		}
	}
	return true
}

// attr decodes attribute a of element elem, cut to MaxAttrBytes (with a warning), interned.
func (p *parser) attr(a attr, elem string) (string, error) { return p.value(a, elem, true) }

// unique is attr for values that rarely repeat (addresses, host names), which would only
// fill the intern table.
func (p *parser) unique(a attr, elem string) (string, error) { return p.value(a, elem, false) }

func (p *parser) value(a attr, elem string, intern bool) (string, error) {
	limit := p.opts.MaxAttrBytes
	s, cut, err := p.decoded(a, elem, limit, intern)
	if err != nil {
		return "", err
	}
	if cut {
		p.warn(p.valueOff(a.val), "attribute %s of <%s> is %d bytes, cut to %d", a.name, elem, len(a.val), limit)
	}
	return s, nil
}

// scriptOutput decodes an NSE output attribute, cut to MaxScriptBytes with TruncationMarker.
func (p *parser) scriptOutput(a attr, id string) (string, error) {
	limit := p.opts.MaxScriptBytes
	s, cut, err := p.decoded(a, "script", limit, true)
	if err != nil {
		return "", err
	}
	if cut {
		p.warn(p.valueOff(a.val), "output of script %s is %d bytes, cut to %d", id, len(a.val), limit)
		s += TruncationMarker
	}
	return s, nil
}

// decoded returns attribute a decoded and at most limit bytes long, and whether it was cut.
func (p *parser) decoded(a attr, elem string, limit int, intern bool) (string, bool, error) {
	raw, cut := a.val, false
	if len(raw) > limit || !plain(raw, &attrWork) {
		out, c, derr := decode(p.scratch[:0], raw, limit, true)
		p.scratch = out[:0]
		if derr != nil {
			return "", false, p.badValue(a, elem, derr)
		}
		raw, cut = out, c
	}
	var s string
	if intern {
		s = p.str(raw)
	} else {
		s = p.newString(raw)
	}
	if len(s) > limit { // repairing invalid bytes can lengthen a value
		s, cut = fit(s, limit), true
	}
	return s, cut, nil
}

// fit cuts s to at most limit bytes, at a UTF-8 boundary.
func fit(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	k := limit
	for k > 0 && !utf8.RuneStart(s[k]) {
		k--
	}
	return s[:k]
}

// valueOff is the offset in the input of a value slice (for line numbers).
func (p *parser) valueOff(v []byte) int {
	return cap(p.lx.buf) - cap(v)
}

func (p *parser) badValue(a attr, elem string, derr *decodeError) error {
	return &syntaxError{off: p.valueOff(a.val) + derr.off,
		msg: fmt.Sprintf("in attribute %s of <%s>: %s", a.name, elem, derr.msg)}
}

// unixTime reads an attribute holding seconds since 1970 (nmap's start, starttime, time).
// An empty or unreadable value gives the zero time and a warning, not an error: a bad
// timestamp is no reason to lose a scan.
func (p *parser) unixTime(a attr, elem string) (time.Time, error) {
	if len(a.val) == 0 {
		return time.Time{}, nil
	}
	n := atoi(a.val)
	if n < 0 {
		p.warn(p.valueOff(a.val), "attribute %s of <%s> is %q, not a Unix time; ignored", a.name, elem, clip(a.val, 24))
		return time.Time{}, nil
	}
	return time.Unix(int64(n), 0).UTC(), nil
}

// atoi reads a non-negative decimal integer; it returns -1 for anything else (empty, sign,
// other characters, more than 10 digits).
func atoi(b []byte) int {
	if len(b) == 0 || len(b) > 10 {
		return -1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
