package workers_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riskmap/riskmap/workers"
)

// TestQueuedWithoutWorkers dispatches to segments that have no live worker: Dispatch returns
// at once, the jobs stay queued in JetStream and are reported, in the Report and in the
// metrics; an item of a network no segment lists is reported unrouted.
func TestQueuedWithoutWorkers(t *testing.T) {
	v := newEnv(t, 2)
	ctx := context.Background()
	cfg := v.dispatchConfig()
	cfg.Segments = cfg.Segments[:1] // segment 1's VPC is routed nowhere
	d, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	reg := prometheus.NewRegistry()
	m, err := workers.NewMetrics(reg, d)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Dispatch(ctx, "queued-1", v.plan(), v.scope(), newCollector().sink)
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(rep)
	sr := rep.Segments[segName(0)]
	if sr.Jobs == 0 || sr.Queued != sr.Jobs || sr.LiveWorkers != 0 {
		t.Fatalf("jobs %d queued %d live %d: want every job queued, no worker", sr.Jobs, sr.Queued, sr.LiveWorkers)
	}
	if rep.Queued() != sr.Jobs {
		t.Errorf("Report.Queued %d, want %d", rep.Queued(), sr.Jobs)
	}
	unrouted := 0
	for _, in := range v.e.Instances {
		if in.VPC == v.e.VPCs[1].ID {
			unrouted++
		}
	}
	if len(rep.Unrouted) != unrouted || unrouted == 0 {
		t.Errorf("%d unrouted items, want segment 1's %d", len(rep.Unrouted), unrouted)
	}
	want := strings.NewReader(`
# HELP riskmap_worker_jobs_queued Jobs waiting for a worker, by segment.
# TYPE riskmap_worker_jobs_queued gauge
riskmap_worker_jobs_queued{segment="seg0"} ` + strconv.Itoa(sr.Jobs) + `
# HELP riskmap_workers_live Workers with a live heartbeat, by segment.
# TYPE riskmap_workers_live gauge
riskmap_workers_live{segment="seg0"} 0
`)
	if err := testutil.GatherAndCompare(reg, want, "riskmap_worker_jobs_queued", "riskmap_workers_live"); err != nil {
		t.Error(err)
	}
	// A worker that comes later takes the queued jobs: a second Dispatch of the cycle
	// publishes nothing new and ingests them.
	v.startWorker("late", 0, nil)
	v.waitLive(1)
	col := newCollector()
	rep2, err := d.Dispatch(ctx, "queued-1", v.plan(), v.scope(), col.sink)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep2.Segments[segName(0)]; s.Done != sr.Jobs || s.Queued != 0 {
		t.Errorf("after a worker came: done %d queued %d, want %d done", s.Done, s.Queued, sr.Jobs)
	}
}
