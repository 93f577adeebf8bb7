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

// TestPortPriorsWidePeers checks the wide-open prior: a port open on one wide-open asset is
// predicted, ahead of every other prior, for the other wide-open assets, even in another VPC
// and another security group, and never for an asset whose rules do not let it through.
func TestPortPriorsWidePeers(t *testing.T) {
	wide := riskmap.Exposure{Proto: "all", FromPort: 0, ToPort: 65535, Source: "0.0.0.0/0"}
	web := riskmap.Exposure{Proto: "tcp", FromPort: 443, ToPort: 443, Source: "0.0.0.0/0"}
	asset := func(id, sg string, e riskmap.Exposure) riskmap.Asset {
		return riskmap.Asset{ID: id, SecurityGroups: []string{sg}, PublicIPs: []string{"203.0.113." + id[2:]}, Exposed: []riskmap.Exposure{e}}
	}
	assets := []riskmap.Asset{
		asset("i-1", "sg-a", wide), asset("i-2", "sg-b", wide), asset("i-3", "sg-c", wide),
		asset("i-4", "sg-a", web),
		asset("i-5", "sg-d", riskmap.Exposure{Proto: "tcp", FromPort: 50000, ToPort: 52000, Source: "0.0.0.0/0"}),
	}
	// i-1 and i-4 share sg-a, so i-4 gets i-1's ports as a sibling, not as a wide-open peer.
	open := map[string][]int{"i-1": {22, 52323}, "i-2": {22}, "i-3": {22, 8080, 51000}}
	// Enough co-occurring ports to fill i-2's list, were the wide-open prior not ranked first.
	for n := 0; n < 40; n++ {
		id := "c-" + string(rune('a'+n%26)) + string(rune('a'+n/26))
		assets = append(assets, asset(id, "sg-z", web))
		ports := []int{22}
		for p := 0; p < 40; p++ {
			ports = append(ports, 20000+p)
		}
		open[id] = ports
	}
	priors, err := features.PortPriors(context.Background(), assets, open)
	if err != nil {
		t.Fatal(err)
	}
	why := func(id string, port int) (int, string) {
		for i, p := range priors[id] {
			if p.Port == port {
				return i, p.Why
			}
		}
		return -1, ""
	}
	for _, c := range []struct {
		id   string
		port int
	}{{"i-2", 52323}, {"i-2", 8080}, {"i-3", 52323}, {"i-1", 8080}} {
		i, w := why(c.id, c.port)
		if i < 0 {
			t.Errorf("%s: port %d not predicted; priors %v", c.id, c.port, priors[c.id])
			continue
		}
		if !strings.Contains(w, "wide-open") {
			t.Errorf("%s port %d: %q, want the wide-open reason", c.id, c.port, w)
		}
		if i > 2 { // at most three wide-open peers' ports each (8080, 51000, 52323)
			t.Errorf("%s port %d ranked %d, want ahead of the co-occurring ports", c.id, c.port, i)
		}
	}
	if i, w := why("i-5", 51000); i < 0 || !strings.Contains(w, "wide-open") {
		t.Errorf("i-5 (wide range 50000-52000): port 51000 at %d, %q: want the wide-open reason", i, w)
	}
	if i, _ := why("i-5", 52323); i >= 0 {
		t.Errorf("i-5's rules keep 52323 from the internet, yet it is predicted as a wide-open peer's port")
	}
	if i, w := why("i-4", 52323); i < 0 || strings.Contains(w, "wide-open") {
		t.Errorf("i-4 (sg-a sibling of i-1, not wide-open): port 52323 at %d, %q: want the sibling reason", i, w)
	}
	if i, _ := why("i-4", 8080); i >= 0 {
		t.Errorf("i-4 is not wide-open and shares nothing with i-3, yet 8080 is predicted")
	}
}
