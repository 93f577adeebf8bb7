package workers_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/riskmap/riskmap/workers"
)

// TestJobCarriesProfiles: the coordinator's light tier runs the http-title script, which the
// worker's own (default) light profile does not. The worker, a separate process with real
// nmap in its segment's namespace, runs the job's tier as the job says.
func TestJobCarriesProfiles(t *testing.T) {
	v := newEnv(t, 1)
	ctx := context.Background()
	d, err := workers.NewDispatcher(ctx, v.nc, v.dispatchConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Profiles.Light.Scripts = []string{"http-title"}
	v.startWorker("w0", 0, nil)
	v.waitLive(1)
	plan := v.plan()
	plan.Items = plan.Items[:1]
	plan.Probes, plan.Budget = plan.Items[0].Probes, plan.Items[0].Probes

	jobs, _, _ := d.Jobs("profiles-1", plan, v.scope())
	if len(jobs) != 1 || len(jobs[0].Profiles.Light.Scripts) != 1 || jobs[0].Profiles.ServicesPath != "" {
		t.Fatalf("jobs %+v: want one job carrying the light tier's http-title script and no services path", jobs)
	}
	c := newCollector()
	rep, err := d.Dispatch(ctx, "profiles-1", plan, v.scope(), c.sink)
	if err != nil {
		t.Fatal(err)
	}
	if sr := rep.Segments[segName(0)]; sr.Done != 1 {
		t.Fatalf("segment report %+v: want the one job done", *sr)
	}
	if len(c.xml) == 0 {
		t.Fatal("no XML came back")
	}
	args := regexp.MustCompile(`<nmaprun [^>]*args="([^"]*)"`)
	for _, x := range c.xml {
		m := args.FindSubmatch(x)
		if m == nil || !bytes.Contains(m[1], []byte("script=http-title")) {
			t.Errorf("nmap ran %q, want the job's light tier with --script=http-title", m)
		}
	}
}
