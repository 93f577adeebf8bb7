package intel

import (
	"fmt"
	"strings"
)

// CPE is the part of a Common Platform Enumeration name that matching uses. Values are
// decoded (no percent-encoding, no backslash escapes) and lower case; an ANY or NA value
// ("*", "-", or an empty component) is "".
type CPE struct {
	Part    string // a (application), o (operating system), h (hardware), or ""
	Vendor  string
	Product string
	Version string
}

// String returns c as a CPE 2.2 URI, the form nmap writes.
func (c CPE) String() string {
	parts := []string{"cpe:/" + c.Part, encodeURI(c.Vendor), encodeURI(c.Product), encodeURI(c.Version)}
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, ":")
}

// ParseCPE reads a CPE 2.2 URI (cpe:/a:apache:http_server:2.4.49, percent-encoded as nmap
// writes it) or a CPE 2.3 formatted string (cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*,
// with backslash escapes). Components after the version are read and dropped.
func ParseCPE(s string) (CPE, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	var comps []string
	var err error
	switch {
	case strings.HasPrefix(lower, "cpe:2.3:"):
		comps, err = split23(s[len("cpe:2.3:"):])
		if err == nil && len(comps) > 11 {
			err = fmt.Errorf("want at most 11 components after cpe:2.3:, got %d", len(comps))
		}
	case strings.HasPrefix(lower, "cpe:/"):
		comps, err = splitURI(s[len("cpe:/"):])
		if err == nil && len(comps) > 7 {
			err = fmt.Errorf("want at most 7 components after cpe:/, got %d", len(comps))
		}
	default:
		return CPE{}, fmt.Errorf("cpe %q: want cpe:/part:vendor:product[:version] or cpe:2.3:part:vendor:product:version:...", s)
	}
	if err != nil {
		return CPE{}, fmt.Errorf("cpe %q: %w", s, err)
	}
	for len(comps) < 4 {
		comps = append(comps, "")
	}
	c := CPE{Part: comps[0], Vendor: comps[1], Product: comps[2], Version: comps[3]}
	switch c.Part {
	case "a", "o", "h", "":
	default:
		return CPE{}, fmt.Errorf("cpe %q: part %q: want a, o or h", s, c.Part)
	}
	if c.Vendor == "" && c.Product == "" {
		return CPE{}, fmt.Errorf("cpe %q: want a vendor or a product", s)
	}
	return c, nil
}

// splitURI splits a 2.2 URI body on ':' and percent-decodes each component.
func splitURI(body string) ([]string, error) {
	raw := strings.Split(body, ":")
	out := make([]string, len(raw))
	for i, r := range raw {
		v, err := percentDecode(r)
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", i+1, err)
		}
		out[i] = normValue(v)
	}
	return out, nil
}

func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", fmt.Errorf("bad percent-encoding at %q: want %%XX with hex digits", s[i:])
		}
		b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// split23 splits a 2.3 formatted string body on unescaped ':' and removes the escapes.
func split23(body string) ([]string, error) {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\':
			if i+1 == len(body) {
				return nil, fmt.Errorf("trailing backslash: want an escaped character after it")
			}
			i++
			cur.WriteByte(body[i])
		case ':':
			out = append(out, normValue(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, normValue(cur.String())), nil
}

// normValue lower-cases a decoded component and maps the logical values ANY and NA to "".
func normValue(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "*" || v == "-" {
		return ""
	}
	return v
}

// encodeURI percent-encodes what a 2.2 URI component cannot hold literally.
func encodeURI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '-' && len(s) > 1:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}
