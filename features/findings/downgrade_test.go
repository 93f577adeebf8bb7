package findings_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
)

// TestDowngradeByAuthCheck runs the shipped rules on each service as a check reports it:
// confirmed unauthenticated access raises its own finding, a check that proves credentials
// are required lowers the "reachable" finding, and no check leaves it as it was.
func TestDowngradeByAuthCheck(t *testing.T) {
	rules := defaults(t)
	open := riskmap.Asset{ID: "i-1", PrivateIPs: []string{"10.0.0.5"}, Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 0, ToPort: 65535, Source: "0.0.0.0/0"}}}
	inside := riskmap.Asset{ID: "i-1", PrivateIPs: []string{"10.0.0.5"}}
	auth := "\n  access: auth-required\n  check: PING\n  answer: -NOAUTH Authentication required."
	unauth := "\n  access: unauthenticated\n  check: GET /pods\n  pods: 3"
	cases := []struct {
		name    string
		asset   riskmap.Asset
		port    int
		service string
		script  riskmap.Script
		want    map[string]riskmap.Severity // rule id -> severity
	}{
		{"redis no check, internet", open, 6379, "redis", riskmap.Script{}, map[string]riskmap.Severity{"redis-exposed": riskmap.SeverityCritical}},
		{"redis auth proven, internet", open, 6379, "redis", riskmap.Script{ID: "riskmap-redis-auth", Output: auth},
			map[string]riskmap.Severity{"redis-exposed": riskmap.SeverityMedium}},
		{"redis auth proven, inside", inside, 6379, "redis", riskmap.Script{ID: "riskmap-redis-auth", Output: auth},
			map[string]riskmap.Severity{"redis-exposed": riskmap.SeverityInfo}},
		{"kubelet anonymous, internet", open, 10250, "http", riskmap.Script{ID: "riskmap-kubelet-pods", Output: unauth},
			map[string]riskmap.Severity{"kubelet-exposed": riskmap.SeverityCritical, "kubelet-anonymous": riskmap.SeverityCritical}},
		{"kubelet auth proven, internet", open, 10250, "http", riskmap.Script{ID: "riskmap-kubelet-pods", Output: auth},
			map[string]riskmap.Severity{"kubelet-exposed": riskmap.SeverityHigh}},
		{"docker auth proven, inside", inside, 2375, "docker", riskmap.Script{ID: "riskmap-docker-api", Output: auth},
			map[string]riskmap.Severity{"docker-api-exposed": riskmap.SeverityMedium}},
		{"etcd unauthenticated, inside", inside, 2379, "etcd-client", riskmap.Script{ID: "riskmap-etcd-keys", Output: unauth},
			map[string]riskmap.Severity{"etcd-exposed": riskmap.SeverityHigh, "etcd-unauthenticated": riskmap.SeverityHigh}},
		{"mongodb not authorized, internet", open, 27017, "mongodb",
			riskmap.Script{ID: "mongodb-databases", Output: "\n  code = 13\n  errmsg = not authorized on admin to execute command { listDatabases: 1.0 }\n  ok = 0.0\n"},
			map[string]riskmap.Severity{"mongodb-exposed": riskmap.SeverityMedium}},
		{"another script's auth-required does not downgrade", open, 6379, "redis", riskmap.Script{ID: "riskmap-etcd-keys", Output: auth},
			map[string]riskmap.Severity{"redis-exposed": riskmap.SeverityCritical}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := riskmap.Observation{ScanID: "s", IP: "10.0.0.5", AssetID: "i-1", Port: c.port, Proto: "tcp", State: "open", Service: c.service}
			if c.script.ID != "" {
				o.Scripts = []riskmap.Script{c.script}
			}
			a := c.asset
			got := map[string]riskmap.Finding{}
			for _, f := range rules.Evaluate(findings.Input{Asset: &a, Observations: []riskmap.Observation{o}}, nil, nil) {
				got[f.RuleID] = f
			}
			if len(got) != len(c.want) {
				t.Errorf("got rules %v, want %v", keys(got), c.want)
			}
			for id, sev := range c.want {
				f, ok := got[id]
				if !ok {
					t.Errorf("no %s finding", id)
					continue
				}
				if f.Severity != sev {
					t.Errorf("%s: severity %s, want %s (evidence %q)", id, f.Severity, sev, f.Evidence)
				}
				down := strings.Contains(f.Evidence, "downgraded from")
				if wantDown := strings.Contains(c.name, "proven") || strings.Contains(c.name, "not authorized"); down != wantDown {
					t.Errorf("%s: evidence %q says downgraded=%v, want %v", id, f.Evidence, down, wantDown)
				}
			}
		})
	}
}

func keys(m map[string]riskmap.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDowngradeErrors(t *testing.T) {
	cases := []struct {
		name, yaml, field string
	}{
		{"not lower", `{id: x, severity: medium, title: t, match: {ports: [1]}, downgrade: {script: {id: s}, severity: high}}`, "downgrade.severity"},
		{"no script", `{id: x, severity: medium, title: t, match: {ports: [1]}, downgrade: {severity: low}}`, "downgrade.script"},
		{"bad regexp", `{id: x, severity: medium, title: t, match: {ports: [1]}, downgrade: {script: {id: s, output: "("}, severity: low}}`, "downgrade.script.output"},
		{"internet without escalation", `{id: x, severity: medium, title: t, match: {ports: [1]}, downgrade: {script: {id: s}, severity: low, internet_severity: low}}`, "downgrade.internet_severity"},
		{"internet not lower", `{id: x, severity: medium, internet_severity: high, title: t, match: {ports: [1]}, downgrade: {script: {id: s}, severity: low, internet_severity: high}}`, "downgrade.internet_severity"},
		{"unknown key", `{id: x, severity: medium, title: t, match: {ports: [1]}, downgrade: {script: {id: s}, severity: low, to: info}}`, "to"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := findings.LoadRules("rules.yaml", strings.NewReader("rules:\n  - "+c.yaml+"\n"))
			var re *findings.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *RuleError", err)
			}
			if re.Field != c.field || re.Line == 0 {
				t.Errorf("got field %q line %d (%v), want field %q and a line", re.Field, re.Line, err, c.field)
			}
		})
	}
}
