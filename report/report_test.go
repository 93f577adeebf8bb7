package report_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/report"
)

// TestWriteReport writes a small workspace by hand (assets, two scans, findings of every
// status, a change, two cycles), renders the report and checks it strictly: well-formed, no
// fetches, and the sections a person reads.
func TestWriteReport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := datasets.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Writer()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mem := s.Allocator()
	t0 := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	t1 := t0.Add(24 * time.Hour)
	write := func(table, id string, at time.Time, rec arrow.RecordBatch) {
		t.Helper()
		defer rec.Release()
		if err := w.WriteTable(table, datasets.DayPartition(at), id, rec); err != nil {
			t.Fatal(err)
		}
	}
	assets := []riskmap.Asset{
		{SnapshotTime: t0, ID: "i-0cache", Provider: "aws", Account: "111122223333", Network: "vpc-1", Subnet: "subnet-a", Kind: riskmap.KindVM,
			State: "running", SecurityGroups: []string{"sg-0cache"}, PrivateIPs: []string{"10.0.0.5"}, PublicIPs: []string{"203.0.113.5"},
			Tags:    []riskmap.Tag{{Key: "Name", Value: "cache-1"}, {Key: "env", Value: "prod"}},
			Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 6379, ToPort: 6379, Source: "0.0.0.0/0"}}, InternetExposedPorts: []int{6379}},
		{SnapshotTime: t0, ID: "i-0node", Provider: "aws", Account: "111122223333", Network: "vpc-1", Subnet: "subnet-b", Kind: riskmap.KindVM,
			State: "running", SecurityGroups: []string{"sg-0k8s"}, PrivateIPs: []string{"10.0.1.7"}, Tags: []riskmap.Tag{{Key: "Name", Value: "k8s-node-1"}}},
	}
	write(datasets.TableAssets, "snap-1", t0, datasets.AssetsRecord(mem, assets))
	write(datasets.TableScans, "s1", t0, datasets.ScansRecord(mem, []riskmap.Scan{{ID: "s1", Started: t0, Finished: t0.Add(time.Minute), Complete: true}}))
	write(datasets.TableScans, "s2", t1, datasets.ScansRecord(mem, []riskmap.Scan{{ID: "s2", Started: t1, Finished: t1.Add(time.Minute), Complete: true}}))
	// A later light scan (no checks) sees redis again: it cannot overturn the check's verdict.
	t2 := t1.Add(time.Hour)
	write(datasets.TableScans, "s3", t2, datasets.ScansRecord(mem, []riskmap.Scan{{ID: "s3", Started: t2, Finished: t2.Add(time.Minute), Complete: true, Profile: "light"}}))
	write(datasets.TableFindings, "s3", t2, datasets.FindingsRecord(mem, []riskmap.Finding{
		{ScanID: "s3", AssetID: "i-0cache", IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed", Severity: riskmap.SeverityCritical,
			Title: "Redis reachable", Evidence: "6379/tcp open (redis); service redis"},
	}))
	write(datasets.TableFindings, "s1", t0, datasets.FindingsRecord(mem, []riskmap.Finding{
		{ScanID: "s1", AssetID: "i-0cache", IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed", Severity: riskmap.SeverityCritical,
			Title: "Redis reachable", Evidence: "6379/tcp open (redis); service redis"},
	}))
	write(datasets.TableFindings, "s2", t1, datasets.FindingsRecord(mem, []riskmap.Finding{
		{ScanID: "s2", AssetID: "i-0cache", IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed", Severity: riskmap.SeverityMedium,
			Title: "Redis reachable", Evidence: "6379/tcp open (redis); downgraded from critical to medium, script riskmap-redis-auth output matched \"access: auth-required\""},
		{ScanID: "s2", AssetID: "i-0node", IP: "10.0.1.7", Port: 10250, Proto: "tcp", RuleID: "kubelet-anonymous", Severity: riskmap.SeverityHigh,
			Title: "kubelet serves its pods to anonymous requests", Evidence: "script riskmap-kubelet-pods output matched \"access: unauthenticated\""},
	}))
	write(datasets.TableDiffs, "s2", t1, datasets.DiffsRecord(mem, []riskmap.Diff{
		{AssetID: "i-0node", IP: "10.0.1.7", Port: 10250, Proto: "tcp", Change: riskmap.ChangeNewPort, After: "open", ScanID: "s2", BaselineScanID: "s1", ScanTime: t1},
	}))
	for i, at := range []time.Time{t0, t1} {
		c := datasets.Cycle{ID: "cycle-" + string(rune('1'+i)), Started: at, Finished: at.Add(2 * time.Minute), Probes: int64(1000 * (i + 1)), Budget: 5000}
		if i == 1 {
			// The second cycle dispatched to workers: east's worker did its jobs, west had
			// none live, and one item was in no segment.
			c.Segments = []datasets.CycleSegment{{Segment: "east", Jobs: 5, Done: 3, Refused: 1, Dead: 1, Live: 2}, {Segment: "west", Jobs: 4, Queued: 4}}
			c.Unrouted = 2
		}
		if err := datasets.WriteCycle(w, c); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "report.html")
	if err := report.WriteReport(ctx, s, out, time.Now()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	strict(t, b)
	for _, want := range []string{
		"i-0cache", "cache-1", "203.0.113.5", "env=prod", // names, addresses and tags next to ids
		`class="topology"`, `class="edge internet"`, // the map, with the internet edge
		"downgraded: authentication required", "confirmed", // statuses
		"aws ec2 revoke-security-group-ingress --group-id sg-0cache --protocol tcp --port 6379 --cidr 0.0.0.0/0",
		t0.Format("2006-01-02 15:04"), // the redis finding was first seen in the first scan
		t2.Format("2006-01-02 15:04"), // and last seen in the light one
		"new port 10.0.1.7:10250/tcp",
		`class="curve"`, `class="tick"`, // riskmap's curve over the two cycles, with ticks
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The workers' figures of the second cycle, per segment, and the queued jobs that wait
	// for a worker.
	for _, want := range []string{
		"Scan workers by segment",
		`<tr><td>cycle-2</td><td>east</td><td class="n">5</td><td class="n">3</td><td class="n">1</td><td class="n">1</td><td class="n">0</td><td class="n">2</td><td></td></tr>`,
		`<tr><td>cycle-2</td><td>west</td><td class="n">4</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">4</td><td class="n">0</td><td><b style="color:#c0392b">queued: no live worker</b></td></tr>`,
		"4 jobs were left queued",
		`<tr><td>cycle-2</td><td class="n">2</td></tr>`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if bytes.Contains(b, []byte("<td>cycle-1</td><td>east</td>")) {
		t.Error("the report lists workers for a cycle that ran nmap itself")
	}
	if bytes.Contains(b, []byte(">reachable</td>")) {
		t.Error("the light scan overturned the check's verdict: redis is listed as reachable")
	}
}

// strict parses the report as XML (the DOCTYPE aside) and refuses scripts, stylesheets and
// anything fetched.
func strict(t *testing.T, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(bytes.Replace(b, []byte("<!DOCTYPE html>"), nil, 1)))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("report is not well-formed: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "script" || se.Name.Local == "link" || se.Name.Local == "img" || se.Name.Local == "iframe" {
			t.Fatalf("report has a <%s>", se.Name.Local)
		}
		for _, a := range se.Attr {
			if (a.Name.Local == "src" || a.Name.Local == "href") || strings.Contains(a.Value, "url(") {
				t.Fatalf("report refers to %s=%q", a.Name.Local, a.Value)
			}
		}
	}
}
