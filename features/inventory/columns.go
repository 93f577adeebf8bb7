package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
)

// Columns are the CSV header names and JSON Lines keys, in the order WriteCSV writes them.
// doc.go documents each one.
var Columns = []string{
	"asset_id", "provider", "account", "region", "network", "subnet", "kind", "state", "image",
	"group", "private_ips", "public_ips", "dns_names", "tags", "launched_at", "os_family",
	"security_groups", "exposed",
}

func knownColumn(c string) bool {
	for _, k := range Columns {
		if k == c {
			return true
		}
	}
	return false
}

// cell is one column's value from a row: text (a CSV field or a JSON string, where lists are
// ';'-separated with '\' escapes), or a list already split (a JSON array), or a tag object.
type cell struct {
	text   string
	list   []string
	isList bool
	tags   map[string]string
	isTags bool
}

// entries returns the list a cell holds.
func (c cell) entries() []string {
	if c.isList {
		var out []string
		for _, e := range c.list {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out
	}
	var out []string
	for _, e := range splitEscaped(c.text, ';') {
		if e = clean(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// setColumn stores one cell into a. Errors wrap ErrValue and say what was expected; the
// caller adds the position.
func setColumn(a *riskmap.Asset, col string, c cell) error {
	text := strings.TrimSpace(c.text)
	switch col {
	case "asset_id":
		a.ID = text
	case "provider":
		a.Provider = text
	case "account":
		a.Account = text
	case "region":
		a.Region = text
	case "network":
		a.Network = text
	case "subnet":
		a.Subnet = text
	case "state":
		a.State = text
	case "image":
		a.Image = text
	case "group":
		a.Group = text
	case "kind":
		switch k := strings.ToLower(text); k {
		case "":
			a.Kind = riskmap.KindVM
		case riskmap.KindVM, riskmap.KindLB, riskmap.KindDB, riskmap.KindContainer, riskmap.KindFunction, riskmap.KindOther:
			a.Kind = k
		default:
			return fmt.Errorf("%w: expected vm, lb, db, container, function or other, got %q", ErrValue, text)
		}
	case "os_family":
		switch f := strings.ToLower(text); f {
		case "", "linux", "windows":
			a.OSFamily = f
		default:
			return fmt.Errorf("%w: expected linux, windows or empty, got %q", ErrValue, text)
		}
	case "launched_at":
		if text == "" {
			return nil
		}
		t, ok := parseTime(text)
		if !ok {
			return fmt.Errorf("%w: expected an RFC 3339 time like 2024-05-01T12:00:00Z, got %q", ErrValue, text)
		}
		a.LaunchedAt = t
	case "private_ips", "public_ips":
		var ips []string
		for _, e := range c.entries() {
			ip, ok := canonicalIP(e)
			if !ok {
				return fmt.Errorf("%w: expected IP addresses separated by ';', got %q", ErrValue, e)
			}
			ips = appendUnique(ips, ip)
		}
		if col == "private_ips" {
			a.PrivateIPs = ips
		} else {
			a.PublicIPs = ips
		}
	case "dns_names":
		a.DNSNames = appendUnique(nil, c.entries()...)
	case "security_groups":
		a.SecurityGroups = appendUnique(nil, c.entries()...)
	case "tags":
		tags, err := parseTags(c)
		if err != nil {
			return err
		}
		a.Tags = tags
	case "exposed":
		rules := ruleSet{}
		for _, e := range c.entries() {
			if err := parseExposure(rules, e); err != nil {
				return err
			}
		}
		a.Exposed = rules.exposures()
	}
	return nil
}

func parseTags(c cell) ([]riskmap.Tag, error) {
	var tags []riskmap.Tag
	seen := map[string]bool{}
	add := func(k, v string) error {
		if k == "" {
			return fmt.Errorf("%w: a tag with an empty key; expected key=value", ErrValue)
		}
		if seen[k] {
			return fmt.Errorf("%w: tag key %q appears twice", ErrValue, k)
		}
		seen[k] = true
		tags = append(tags, riskmap.Tag{Key: k, Value: v})
		return nil
	}
	switch {
	case c.isTags:
		for k, v := range c.tags {
			if err := add(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
				return nil, err
			}
		}
	case c.isList:
		return nil, fmt.Errorf("%w: expected tags as an object or a \"k=v;k=v\" string, got an array", ErrValue)
	default:
		for _, e := range splitEscaped(c.text, ';') {
			if strings.TrimSpace(e) == "" {
				continue
			}
			k, v, ok := cutEscaped(e, '=')
			if !ok {
				return nil, fmt.Errorf("%w: expected key=value, got %q", ErrValue, strings.TrimSpace(unescape(e)))
			}
			if err := add(clean(k), clean(v)); err != nil {
				return nil, err
			}
		}
	}
	sortTags(tags)
	return tags, nil
}

// parseExposure reads "proto:ports:source" ("tcp:22:0.0.0.0/0", "tcp:8000-8100:10.0.0.0/8",
// "all:*:sg-0abc", "udp:53:::/0") into rules.
func parseExposure(rules ruleSet, e string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: exposure %q: %s; expected proto:ports:source such as tcp:22:0.0.0.0/0", ErrValue, e, why)
	}
	proto, rest, ok1 := strings.Cut(e, ":")
	ports, src, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return bad("too few ':'")
	}
	proto = strings.ToLower(strings.TrimSpace(proto))
	if proto == "" || strings.Trim(proto, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		return bad("protocol must be tcp, udp, icmp, all, other or a protocol name")
	}
	sp, ok := parsePortRange(ports)
	if !ok {
		return bad("ports must be *, a port, or a range like 8000-8100")
	}
	if !hasPorts(proto) && (sp.lo != 0 || sp.hi != maxPort) {
		return bad("only tcp and udp have ports; use * for " + proto)
	}
	src = canonicalSource(src)
	if src == "" {
		return bad("empty source")
	}
	rules.add(proto, src, spans{sp})
	return nil
}

// formatExposure writes e the way parseExposure reads it.
func formatExposure(e riskmap.Exposure) string {
	ports := "*"
	if !e.AllPorts() {
		ports = strconv.Itoa(e.FromPort)
		if e.ToPort != e.FromPort {
			ports += "-" + strconv.Itoa(e.ToPort)
		}
	}
	return e.Proto + ":" + ports + ":" + e.Source
}

// splitEscaped splits s at each sep not preceded by a backslash, keeping the escapes.
func splitEscaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cutEscaped splits s at the first sep not preceded by a backslash.
func cutEscaped(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unescape removes the backslash before any character; a trailing lone backslash is kept.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// clean unescapes one list entry and trims the spaces around it, before and after
// unescaping, so that what it returns survives escape and a second reading unchanged.
func clean(s string) string { return strings.TrimSpace(unescape(strings.TrimSpace(s))) }

// escape protects the separators of the text form of lists and tags.
func escape(s string) string {
	if !strings.ContainsAny(s, `\;=`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == ';' || s[i] == '=' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// errDuplicateID is reported when one table names an asset twice.
var errDuplicateID = errors.New("asset_id repeats")
