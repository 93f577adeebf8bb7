package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/engine"
)

func TestConfigInventorySync(t *testing.T) {
	good := "inventory:\n  - provider: aws\n    sync: {regions: [eu-west-1], rate: 5, deadline: 10m}\n  - provider: gcp\n    sync: {projects: [p1]}\n"
	c, err := engine.ParseConfig("riskmap.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Inventory[0].Sync
	if s == nil || s.Regions[0] != "eu-west-1" || s.Rate != 5 || s.Deadline != 10*time.Minute || c.Inventory[1].Sync.Projects[0] != "p1" {
		t.Errorf("parsed %+v", c.Inventory)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"azure without subscriptions", "inventory:\n  - provider: azure\n    sync: {}\n", "sync.subscriptions"},
		{"paths and sync", "inventory:\n  - provider: aws\n    paths: [x]\n    sync: {}\n", "paths and sync"},
		{"unknown key", "inventory:\n  - provider: aws\n    sync: {regoins: [x]}\n", "regoins"},
		{"csv sync", "inventory:\n  - provider: csv\n    sync: {}\n", "provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.ParseConfig("riskmap.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
