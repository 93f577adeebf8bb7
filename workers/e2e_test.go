package workers_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/workers"
)

// TestSegmentsEndToEnd plans across three segments, each served in its own network namespace
// and scanned by its own workers (two in seg0), and checks that every serious exposure of
// every segment is found, that each segment's namespace saw packets, and that every stored
// XML document holds only addresses of the segment that scanned it.
func TestSegmentsEndToEnd(t *testing.T) {
	v := newEnv(t, 3)
	ctx := context.Background()
	d, err := workers.NewDispatcher(ctx, v.nc, v.dispatchConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := make([]uint64, 3)
	for i := range before {
		before[i] = v.loPackets(i)
	}
	v.startWorker("a0", 0, nil)
	v.startWorker("a1", 0, nil)
	v.startWorker("b0", 1, nil)
	v.startWorker("c0", 2, nil)
	v.waitLive(4)

	plan := v.plan()
	col := newCollector()
	rep, err := d.Dispatch(ctx, "cycle-1", plan, v.scope(), col.sink)
	if err != nil {
		t.Fatal(err)
	}
	jobs := 0
	for seg, sr := range rep.Segments {
		t.Logf("%s: %+v", seg, *sr)
		if sr.Jobs == 0 || sr.Done != sr.Jobs || sr.Queued != 0 || sr.Refused != 0 || sr.Dead != 0 {
			t.Errorf("segment %s: %d jobs, %d done, %d queued, %d refused, %d dead: want all done", seg, sr.Jobs, sr.Done, sr.Queued, sr.Refused, sr.Dead)
		}
		jobs += sr.Jobs
	}
	if len(rep.Unrouted) != 0 || len(rep.Refused) != 0 {
		t.Errorf("unrouted %d, refused %d: want none", len(rep.Unrouted), len(rep.Refused))
	}

	// Every listening service of every segment, serious or reachable only from inside its
	// VPC, is open in the XML the workers stored.
	serious, all := 0, 0
	for _, x := range v.e.Truth() {
		if !v.inSegments(vpcOf(v, x.AssetID)) {
			continue
		}
		all++
		if x.Severity.Serious() {
			serious++
		}
		if !col.open[fmt.Sprintf("%s:%d", x.IP, x.Port)] {
			t.Errorf("exposure %s %s:%d (%s, %s) not found", x.AssetID, x.IP, x.Port, x.Service, x.Severity)
		}
	}
	if serious == 0 {
		t.Fatal("the estate has no serious exposure in the segments: the test proves nothing")
	}
	// Each host's XML came from its own segment's workers, and holds its segment's address.
	for ip, seg := range col.hosts {
		a := netip.MustParseAddr(ip)
		i := int(seg[len(seg)-1] - '0')
		if !vpcPrefix(i).Contains(a) {
			t.Errorf("host %s in XML of segment %s, outside its block %s", ip, seg, vpcPrefix(i))
		}
	}
	if len(col.hosts) != len(plan.Items) {
		t.Errorf("%d hosts in the XML, want the %d planned", len(col.hosts), len(plan.Items))
	}
	for i := range before {
		if got := v.loPackets(i) - before[i]; got == 0 {
			t.Errorf("segment %d's namespace saw no packets: its worker did not scan there", i)
		}
	}
	// The live list shows every worker with the jobs it did.
	live, err := workers.Live(ctx, v.js())
	if err != nil {
		t.Fatal(err)
	}
	var done int64
	deadline := time.Now().Add(5 * time.Second)
	for {
		done = 0
		for _, w := range live {
			done += w.Done
		}
		if int(done) == jobs || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
		live, _ = workers.Live(ctx, v.js())
	}
	if len(live) != 4 || int(done) != jobs {
		t.Errorf("live workers %d with %d jobs done, want 4 with %d", len(live), done, jobs)
	}
	t.Logf("%d jobs, %d XML documents (%d bytes), %d exposures found (%d serious), %d hosts", jobs, col.docs, col.bytes, all, serious, len(col.hosts))
}

func vpcOf(v *env, asset string) string {
	for _, in := range v.e.Instances {
		if in.ID == asset {
			return in.VPC
		}
	}
	return ""
}

// TestWorkerRefusesOutsideLocalScope gives a worker a job whose address is inside the job's
// scope but outside the worker's own allow-list: it refuses, says why in a Result and a dead
// letter, and its segment's namespace sees no packet.
func TestWorkerRefusesOutsideLocalScope(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	d, err := workers.NewDispatcher(ctx, v.nc, v.dispatchConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The worker may scan one other address only.
	v.startWorker("narrow", 0, []string{"127.10.255.254/32"})
	v.waitLive(1)
	plan := v.plan()
	plan.Items = plan.Items[:1]
	plan.Probes, plan.Budget = plan.Items[0].Probes, plan.Items[0].Probes
	before := v.loPackets(0)
	rep, err := d.Dispatch(ctx, "refuse-1", plan, v.scope(), newCollector().sink)
	if err != nil {
		t.Fatal(err)
	}
	sr := rep.Segments[segName(0)]
	if sr.Refused != 1 || sr.Done != 0 {
		t.Fatalf("refused %d, done %d: want the one job refused (%+v)", sr.Refused, sr.Done, *sr)
	}
	why := strings.Join(sr.Reasons, "\n")
	if !strings.Contains(why, "local scope") || !strings.Contains(why, plan.Items[0].IPs[0].String()) {
		t.Errorf("reason %q: want the address and 'local scope'", why)
	}
	if got := v.loPackets(0) - before; got != 0 {
		t.Errorf("the refused job's namespace saw %d packets, want 0", got)
	}
}
