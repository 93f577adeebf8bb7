package features_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features"
)

// TestPortPriors checks both priors on a small workspace: a port open on one host of a
// security group is predicted for the others at once, and a port that co-occurs with another
// on most hosts is predicted for a host that has only the first.
func TestPortPriors(t *testing.T) {
	ctx := context.Background()
	s, _ := datasets.Open(t.TempDir(), nil)
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	asset := func(id, sg, subnet string) riskmap.Asset {
		return riskmap.Asset{SnapshotTime: t0, ID: id, Provider: "aws", Account: "1", Subnet: subnet,
			SecurityGroups: []string{sg}, PrivateIPs: []string{"127.0.0." + id[2:]}, State: "running"}
	}
	assets := []riskmap.Asset{
		asset("i-1", "sg-db", "subnet-a"), asset("i-2", "sg-db", "subnet-b"),
		asset("i-3", "sg-x", "subnet-c"), asset("i-4", "sg-y", "subnet-d"), asset("i-5", "sg-z", "subnet-e"),
	}
	open := func(id string, port int) riskmap.Observation {
		return riskmap.Observation{ScanID: "s", ScanTime: t0.Add(time.Hour), IP: "127.0.0." + id[2:], AssetID: id, Port: port, Proto: "tcp", State: "open"}
	}
	obs := []riskmap.Observation{
		open("i-1", 45900), // an unlisted port on one member of sg-db
		open("i-3", 9200), open("i-3", 9300), open("i-4", 9200), open("i-4", 9300), open("i-5", 9200),
	}
	mem := s.Allocator()
	ar := datasets.AssetsRecord(mem, assets)
	defer ar.Release()
	or := datasets.ObservationsRecord(mem, obs)
	defer or.Release()
	if err := w.WriteTable(datasets.TableAssets, "day=2026-03-01", "a", ar); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTable(datasets.TableObservations, "day=2026-03-01", "s", or); err != nil {
		t.Fatal(err)
	}
	priorsAt := func(at time.Time) map[string][]features.PortPrior {
		t.Helper()
		est, err := features.LoadEstate(ctx, s, features.BuildOptions{AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		assets, err := est.Assets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		open, err := est.OpenPorts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		priors, err := features.PortPriors(ctx, assets, open)
		if err != nil {
			t.Fatal(err)
		}
		return priors
	}
	priors := priorsAt(t0.Add(2 * time.Hour))
	has := func(id string, port int, why string) {
		t.Helper()
		for _, p := range priors[id] {
			if p.Port == port {
				if !strings.Contains(p.Why, why) {
					t.Errorf("%s port %d: %q, want %q in it", id, port, p.Why, why)
				}
				return
			}
		}
		t.Errorf("%s: port %d not predicted (%v)", id, port, priors[id])
	}
	has("i-2", 45900, "security group sg-db")
	has("i-5", 9300, "co-occurs with 9200/tcp")
	for _, p := range priors["i-1"] {
		if p.Port == 45900 {
			t.Errorf("i-1 has 45900 predicted, though it is seen open there")
		}
	}
	if before := priorsAt(t0.Add(time.Minute)); len(before) != 0 {
		t.Errorf("priors before the scan: %v, want none (nothing after asOf is read)", before)
	}
}
