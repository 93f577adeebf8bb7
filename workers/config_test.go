package workers_test

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/riskmap/riskmap/workers"
)

func TestConfigYAML(t *testing.T) {
	var doc struct {
		Workers *workers.Config `yaml:"workers"`
	}
	src := "workers:\n  segments:\n    - name: prod-a\n      networks: [vpc-1]\n      pool: 4\n      max_rate: 400\n  delivery:\n    ack_wait: 30s\n    max_deliver: 5\n    retention: 24h\n    worker_ttl: 10s\n"
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Workers
	if c == nil || len(c.Segments) != 1 || c.Segments[0].Pool != 4 || c.Delivery.AckWait != 30*time.Second {
		t.Fatalf("parsed %+v", c)
	}
	if !c.Embedded() || c.Server.Port != 4222 || c.JobHosts != 16 {
		t.Errorf("defaults not kept: embedded %v port %d job_hosts %d", c.Embedded(), c.Server.Port, c.JobHosts)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown key": "workers:\n  segmnets: []\n",
		"bad pool":    "workers:\n  segments:\n    - name: a\n      networks: [n]\n      pool: 0\n",
		"bad name":    "workers:\n  segments:\n    - name: a.b\n      networks: [n]\n      pool: 1\n",
		"no networks": "workers:\n  segments:\n    - name: a\n      pool: 1\n",
		"shared net":  "workers:\n  segments:\n    - {name: a, networks: [n], pool: 1}\n    - {name: b, networks: [n], pool: 1}\n",
	} {
		t.Run(name, func(t *testing.T) {
			doc.Workers = nil
			err := yaml.Unmarshal([]byte(bad), &doc)
			if err == nil {
				err = doc.Workers.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), "workers") {
				t.Errorf("error %v, want one naming workers", err)
			}
		})
	}
}
