// Over 400 lines: the rules file's loader and its validation, field by field, so that every
// error names the rule and the field; the checks share one position-tracking decoder.

package findings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/intel"
	"gopkg.in/yaml.v3"
)

// RuleError is a problem in a rules file: the file, the line (0 when unknown), the rule id
// when known, the field (as written in YAML, "match.ports") and what was expected.
type RuleError struct {
	File  string
	Line  int
	Rule  string
	Field string
	Err   error
}

func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, ": rule %s", e.Rule)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RuleError) Unwrap() error { return e.Err }

// maxRulesBytes bounds a rules file; the shipped one is a few kilobytes.
const maxRulesBytes = 4 << 20

type fileYAML struct {
	Version int        `yaml:"version"`
	Rules   []ruleYAML `yaml:"rules"`
}

type ruleYAML struct {
	ID               string         `yaml:"id"`
	Enabled          *bool          `yaml:"enabled"`
	Severity         string         `yaml:"severity"`
	InternetSeverity string         `yaml:"internet_severity"`
	Title            string         `yaml:"title"`
	Rationale        string         `yaml:"rationale"`
	References       []string       `yaml:"references"`
	Match            matchYAML      `yaml:"match"`
	Downgrade        *downgradeYAML `yaml:"downgrade"`
}

// downgradeYAML is a rule's downgrade: a script whose output proves the finding less severe.
type downgradeYAML struct {
	Script           *scriptYAML `yaml:"script"`
	Severity         string      `yaml:"severity"`
	InternetSeverity string      `yaml:"internet_severity"`
}

type matchYAML struct {
	Services      []string     `yaml:"services"`
	Products      []string     `yaml:"products"`
	Ports         []int        `yaml:"ports"`
	Proto         string       `yaml:"proto"`
	Internet      exposureYAML `yaml:"internet"`
	Script        *scriptYAML  `yaml:"script"`
	HostScript    *scriptYAML  `yaml:"host_script"`
	Version       string       `yaml:"version"`
	KEV           bool         `yaml:"kev"`
	KEVConfidence string       `yaml:"kev_confidence"`
	EPSSAtLeast   *float64     `yaml:"epss_at_least"`
}

type scriptYAML struct {
	ID     string `yaml:"id"`
	Output string `yaml:"output"`
}

// exposureYAML reads internet: true, false or any, whether YAML tags it as a bool or a string.
type exposureYAML struct {
	v Exposure
}

func (e *exposureYAML) UnmarshalYAML(n *yaml.Node) error {
	switch strings.ToLower(n.Value) {
	case "true", "yes":
		e.v = ExposureInternet
	case "false", "no":
		e.v = ExposureInternal
	case "any", "":
		e.v = ExposureAny
	default:
		return fmt.Errorf("line %d: field internet: want true, false or any, got %q", n.Line, n.Value)
	}
	return nil
}

// knownKeys lists the keys each level of the file accepts, for the error that refuses an
// unknown one.
var knownKeys = map[string]string{
	"findings.fileYAML":      "version, rules",
	"findings.ruleYAML":      "id, enabled, severity, internet_severity, title, rationale, references, match, downgrade",
	"findings.downgradeYAML": "script, severity, internet_severity",
	"findings.matchYAML":     "services, products, ports, proto, internet, script, host_script, version, kev, kev_confidence, epss_at_least",
	"findings.scriptYAML":    "id, output",
}

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	ruleIDRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// LoadRules reads a rules file (YAML; see default_rules.yaml for the format). Unknown keys
// are refused, and every error is a *RuleError naming the line and the field. name is used
// in errors only.
func LoadRules(name string, r io.Reader) (*Rules, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRulesBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read rules %s: %w", name, err)
	}
	if len(data) > maxRulesBytes {
		return nil, &RuleError{File: name, Err: fmt.Errorf("larger than %d bytes, want a rules file", maxRulesBytes)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f fileYAML
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &RuleError{File: name, Field: "rules", Err: errors.New("empty file, want a rules: list")}
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &RuleError{File: name, Line: extra.Line, Err: errors.New("more than one YAML document, want one")}
	}
	pos := positions{root: &root}
	if f.Version != 0 && f.Version != 1 {
		return nil, &RuleError{File: name, Line: pos.top("version"), Field: "version", Err: fmt.Errorf("want 1, got %d", f.Version)}
	}
	out := &Rules{}
	seen := map[string]int{}
	for i, ry := range f.Rules {
		rule, field, err := ry.rule()
		if err != nil {
			return nil, &RuleError{File: name, Line: pos.rule(i, field), Rule: ry.ID, Field: field, Err: err}
		}
		if first, dup := seen[ry.ID]; dup {
			return nil, &RuleError{File: name, Line: pos.rule(i, "id"), Rule: ry.ID, Field: "id",
				Err: fmt.Errorf("duplicate id, first used at line %d; want unique ids", pos.rule(first, "id"))}
		}
		seen[ry.ID] = i
		if ry.Enabled != nil && !*ry.Enabled {
			out.Disabled = append(out.Disabled, ry.ID)
			continue
		}
		out.List = append(out.List, rule)
	}
	return out, nil
}

// yamlError turns a yaml.v3 error into RuleErrors with lines, and replaces its Go type
// names by the keys the user may write.
func yamlError(name string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	m := strings.TrimSpace(msgs[0])
	line := 0
	if sub := yamlLine.FindStringSubmatch(m); sub != nil {
		line, _ = strconv.Atoi(sub[1])
		m = sub[2]
	}
	field := ""
	if sub := unknownField.FindStringSubmatch(m); sub != nil {
		field = sub[1]
		m = fmt.Sprintf("unknown key %q, want one of %s", sub[1], knownKeys[sub[2]])
	} else if strings.HasPrefix(m, "field ") {
		if f, rest, ok := strings.Cut(strings.TrimPrefix(m, "field "), ": "); ok {
			field, m = f, rest
		}
	}
	m = strings.NewReplacer("findings.", "", "yaml: ", "").Replace(m)
	return &RuleError{File: name, Line: line, Field: field, Err: errors.New(m)}
}

// rule validates a rule as read and builds it; on error it returns the YAML field at fault.
func (ry ruleYAML) rule() (Rule, string, error) {
	if ry.ID == "" {
		return Rule{}, "id", errors.New("missing, want a rule id such as redis-exposed")
	}
	if !ruleIDRe.MatchString(ry.ID) {
		return Rule{}, "id", fmt.Errorf("%q: want lower-case letters, digits, '.', '_' and '-'", ry.ID)
	}
	if ry.Enabled != nil && !*ry.Enabled {
		return Rule{ID: ry.ID}, "", nil
	}
	r := Rule{ID: ry.ID, Title: strings.TrimSpace(ry.Title), Rationale: strings.TrimSpace(ry.Rationale), References: ry.References}
	if r.Title == "" {
		return Rule{}, "title", errors.New("missing, want a one-line title")
	}
	sev, err := riskmap.ParseSeverity(ry.Severity)
	if err != nil {
		return Rule{}, "severity", err
	}
	r.Severity = sev
	if ry.InternetSeverity != "" {
		is, err := riskmap.ParseSeverity(ry.InternetSeverity)
		if err != nil {
			return Rule{}, "internet_severity", err
		}
		if is < sev {
			return Rule{}, "internet_severity", fmt.Errorf("%s is below severity %s, want an escalation", is, sev)
		}
		r.InternetSeverity = &is
	}
	m, field, err := ry.Match.match()
	if err != nil {
		if field != "" {
			field = "." + field
		}
		return Rule{}, "match" + field, err
	}
	if r.InternetSeverity != nil && (m.Internet == ExposureInternal || m.HostScript != nil) {
		return Rule{}, "internet_severity", errors.New("the rule never applies to an internet-exposed port, want no internet_severity")
	}
	r.Match = m
	if ry.Downgrade != nil {
		d, field, err := ry.Downgrade.downgrade(&r)
		if err != nil {
			return Rule{}, "downgrade." + field, err
		}
		r.Downgrade = d
	}
	return r, "", nil
}

// downgrade checks a downgrade against its rule r; on error it names the field at fault.
func (dy *downgradeYAML) downgrade(r *Rule) (*Downgrade, string, error) {
	if r.Match.HostScript != nil {
		return nil, "", errors.New("a host-level rule cannot be downgraded by a port script, want no downgrade")
	}
	if dy.Script == nil {
		return nil, "script", errors.New("missing, want {id, output}: the script whose output proves the lower severity")
	}
	sm, field, err := dy.Script.compile()
	if err != nil {
		return nil, "script." + field, err
	}
	d := &Downgrade{Script: sm}
	if d.Severity, err = riskmap.ParseSeverity(dy.Severity); err != nil {
		return nil, "severity", err
	}
	if d.Severity >= r.Severity {
		return nil, "severity", fmt.Errorf("%s is not below the rule's severity %s, want a downgrade", d.Severity, r.Severity)
	}
	d.InternetSeverity = d.Severity
	if dy.InternetSeverity != "" {
		if r.InternetSeverity == nil {
			return nil, "internet_severity", errors.New("the rule has no internet_severity to downgrade, want none here either")
		}
		if d.InternetSeverity, err = riskmap.ParseSeverity(dy.InternetSeverity); err != nil {
			return nil, "internet_severity", err
		}
		if d.InternetSeverity >= *r.InternetSeverity {
			return nil, "internet_severity", fmt.Errorf("%s is not below the rule's internet_severity %s, want a downgrade", d.InternetSeverity, *r.InternetSeverity)
		}
		if d.InternetSeverity < d.Severity {
			return nil, "internet_severity", fmt.Errorf("%s is below severity %s, want an escalation", d.InternetSeverity, d.Severity)
		}
	}
	return d, "", nil
}

func (my matchYAML) match() (Match, string, error) {
	m := Match{Products: my.Products, Ports: my.Ports, Internet: my.Internet.v, KEV: my.KEV}
	for _, s := range my.Services {
		m.Services = append(m.Services, strings.ToLower(strings.TrimSpace(s)))
	}
	for _, p := range my.Ports {
		if p < 1 || p > 65535 {
			return Match{}, "ports", fmt.Errorf("port %d: want 1-65535", p)
		}
	}
	switch m.Proto = strings.ToLower(my.Proto); m.Proto {
	case "", "tcp", "udp", "sctp":
	default:
		return Match{}, "proto", fmt.Errorf("%q: want tcp, udp or sctp", my.Proto)
	}
	var err error
	var field string
	if m.Script, field, err = my.Script.compile(); err != nil {
		return Match{}, "script." + field, err
	}
	if m.HostScript, field, err = my.HostScript.compile(); err != nil {
		return Match{}, "host_script." + field, err
	}
	identity := len(m.Services)+len(m.Products)+len(m.Ports) > 0
	if my.Version != "" {
		if !identity {
			return Match{}, "version", errors.New("a version constraint needs services, products or ports to say whose version")
		}
		if m.Version, err = parseConstraints(my.Version); err != nil {
			return Match{}, "version", err
		}
	}
	if my.KEVConfidence != "" {
		if !my.KEV {
			return Match{}, "kev_confidence", errors.New("set without kev: true")
		}
		if my.KEVConfidence != intel.ConfidenceProduct && my.KEVConfidence != intel.ConfidenceVersion {
			return Match{}, "kev_confidence", fmt.Errorf("%q: want %s or %s", my.KEVConfidence, intel.ConfidenceProduct, intel.ConfidenceVersion)
		}
		m.KEVConfidence = my.KEVConfidence
	}
	if my.EPSSAtLeast != nil {
		if v := *my.EPSSAtLeast; !(v > 0 && v <= 1) {
			return Match{}, "epss_at_least", fmt.Errorf("%v: want a probability in (0, 1]", v)
		}
		m.EPSSAtLeast = *my.EPSSAtLeast
	}
	portLevel := identity || m.Proto != "" || m.Script != nil || m.Version != nil || m.KEV || m.EPSSAtLeast > 0 || m.Internet != ExposureAny
	if m.HostScript != nil && portLevel {
		return Match{}, "host_script", errors.New("a host-level rule cannot also have port conditions, want host_script alone")
	}
	if m.HostScript == nil && !portLevel {
		return Match{}, "", errors.New("no condition, want at least one of services, products, ports, script, host_script, version, kev, epss_at_least, internet")
	}
	return m, "", nil
}

// compile checks a script condition; on error it names the field at fault.
func (s *scriptYAML) compile() (*ScriptMatch, string, error) {
	if s == nil {
		return nil, "", nil
	}
	if strings.TrimSpace(s.ID) == "" {
		return nil, "id", errors.New("missing, want an NSE script id such as ftp-anon")
	}
	sm := &ScriptMatch{ID: strings.TrimSpace(s.ID)}
	if s.Output != "" {
		re, err := regexp.Compile(s.Output)
		if err != nil {
			return nil, "output", fmt.Errorf("want a regular expression (RE2): %w", err)
		}
		sm.Output = re
	}
	return sm, "", nil
}

// positions finds the lines of keys in the parsed document, for errors found after decoding.
type positions struct{ root *yaml.Node }

func mapping(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// value returns the value node of key in mapping n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	n = mapping(n)
	if n == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (p positions) top(key string) int {
	if v := value(p.root, key); v != nil {
		return v.Line
	}
	return 0
}

// rule returns the line of field (a dotted path such as "match.script.output") of rule i, or
// of the rule itself when the field is absent.
func (p positions) rule(i int, field string) int {
	rules := value(p.root, "rules")
	if rules == nil || rules.Kind != yaml.SequenceNode || i >= len(rules.Content) {
		return 0
	}
	n := rules.Content[i]
	line := n.Line
	if field == "" {
		return line
	}
	for _, k := range strings.Split(field, ".") {
		v := value(n, k)
		if v == nil {
			break
		}
		n, line = v, v.Line
	}
	return line
}
