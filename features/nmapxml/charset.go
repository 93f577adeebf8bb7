package nmapxml

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// toUTF8 returns the document as UTF-8, so that the scanner sees one encoding only. A UTF-8
// or ASCII document is returned as it is, without a copy (less a UTF-8 byte order mark).
// UTF-16 with a byte order mark (what Windows PowerShell writes when nmap's output is
// redirected) and the ISO-8859-1 / windows-1252 family that an XML declaration may name
// are converted. Line breaks are kept, so line numbers in errors stay true.
func toUTF8(raw []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}):
		return fromUTF16(raw[2:], false)
	case bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return fromUTF16(raw[2:], true)
	}
	enc := declaredEncoding(raw)
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return raw, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819":
		return fromSingleByte(raw, nil), nil
	case "windows-1252", "cp1252", "x-cp1252":
		return fromSingleByte(raw, &cp1252), nil
	}
	return nil, fmt.Errorf("%w: the XML declaration names encoding %q; want UTF-8, US-ASCII, ISO-8859-1 or windows-1252", ErrMalformed, clip([]byte(enc), 40))
}

// declaredEncoding returns the encoding pseudo-attribute of the XML declaration that opens
// raw, or "" when there is none.
func declaredEncoding(raw []byte) string {
	if !bytes.HasPrefix(raw, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(raw, []byte("?>"))
	if end < 0 || end > 512 {
		return ""
	}
	decl := raw[5:end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	j := bytes.IndexByte(rest[1:], rest[0])
	if j < 0 {
		return ""
	}
	return string(rest[1 : 1+j])
}

// fromSingleByte converts a single-byte encoding to UTF-8: ISO-8859-1 when high is nil,
// else high maps 0x80-0x9F (windows-1252). ASCII input is returned without a copy.
func fromSingleByte(raw []byte, high *[32]rune) []byte {
	first := -1
	for i, c := range raw {
		if c >= 0x80 {
			first = i
			break
		}
	}
	if first < 0 {
		return raw
	}
	out := make([]byte, first, len(raw)+len(raw)/8)
	copy(out, raw[:first])
	for _, c := range raw[first:] {
		switch {
		case c < 0x80:
			out = append(out, c)
		case high != nil && c < 0xA0:
			out = utf8.AppendRune(out, high[c-0x80])
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out
}

// cp1252 is windows-1252 for 0x80-0x9F; its unassigned slots keep the ISO-8859-1 (C1) value.
var cp1252 = [32]rune{
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
}

// fromUTF16 converts UTF-16 (after its byte order mark) to UTF-8. A dangling last byte is
// dropped: the document is then truncated, which the parser reports on its own terms.
func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(units)+len(units)/8)
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}
