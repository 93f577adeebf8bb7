package engine_test

import (
	"strings"
	"testing"

	"github.com/riskmap/riskmap/engine"
)

func TestParseConfig(t *testing.T) {
	c, err := engine.ParseConfig("riskmap.yaml", []byte(`
scope:
  allow: [127.0.0.0/8]
  exclude: [127.0.0.9/32]
planner:
  budget: 5000
  exploration: 0.2
inventory:
  - provider: aws
    paths: [inv/]
schedule: {every: 30m, retrain_every: 3}
alerts: {webhook: "http://127.0.0.1:9/hook"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Planner.Budget != 5000 || c.Schedule.RetrainEvery != 3 || len(c.Inventory) != 1 || c.Alerts.JSONL != "alerts.jsonl" {
		t.Fatalf("parsed %+v", c)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "scopes: {}", "scopes"},
		{"bad provider", "inventory: [{provider: oracle, paths: [x]}]", "inventory[0].provider"},
		{"bad duration", "schedule: {every: soon}", "soon"},
		{"bad cidr", "scope: {allow: [300.0.0.0/8]}", "300.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.ParseConfig("riskmap.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "riskmap.yaml") {
				t.Fatalf("err = %v, want it to name riskmap.yaml and %q", err, tc.want)
			}
		})
	}
}
