package workers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/riskmap/riskmap/workers"
)

// TestNKeyWorker authenticates a worker by NKey: with its seed it reaches its own segment's
// jobs and not another segment's; without a valid key it is refused.
func TestNKeyWorker(t *testing.T) {
	dir := t.TempDir()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(dir, "worker.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := workers.DefaultServerConfig(filepath.Join(dir, "js"))
	cfg.Coordinator = workers.User{Name: "coordinator", Password: "c"}
	cfg.Workers = []workers.User{{NKey: pub, Segment: "a"}}
	srv, err := workers.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	coord, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), User: "coordinator", Password: "c"})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	dc := workers.DefaultDispatchConfig()
	dc.Segments = []workers.SegmentConfig{{Name: "a", Networks: []string{"n-a"}, Pool: 1}, {Name: "b", Networks: []string{"n-b"}, Pool: 1}}
	d, err := workers.NewDispatcher(ctx, coord, dc)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), NKeySeed: seedFile, Segment: "a"})
	if err != nil {
		t.Fatalf("nkey worker: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	c1, cancel1 := context.WithTimeout(ctx, time.Second)
	defer cancel1()
	if _, err := js.Consumer(c1, workers.JobsStream("a"), workers.ConsumerName); err != nil {
		t.Errorf("own segment: %v", err)
	}
	c2, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	if _, err := js.Consumer(c2, workers.JobsStream("b"), workers.ConsumerName); err == nil {
		t.Error("the nkey worker of segment a reached segment b's jobs")
	}
	other, _ := nkeys.CreateUser()
	oseed, _ := other.Seed()
	otherFile := filepath.Join(dir, "other.nk")
	os.WriteFile(otherFile, oseed, 0o600)
	if nc, err := workers.Connect(workers.ConnConfig{URL: srv.URL(), NKeySeed: otherFile, ConnectWait: 300 * time.Millisecond}); err == nil {
		nc.Close()
		t.Error("an unknown nkey connected")
	}
}
