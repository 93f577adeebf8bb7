package findings_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

func TestDefaultRules(t *testing.T) {
	r := defaults(t)
	if len(r.List) < 30 {
		t.Errorf("%d default rules, want the whole shipped set", len(r.List))
	}
	ids := map[string]bool{}
	for _, rule := range r.List {
		if ids[rule.ID] {
			t.Errorf("duplicate id %s", rule.ID)
		}
		ids[rule.ID] = true
		if rule.Title == "" || rule.Rationale == "" {
			t.Errorf("rule %s lacks a title or rationale", rule.ID)
		}
		if rule.Match.EPSSAtLeast > 0 && rule.Match.EPSSAtLeast != 0.5 {
			t.Errorf("rule %s: EPSS threshold %v", rule.ID, rule.Match.EPSSAtLeast)
		}
	}
	for _, want := range []string{"redis-exposed", "memcached-exposed", "mongodb-exposed", "elasticsearch-exposed", "mysql-exposed",
		"postgres-exposed", "mssql-exposed", "telnet-exposed", "ftp-anonymous", "smb-internet", "rdp-internet", "vnc-internet",
		"docker-api-exposed", "kubelet-exposed", "kubernetes-api-exposed", "etcd-exposed", "kibana-exposed",
		"rabbitmq-management-exposed", "jenkins-exposed", "tls-sslv2", "tls-sslv3", "tls-1.0", "tls-weak-ciphers", "ssh-v1",
		"redis-unauthenticated", "mongodb-unauthenticated", "vnc-no-auth", "kev-version", "kev-product", "epss-high"} {
		if !ids[want] {
			t.Errorf("default rules lack %s", want)
		}
	}
	if got := string(findings.DefaultRulesYAML()); !strings.Contains(got, "id: redis-exposed") {
		t.Error("DefaultRulesYAML does not return the shipped file")
	}
}

func TestLoadRulesErrors(t *testing.T) {
	rule := func(match string) string {
		return "rules:\n  - id: r1\n    severity: high\n    title: T\n    match:\n" + match
	}
	tests := []struct {
		name string
		in   string
		want []string // substrings: line, rule, field, expectation
	}{
		{"unknown top key", "version: 1\nrulez: []\n", []string{"r.yaml:2", "field rulez", `unknown key "rulez"`, "want one of version, rules"}},
		{"unknown rule key", "rules:\n  - id: r1\n    severity: high\n    titel: T\n", []string{"r.yaml:4", "field titel", "want one of id, enabled"}},
		{"unknown match key", rule("      port: [22]\n"), []string{"r.yaml:6", "field port", "want one of services, products, ports"}},
		{"unknown script key", rule("      script: {id: ftp-anon, regexp: x}\n"), []string{"r.yaml:6", "field regexp", "want one of id, output"}},
		{"bad severity", "rules:\n  - id: r1\n    severity: urgent\n    title: T\n    match: {ports: [22]}\n",
			[]string{"r.yaml:3", "rule r1", "field severity", "want one of info, low, medium, high, critical"}},
		{"internet severity below", "rules:\n  - id: r1\n    severity: high\n    internet_severity: low\n    title: T\n    match: {ports: [22]}\n",
			[]string{"r.yaml:4", "field internet_severity", "want an escalation"}},
		{"missing title", "rules:\n  - id: r1\n    severity: high\n    match: {ports: [22]}\n", []string{"r.yaml:2", "rule r1", "field title", "missing"}},
		{"bad id", "rules:\n  - id: Redis Exposed\n    severity: high\n    title: T\n    match: {ports: [22]}\n", []string{"r.yaml:2", "field id", "lower-case"}},
		{"duplicate id", rule("      ports: [22]\n") + "  - id: r1\n    severity: low\n    title: U\n    match: {ports: [23]}\n",
			[]string{"r.yaml:7", "rule r1", "duplicate id, first used at line 2"}},
		{"port out of range", rule("      ports: [22, 70000]\n"), []string{"r.yaml:6", "field match.ports", "port 70000: want 1-65535"}},
		{"ports not numbers", rule("      ports: [ssh]\n"), []string{"r.yaml:6", "cannot unmarshal"}},
		{"bad proto", rule("      proto: icmp\n      ports: [1]\n"), []string{"r.yaml:6", "field match.proto", "want tcp, udp or sctp"}},
		{"bad regexp", rule("      script: {id: ftp-anon, output: 'Anonymous (FTP'}\n"),
			[]string{"r.yaml:6", "field match.script.output", "want a regular expression (RE2)"}},
		{"script without id", rule("      script: {output: x}\n"), []string{"r.yaml:6", "field match.script.id", "missing"}},
		{"bad internet", rule("      internet: sometimes\n      ports: [22]\n"), []string{"r.yaml:6", "field internet", "want true, false or any"}},
		{"host script with ports", rule("      host_script: {id: smb-protocols}\n      ports: [445]\n"),
			[]string{"r.yaml:6", "field match.host_script", "cannot also have port conditions"}},
		{"version without identity", rule("      version: '< 2.0'\n"), []string{"r.yaml:6", "field match.version", "needs services, products or ports"}},
		{"bad version", rule("      products: [OpenSSH]\n      version: 'before 7'\n"), []string{"r.yaml:7", "field match.version", "want an operator"}},
		{"kev confidence without kev", rule("      kev_confidence: vendor+product\n"), []string{"r.yaml:6", "field match.kev_confidence", "without kev: true"}},
		{"bad kev confidence", rule("      kev: true\n      kev_confidence: high\n"), []string{"r.yaml:7", "want vendor+product or vendor+product+version"}},
		{"epss out of range", rule("      epss_at_least: 50\n"), []string{"r.yaml:6", "field match.epss_at_least", "want a probability in (0, 1]"}},
		{"no condition", "rules:\n  - id: r1\n    severity: high\n    title: T\n", []string{"r.yaml:2", "field match", "no condition"}},
		{"internet severity on internal rule", "rules:\n  - id: r1\n    severity: low\n    internet_severity: high\n    title: T\n    match: {ports: [22], internet: false}\n",
			[]string{"r.yaml:4", "field internet_severity", "never applies"}},
		{"wrong version", "version: 2\nrules: []\n", []string{"r.yaml:1", "field version", "want 1, got 2"}},
		{"empty", "", []string{"r.yaml", "empty file"}},
		{"two documents", "rules: []\n---\nrules: []\n", []string{"r.yaml:2", "more than one YAML document"}},
		{"syntax", "rules:\n  - id: r1\n   severity: high\n", []string{"r.yaml:1", "did not find expected '-' indicator"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := findings.LoadRules("r.yaml", strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			var re *findings.RuleError
			if !errors.As(err, &re) {
				t.Errorf("error %v is not a *RuleError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMerge(t *testing.T) {
	user, err := findings.LoadRules("user.yaml", strings.NewReader(`
rules:
  - id: redis-exposed
    severity: high
    internet_severity: critical
    title: Redis reachable (our policy)
    match: {services: [redis], ports: [6379, 6380]}
  - id: telnet-exposed
    enabled: false
  - id: ssh-password
    severity: low
    title: SSH accepts passwords
    match:
      script: {id: ssh-auth-methods, output: password}
`))
	if err != nil {
		t.Fatal(err)
	}
	def := defaults(t)
	merged := findings.Merge(def, user)
	byID := map[string]findings.Rule{}
	for _, r := range merged.List {
		byID[r.ID] = r
	}
	if r := byID["redis-exposed"]; r.Severity != riskmap.SeverityHigh || len(r.Match.Ports) != 2 {
		t.Errorf("redis-exposed not replaced: %+v", r)
	}
	if _, ok := byID["telnet-exposed"]; ok {
		t.Error("telnet-exposed not removed")
	}
	if _, ok := byID["ssh-password"]; !ok {
		t.Error("ssh-password not added")
	}
	if len(merged.List) != len(def.List) {
		t.Errorf("%d rules, want %d (one removed, one added)", len(merged.List), len(def.List))
	}
	if merged.List[len(merged.List)-1].ID != "ssh-password" {
		t.Error("added rule not last")
	}
	for _, r := range def.List {
		if r.ID == "telnet-exposed" {
			return
		}
	}
	t.Error("Merge changed the defaults")
}

func FuzzLoadRules(f *testing.F) {
	f.Add(findings.DefaultRulesYAML())
	f.Add([]byte("rules:\n  - id: r1\n    severity: high\n    title: T\n    match: {ports: [22], internet: true}\n"))
	f.Add([]byte("rules:\n  - id: r1\n    enabled: false\n"))
	f.Add([]byte("rules:\n  - id: r1\n    severity: low\n    title: T\n    match:\n      host_script: {id: x, output: 'a|b'}\n"))
	f.Add([]byte("version: 1\nrules: [{id: a, severity: info, title: t, match: {products: [X], version: '>= 1, < 2'}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := findings.LoadRules("fuzz.yaml", strings.NewReader(string(data)))
		if err != nil {
			var re *findings.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RuleError", err)
			}
			return
		}
		for _, rule := range r.List {
			if rule.ID == "" || rule.Title == "" || rule.Severity < riskmap.SeverityInfo || rule.Severity > riskmap.SeverityCritical {
				t.Fatalf("invalid rule accepted: %+v", rule)
			}
		}
		// Accepted rules must evaluate without trouble.
		obs := []riskmap.Observation{{ScanID: "s", IP: "10.0.0.1", Port: 22, Proto: "tcp", State: "open", Service: "ssh",
			Product: "OpenSSH", Version: "8.9p1", Scripts: []riskmap.Script{{ID: "x", Output: "a"}}}}
		r.Evaluate(findings.Input{Observations: obs, Host: &riskmap.Host{IP: "10.0.0.1", Scripts: obs[0].Scripts}}, nil,
			func(string) (float64, bool) { return 1, true })
	})
}
