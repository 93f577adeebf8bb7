package nmapxml

import (
	"unicode/utf8"
)

// attrWork marks the bytes that make an attribute value need more than a copy: entity
// references, and the whitespace that XML turns into spaces in attribute values.
var attrWork = [256]bool{'&': true, '\t': true, '\n': true, '\r': true}

// textWork is the same for character data, where only references and CR need work.
var textWork = [256]bool{'&': true, '\r': true}

// plain reports whether raw can be used as it is.
func plain(raw []byte, work *[256]bool) bool {
	for _, c := range raw {
		if work[c] {
			return false
		}
	}
	return true
}

// decodeError is a bad reference at offset off of the value being decoded.
type decodeError struct {
	off int
	msg string
}

// decode appends the decoded form of raw to dst and returns it. It resolves the five
// predefined entities and character references; anything else is an error, since there is
// no DTD that could define it. In attribute values (inAttr) tab, CR, LF and CRLF become a
// space, as XML's attribute-value normalisation says; in text CRLF and CR become LF.
//
// It stops once the output would pass limit bytes, cutting at a UTF-8 boundary, and reports
// cut; the rest of raw is not even read, so a huge value costs no more than limit.
func decode(dst, raw []byte, limit int, inAttr bool) (out []byte, cut bool, derr *decodeError) {
	base := len(dst)
	work := &textWork
	if inAttr {
		work = &attrWork
	}
	i := 0
	for i < len(raw) {
		// Copy the run of ordinary bytes up to the next one that needs work.
		j := i
		for j < len(raw) && !work[raw[j]] {
			j++
		}
		if j > i {
			if room := limit - (len(dst) - base); j-i > room {
				// Cut before the rune that raw[i+room] belongs to, not inside it.
				for room > 0 && !utf8.RuneStart(raw[i+room]) {
					room--
				}
				return append(dst, raw[i:i+room]...), true, nil
			}
			dst = append(dst, raw[i:j]...)
			i = j
			if i >= len(raw) {
				break
			}
		}
		var r rune
		var n int
		switch c := raw[i]; c {
		case '&':
			var msg string
			r, n, msg = reference(raw[i:])
			if msg != "" {
				return dst, false, &decodeError{off: i, msg: msg}
			}
		case '\r':
			n = 1
			if i+1 < len(raw) && raw[i+1] == '\n' {
				n = 2
			}
			r = '\n'
			if inAttr {
				r = ' '
			}
		default: // '\t' or '\n' in an attribute value
			r, n = ' ', 1
		}
		if len(dst)-base+utf8.RuneLen(r) > limit {
			return dst, true, nil
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst, false, nil
}

// reference decodes the reference at the start of s (s[0] == '&'): it returns the rune, the
// length of the reference, or an error message.
func reference(s []byte) (rune, int, string) {
	end := -1
	for k := 1; k < len(s) && k <= 12; k++ {
		if s[k] == ';' {
			end = k
			break
		}
	}
	if end < 0 {
		return 0, 0, "'&' not followed by an entity or character reference"
	}
	name := s[1:end]
	switch string(name) {
	case "lt":
		return '<', end + 1, ""
	case "gt":
		return '>', end + 1, ""
	case "amp":
		return '&', end + 1, ""
	case "quot":
		return '"', end + 1, ""
	case "apos":
		return '\'', end + 1, ""
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, 0, "undefined entity &" + string(name) + "; (no DTD is read)"
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, 0, "empty character reference &" + string(name) + ";"
	}
	var r rune
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, 0, "malformed character reference &" + string(name) + ";"
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return 0, 0, "character reference &" + string(name) + "; is out of range"
		}
	}
	if !xmlChar(r) {
		return 0, 0, "character reference &" + string(name) + "; is not an XML character"
	}
	return r, end + 1, ""
}

// xmlChar reports whether r is allowed in an XML 1.0 document.
func xmlChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF:
		return false
	case r == 0xFFFE || r == 0xFFFF:
		return false
	}
	return r <= utf8.MaxRune
}
