// Over 400 lines: the delivery-semantics tests (SIGKILL mid-scan, coordinator restart,
// duplicate result, dead letters) share one server, lab and worker-process harness.

package workers_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// slowPlan is one item of segment 0 with n ports, which a rate cap of perSecond makes last
// about n/perSecond seconds.
func (v *env) slowPlan(n int) *scanner.Plan {
	p := v.plan()
	var it scanner.PlanItem
	for _, x := range p.Items {
		if x.Network == v.e.VPCs[0].ID {
			it = x
			break
		}
	}
	it.Ports = nil
	for port := 1; port <= n; port++ {
		it.Ports = append(it.Ports, port)
	}
	it.Probes = n
	return &scanner.Plan{CreatedAt: p.CreatedAt, Items: []scanner.PlanItem{it}, Probes: n, Budget: n}
}

// jobState reads the coordinator's record of a job.
func jobState(t *testing.T, js jetstream.JetStream, id string) map[string]any {
	t.Helper()
	kv, err := js.KeyValue(context.Background(), workers.JobsBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWorkerKilledMidScan SIGKILLs the worker running a job: the job is redelivered after
// AckWait to the segment's other worker, which completes it; it is ingested once.
func TestWorkerKilledMidScan(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	cfg := v.dispatchConfig()
	cfg.Segments[0].Pool, cfg.Segments[0].MaxRate = 1, 150 // 600 ports: about 4s
	d, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	victim := v.startWorker("victim", 0, nil)
	v.waitLive(1)
	col := newCollector()
	type out struct {
		rep *workers.Report
		err error
	}
	done := make(chan out, 1)
	go func() {
		rep, err := d.Dispatch(ctx, "kill-1", v.slowPlan(600), v.scope(), col.sink)
		done <- out{rep, err}
	}()
	// Wait until the victim holds the job, then start the rescuer and kill the victim.
	cons, err := v.js().Consumer(ctx, workers.JobsStream(segName(0)), workers.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		info, err := cons.Info(ctx)
		if err == nil && info.NumAckPending == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the victim never took the job")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // nmap is running
	v.startWorker("rescuer", 0, nil)
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	sr := r.rep.Segments[segName(0)]
	if sr.Jobs != 1 || sr.Done != 1 || sr.Duplicates != 0 || col.docs != 1 {
		t.Fatalf("jobs %d done %d duplicates %d documents %d: want one job done once (%+v)", sr.Jobs, sr.Done, sr.Duplicates, col.docs, *sr)
	}
	if st := jobState(t, v.js(), "kill-1.seg0.0"); st["worker"] != "rescuer" {
		t.Errorf("job done by %v, want the rescuer", st["worker"])
	}
	if n := len(col.open); n == 0 {
		t.Errorf("the rescued scan found no open port")
	}
}

// TestCoordinatorRestart stops the coordinator and its NATS server mid-cycle and starts them
// again on the same store: the queued jobs survive and complete, each ingested once.
func TestCoordinatorRestart(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	cfg := v.dispatchConfig()
	cfg.Segments[0].Pool, cfg.Segments[0].MaxRate = 1, 2000 // one job at a time
	d, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	v.startWorker("w", 0, nil)
	v.waitLive(1)
	plan := v.plan()
	var seg0 []scanner.PlanItem
	for _, it := range plan.Items {
		if it.Network == v.e.VPCs[0].ID {
			seg0 = append(seg0, it)
		}
	}
	plan.Items, plan.Probes = seg0, 0
	for _, it := range seg0 {
		plan.Probes += it.Probes
	}
	plan.Budget = plan.Probes

	first := newCollector()
	cctx, cancel := context.WithCancel(ctx)
	var calls atomic.Int32
	rep1, err := d.Dispatch(cctx, "restart-1", plan, v.scope(), func(r scanner.Result) error {
		if calls.Add(1) == 1 {
			cancel() // the coordinator dies after its first ingest
		}
		return first.sink(r)
	})
	if err == nil {
		t.Fatal("the first Dispatch was not interrupted")
	}
	jobs := rep1.Segments[segName(0)].Jobs
	if jobs < 3 || rep1.Segments[segName(0)].Done >= jobs {
		t.Fatalf("%d jobs, %d done before the restart: want at least 3 and some left", jobs, rep1.Segments[segName(0)].Done)
	}
	d.Close()
	v.stopServer()
	time.Sleep(300 * time.Millisecond)
	v.startServer()
	d2, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	second := newCollector()
	rep2, err := d2.Dispatch(ctx, "restart-1", plan, v.scope(), second.sink)
	if err != nil {
		t.Fatal(err)
	}
	sr := rep2.Segments[segName(0)]
	t.Logf("before: %+v\nafter: %+v", *rep1.Segments[segName(0)], *sr)
	if sr.Already+sr.Done != jobs || sr.Queued != 0 || sr.Already < 1 {
		t.Fatalf("after the restart: %d already, %d done, %d queued of %d jobs", sr.Already, sr.Done, sr.Queued, jobs)
	}
	if first.docs+second.docs != jobs {
		t.Errorf("%d + %d documents ingested, want %d: one per job", first.docs, second.docs, jobs)
	}
	hosts := map[string]bool{}
	for ip := range first.hosts {
		hosts[ip] = true
	}
	for ip := range second.hosts {
		if hosts[ip] {
			t.Errorf("host %s ingested twice", ip)
		}
		hosts[ip] = true
	}
	if len(hosts) != len(seg0) {
		t.Errorf("%d hosts ingested, want %d", len(hosts), len(seg0))
	}
	// The stream kept one message per job: none was published twice.
	st, err := v.js().Stream(ctx, workers.JobsStream(segName(0)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.LastSeq != uint64(jobs) || info.State.Msgs != 0 {
		t.Errorf("jobs stream: last seq %d, %d left: want %d published once, none left", info.State.LastSeq, info.State.Msgs, jobs)
	}
}

// fakeWorker connects as segment 0's worker user and heartbeats, so that Dispatch waits.
func (v *env) fakeWorker(t testing.TB) (jetstream.JetStream, *nats.Conn) {
	t.Helper()
	nc, err := workers.Connect(workers.ConnConfig{URL: v.url(), User: "w-seg0", Password: workerPassword(0), Segment: segName(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), workers.WorkersBucket)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := workers.Encode(workers.Heartbeat{Version: workers.Version, Worker: "fake", Segment: segName(0)})
	if _, err := kv.Put(context.Background(), workers.WorkerKey(segName(0), "fake"), hb); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			kv.Put(ctx, workers.WorkerKey(segName(0), "fake"), hb)
		}
	}()
	return js, nc
}

// TestDuplicateResultIngestedOnce publishes two Results for one job, as a redelivery racing a
// slow worker does: the XML reaches the sink once.
func TestDuplicateResultIngestedOnce(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	d, err := workers.NewDispatcher(ctx, v.nc, v.dispatchConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	js, _ := v.fakeWorker(t)
	xml, err := os.ReadFile("testdata/light.xml")
	if err != nil {
		t.Fatal(err)
	}
	published := make(chan struct{})
	go func() {
		defer close(published)
		cons, err := js.Consumer(ctx, workers.JobsStream(segName(0)), workers.ConsumerName)
		if err != nil {
			t.Error(err)
			return
		}
		msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Error(err)
			return
		}
		for m := range msgs.Messages() {
			job, err := workers.DecodeJob(m.Data())
			if err != nil {
				t.Error(err)
				return
			}
			store, err := js.ObjectStore(ctx, workers.XMLBucket(segName(0)))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := store.PutBytes(ctx, job.ID+"/x.xml", xml); err != nil {
				t.Error(err)
				return
			}
			for delivery := 1; delivery <= 2; delivery++ {
				res := workers.Result{Version: workers.Version, JobID: job.ID, Cycle: job.Cycle, Segment: job.Segment,
					Worker: "fake", Outcome: workers.OutcomeDone, Delivery: uint64(delivery),
					Objects: []workers.Object{{Name: job.ID + "/x.xml", Tier: "light", Hosts: 1}}}
				data, _ := workers.Encode(res)
				if _, err := js.Publish(ctx, workers.ResultsSubject(segName(0)), data); err != nil {
					t.Error(err)
				}
			}
			m.Ack()
		}
	}()
	col := newCollector()
	plan := v.slowPlan(10)
	rep, err := d.Dispatch(ctx, "dup-1", plan, v.scope(), col.sink)
	if err != nil {
		t.Fatal(err)
	}
	// The second Result may come after Dispatch returned: a second Dispatch drops it.
	<-published
	rep2, err := d.Dispatch(ctx, "dup-1", plan, v.scope(), col.sink)
	if err != nil {
		t.Fatal(err)
	}
	sr, sr2 := rep.Segments[segName(0)], rep2.Segments[segName(0)]
	if sr.Done != 1 || col.docs != 1 || sr.Duplicates+sr2.Duplicates != 1 || sr2.Already != 1 {
		t.Fatalf("done %d, documents %d, duplicates %d+%d, already %d: want the job ingested once and the repeat dropped",
			sr.Done, col.docs, sr.Duplicates, sr2.Duplicates, sr2.Already)
	}
}

// TestMaxDeliverDeadLetter has a worker that takes the job and never acks: after MaxDeliver
// deliveries the coordinator writes a dead letter with the reason and drops the job.
func TestMaxDeliverDeadLetter(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	cfg := v.dispatchConfig()
	cfg.Delivery.AckWait, cfg.Delivery.MaxDeliver = 300*time.Millisecond, 2
	d, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	js, _ := v.fakeWorker(t)
	var taken atomic.Int32
	stalled, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		cons, err := js.Consumer(ctx, workers.JobsStream(segName(0)), workers.ConsumerName)
		if err != nil {
			t.Error(err)
			return
		}
		// Keep pulling, as live workers do: JetStream notices the delivery limit when it
		// would deliver the job again.
		for stalled.Err() == nil {
			msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(500*time.Millisecond))
			if err != nil {
				return
			}
			for range msgs.Messages() {
				taken.Add(1) // and stall: no ack, no heartbeat
			}
		}
	}()
	rep, err := d.Dispatch(ctx, "dead-1", v.slowPlan(10), v.scope(), newCollector().sink)
	if err != nil {
		t.Fatal(err)
	}
	sr := rep.Segments[segName(0)]
	if sr.Dead != 1 || sr.Done != 0 || taken.Load() != 2 {
		t.Fatalf("dead %d done %d, taken %d times: want one dead letter after 2 deliveries (%+v)", sr.Dead, sr.Done, taken.Load(), *sr)
	}
	if why := strings.Join(sr.Reasons, ";"); !strings.Contains(why, "delivered 2 times without an ack") {
		t.Errorf("reasons %q: want the delivery count", why)
	}
	st, err := v.js().Stream(ctx, workers.JobsStream(segName(0)))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%d jobs left in the work queue, want the dead one removed", info.State.Msgs)
	}
	dead, err := v.js().Stream(ctx, workers.DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	di, _ := dead.Info(ctx)
	if di.State.Msgs != 1 {
		t.Errorf("%d dead letters stored, want 1", di.State.Msgs)
	}
}

// TestMaxDeliverWhileCoordinatorAway lets a job reach MaxDeliver while no coordinator listens
// for the advisory: the next Dispatch finds it stuck in the work queue and dead-letters it.
func TestMaxDeliverWhileCoordinatorAway(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	cfg := v.dispatchConfig()
	cfg.Delivery.AckWait, cfg.Delivery.MaxDeliver = 200*time.Millisecond, 2
	d, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	plan := v.slowPlan(10)
	jobs, _, _ := d.Jobs("away-1", plan, v.scope())
	if _, err := d.Publish(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	d.Close() // no one listens for advisories now
	js, _ := v.fakeWorker(t)
	cons, err := js.Consumer(ctx, workers.JobsStream(segName(0)), workers.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for range msgs.Messages() {
			taken++ // and stall
		}
		if info, err := cons.Info(ctx); err == nil && taken >= 2 && info.NumAckPending == 0 {
			break
		}
	}
	if taken != 2 {
		t.Fatalf("the job was delivered %d times, want 2", taken)
	}
	d2, err := workers.NewDispatcher(ctx, v.nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	rep, err := d2.Dispatch(ctx, "away-1", plan, v.scope(), newCollector().sink)
	if err != nil {
		t.Fatal(err)
	}
	if sr := rep.Segments[segName(0)]; sr.Dead != 1 || sr.Queued != 0 {
		t.Fatalf("dead %d queued %d: want the stuck job dead-lettered (%+v)", sr.Dead, sr.Queued, *sr)
	}
}
