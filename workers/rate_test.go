package workers_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// TestSegmentRateShare checks how a segment's rate cap holds across its workers: JetStream
// lets at most Pool jobs of the segment be in flight (MaxAckPending), and each job carries
// max_rate/Pool, so the sum never passes the cap however many workers run.
func TestSegmentRateShare(t *testing.T) {
	ctx := context.Background()
	srv, err := workers.StartServer(workers.DefaultServerConfig(filepath.Join(t.TempDir(), "js")))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	cfg := workers.DefaultDispatchConfig()
	cfg.JobHosts = 2
	cfg.Segments = []workers.SegmentConfig{{Name: "a", Networks: []string{"vpc-a"}, Pool: 4, MaxRate: 1000}}
	d, err := workers.NewDispatcher(ctx, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	plan := &scanner.Plan{}
	for i, ip := range []string{"127.10.0.1", "127.10.0.2", "127.10.0.3", "127.99.0.1"} {
		plan.Items = append(plan.Items, scanner.PlanItem{AssetID: string(rune('a' + i)), IPs: []netip.Addr{netip.MustParseAddr(ip)},
			Network: "vpc-a", Tier: riskmap.TierLight, Ports: scanner.PortList{22}, Probes: 1})
	}
	scope, _ := scanner.ParseScope([]string{"127.10.0.0/16"}, nil)
	jobs, unrouted, refused := d.Jobs("c1", plan, scope)
	if len(jobs) != 2 || len(unrouted) != 0 || len(refused) != 1 {
		t.Fatalf("%d jobs, %d unrouted, %d refused: want 2 jobs of at most 2 hosts and 127.99.0.1 refused", len(jobs), len(unrouted), len(refused))
	}
	for _, j := range jobs {
		if j.MaxRate != 250 {
			t.Errorf("job %s max_rate %d, want 1000/4", j.ID, j.MaxRate)
		}
	}
	js, _ := jetstream.New(nc)
	cons, err := js.Consumer(ctx, workers.JobsStream("a"), workers.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.MaxAckPending; got != 4 {
		t.Errorf("consumer max_ack_pending %d, want the pool, 4", got)
	}
}
