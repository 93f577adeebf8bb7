package nmapxml

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// invalidBytes finds the byte sequences of buf that are not UTF-8, or are control
// characters XML does not allow (old Windows builds of nmap wrote such garbage into
// <taskbegin> and other attributes). It returns the offset of the first (-1 when there is
// none) and how many there are. Parse keeps reading such a document: every value it keeps
// has them replaced by U+FFFD (see newString), and this tells the warning where they were.
//
// The usual clean document costs one utf8.Valid pass and an eight-bytes-at-a-time scan for
// control bytes.
func invalidBytes(buf []byte) (first, count int) {
	if utf8.Valid(buf) && !hasControl(buf) {
		return -1, 0
	}
	first = -1
	for i := 0; i < len(buf); {
		c := buf[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				if first < 0 {
					first = i
				}
				count++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && n == 1 {
			if first < 0 {
				first = i
			}
			count++
		}
		i += n
	}
	return first, count
}

// hasControl reports whether buf holds a byte below 0x20 other than tab, LF and CR.
func hasControl(buf []byte) bool {
	const lows, highs = 0x2020202020202020, 0x8080808080808080
	i := 0
	for ; i+8 <= len(buf); i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		// Some byte of w is below 0x20 when this is non-zero (exact for ASCII bytes; bytes
		// with the high bit set are masked out by ^w).
		if (w-lows)&^w&highs == 0 {
			continue
		}
		for _, c := range buf[i : i+8] {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return true
			}
		}
	}
	for _, c := range buf[i:] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// whereIs names the markup that byte offset off of buf is in, for a warning: "in attribute
// A of <E>", "in <E>", "in the content of <E>", or "" when a short look back cannot tell.
func whereIs(buf []byte, off int) string {
	lo := max(0, off-4096)
	lt := bytes.LastIndexByte(buf[lo:off], '<')
	if lt < 0 {
		return ""
	}
	lt += lo
	n := scanName(buf[:off], lt+1) // names may hold bytes >= 0x80: never read past off
	if n == lt+1 {
		return ""
	}
	elem := string(buf[lt+1 : n])
	head := buf[n:off]
	if bytes.IndexByte(head, '>') >= 0 {
		return "in the content of <" + elem + ">"
	}
	eq := bytes.LastIndexByte(head, '=')
	if eq < 0 {
		return "in <" + elem + ">"
	}
	name := bytes.TrimRight(head[:eq], " \t\r\n")
	k := len(name)
	for k > 0 && nameByte[name[k-1]] != 0 {
		k--
	}
	if k == len(name) {
		return "in <" + elem + ">"
	}
	return "in attribute " + string(name[k:]) + " of <" + elem + ">"
}

// warnInvalid adds the warning for invalid bytes, if the document has any.
// found is invalidBytes' answer for the document: first offset and count.
func (p *parser) warnInvalid(found [2]int) {
	first, count := found[0], found[1]
	if first < 0 {
		return
	}
	where := whereIs(p.lx.buf, first)
	if where != "" {
		where = " " + where
	}
	p.warn(first, "%d byte sequence(s) that are not UTF-8 or not XML characters, the first here%s; read anyway, with U+FFFD in their place in every value kept", count, where)
}
