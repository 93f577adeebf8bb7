package scanner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
)

func TestRunFakeNmapErrors(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		stderr  string
		code    int
		want    error
		says    string
	}{
		{name: "exits non-zero", stderr: "Failed to open device lo\nQUITTING!", code: 1, want: scanner.ErrNmapFailed, says: "exit status 1: Failed to open device lo | QUITTING!"},
		{name: "garbage xml", fixture: "garbage", want: scanner.ErrBadXML, says: "XML syntax error"},
		{name: "error in the xml", fixture: "testdata/xml/error.xml", want: scanner.ErrNmapFailed, says: "Found no matches for the service mask"},
		{name: "needs root", fixture: "testdata/xml/light.xml", stderr: "You requested a scan type which requires root privileges.", want: scanner.ErrNmapFailed, says: "requires root"},
		{name: "no xml at all", want: scanner.ErrBadXML, says: "no XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, _ := fakeNmap(t, tt.fixture, tt.stderr, tt.code, "")
			r := testRunner(t, bin, nil)
			sink, results := collect()
			err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2")), labScope(t), sink)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Run = %v, want %v saying %q", err, tt.want, tt.says)
			}
			got := results()
			if len(got) != 1 || !errors.Is(got[0].Err, tt.want) {
				t.Fatalf("sink got %d results (%v), want one with the error", len(got), got)
			}
			if tt.fixture == "garbage" && string(got[0].XML) != "<<<this is not xml" {
				t.Errorf("sink XML = %q, want the raw bytes nmap wrote", got[0].XML)
			}
		})
	}
	t.Run("nmap missing", func(t *testing.T) {
		r := testRunner(t, filepath.Join(t.TempDir(), "no-nmap-here"), nil)
		sink, results := collect()
		err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2")), labScope(t), sink)
		if !errors.Is(err, scanner.ErrNmapNotFound) || !strings.Contains(err.Error(), "runner.binary") {
			t.Fatalf("Run = %v, want ErrNmapNotFound saying what to set", err)
		}
		if n := len(results()); n != 0 {
			t.Errorf("sink called %d times, want never", n)
		}
	})
}

func TestRunFakeNmapArgs(t *testing.T) {
	bin, argLog := fakeNmap(t, "testdata/xml/light.xml", "", 0, "")
	r := testRunner(t, bin, func(c *scanner.RunnerConfig) { c.Parallel = 1 })
	plan := mkPlan(
		item("web", riskmap.TierStandard, "22,80", "127.0.0.3", "127.0.0.2", "::1"),
		item("cache", riskmap.TierLight, "6379", "127.0.0.4", "127.0.0.99", "10.0.0.1"),
		item("skip", riskmap.TierSkip, "", "127.0.0.5"),
	)
	sink, results := collect()
	err := r.Run(context.Background(), plan, labScope(t), sink)
	var se *scanner.ScopeError
	if !errors.As(err, &se) || !errors.Is(err, scanner.ErrOutOfScope) || len(se.Refusals) != 2 {
		t.Fatalf("Run = %v, want a *ScopeError with 2 refusals (excluded 127.0.0.99, out-of-scope 10.0.0.1)", err)
	}
	got := results()
	if len(got) != 3 {
		t.Fatalf("got %d batches, want 3 (standard v4, standard v6, light v4)", len(got))
	}
	wantTargets := [][]string{{"127.0.0.2", "127.0.0.3"}, {"::1"}, {"127.0.0.4"}}
	logged := runs(t, argLog)
	for i, res := range got {
		if res.Err != nil {
			t.Errorf("batch %d: %v", i, res.Err)
		}
		fixture, _ := os.ReadFile("testdata/xml/light.xml")
		if string(res.XML) != string(fixture) {
			t.Errorf("batch %d: XML is not the bytes nmap wrote", i)
		}
		args := res.Batch.Args
		if !slices.Equal(args[len(args)-len(wantTargets[i]):], wantTargets[i]) {
			t.Errorf("batch %d targets = %v, want %v", i, args, wantTargets[i])
		}
		for _, want := range []string{"-n", "-Pn", "--max-rate", "--host-timeout", "--stats-every"} {
			if !slices.Contains(args, want) {
				t.Errorf("batch %d args %v lack %s", i, args, want)
			}
		}
		if i != 1 && !slices.Contains(args, "--exclude") {
			t.Errorf("batch %d args %v lack --exclude 127.0.0.99", i, args)
		}
		if i == 1 && (!slices.Contains(args, "-6") || slices.Contains(args, "--exclude")) {
			t.Errorf("ipv6 batch args %v: want -6 and no ipv4 exclusions", args)
		}
		if res.Batch.Tier == riskmap.TierStandard && !slices.Contains(args, "--version-light") {
			t.Errorf("standard batch args %v lack --version-light", args)
		}
		if res.Batch.Tier == riskmap.TierLight && slices.Contains(args, "-sV") {
			t.Errorf("light batch args %v have -sV", args)
		}
		// What the fake nmap received is Args plus the library's -oX <file>.
		if i < len(logged) {
			if !slices.Equal(logged[i][:len(args)], args) || logged[i][len(args)] != "-oX" {
				t.Errorf("batch %d: nmap got %v, Batch.Args says %v", i, logged[i], args)
			}
		}
		for j, a := range args {
			if j > 0 && args[j-1] == "--exclude" {
				if a != "127.0.0.99" {
					t.Errorf("batch %d: --exclude %s, want 127.0.0.99", i, a)
				}
				continue
			}
			if a == "10.0.0.1" || a == "127.0.0.99" || a == "127.0.0.5" {
				t.Errorf("batch %d passes %s to nmap", i, a)
			}
		}
	}
	if len(logged) != 3 {
		t.Errorf("nmap ran %d times, want 3", len(logged))
	}
}

func TestRunNoScope(t *testing.T) {
	bin, argLog := fakeNmap(t, "testdata/xml/light.xml", "", 0, "")
	r := testRunner(t, bin, nil)
	sink, results := collect()
	err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2")), scanner.Scope{}, sink)
	if !errors.Is(err, scanner.ErrNoScope) {
		t.Fatalf("Run = %v, want ErrNoScope", err)
	}
	if len(results()) != 0 || len(runs(t, argLog)) != 0 {
		t.Fatal("something ran without a scope")
	}
}

func TestRunAdaptiveRate(t *testing.T) {
	bin, _ := fakeNmap(t, "testdata/xml/timeout.xml", "", 0, "")
	r := testRunner(t, bin, func(c *scanner.RunnerConfig) {
		c.Parallel, c.BatchHosts = 1, 1
		c.Rate = scanner.RateConfig{Initial: 400, Min: 50, Max: 1000, Step: 50, Decrease: 0.5, NoResponseShare: 0.95}
	})
	sink, results := collect()
	if err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2", "127.0.0.3", "127.0.0.4")), labScope(t), sink); err != nil {
		t.Fatal(err)
	}
	var rates []int
	for _, res := range results() {
		rates = append(rates, res.Batch.MaxRate)
		i := slices.Index(res.Batch.Args, "--max-rate")
		if i < 0 || res.Batch.Args[i+1] != fmt.Sprint(res.Batch.MaxRate) {
			t.Errorf("args %v do not carry --max-rate %d", res.Batch.Args, res.Batch.MaxRate)
		}
	}
	if !slices.Equal(rates, []int{400, 200, 100}) {
		t.Fatalf("rates = %v, want 400, 200, 100: every batch had a host timeout", rates)
	}
	if why := results()[1].Batch.RateReason; !strings.Contains(why, "lowered from 400 to 200/s: 1 of 1 hosts timed out") {
		t.Errorf("rate reason = %q", why)
	}
}

func TestRunNetworkCap(t *testing.T) {
	bin, _ := fakeNmap(t, "testdata/xml/light.xml", "", 0, "0.05")
	r := testRunner(t, bin, func(c *scanner.RunnerConfig) { c.Parallel, c.BatchHosts = 4, 1 })
	capped := item("capped", riskmap.TierLight, "22", "127.0.0.2", "127.0.0.3", "127.0.0.4")
	capped.MaxRate, capped.Network = 25, "vpc-slow"
	var mu sync.Mutex
	running, most := 0, 0
	sink := func(res scanner.Result) error {
		if res.Batch.MaxRate != 25 || !strings.Contains(res.Batch.RateReason, `capped at 25/s by network "vpc-slow"`) {
			t.Errorf("batch rate %d (%s), want the network cap", res.Batch.MaxRate, res.Batch.RateReason)
		}
		return nil
	}
	// Overlap is measured from the batches' own times: a capped network runs one at a time.
	var spans [][2]time.Time
	wrapped := func(res scanner.Result) error {
		if !res.Finished.After(res.Started) {
			t.Errorf("batch ran from %s to %s", res.Started, res.Finished)
		}
		mu.Lock()
		spans = append(spans, [2]time.Time{res.Started, res.Finished})
		mu.Unlock()
		return sink(res)
	}
	if err := r.Run(context.Background(), mkPlan(capped), labScope(t), wrapped); err != nil {
		t.Fatal(err)
	}
	for i := range spans {
		running = 1
		for j := range spans {
			if i != j && spans[j][0].Before(spans[i][1]) && spans[i][0].Before(spans[j][1]) {
				running++
			}
		}
		most = max(most, running)
	}
	if len(spans) != 3 || most != 1 {
		t.Fatalf("%d batches, at most %d at once; want 3 batches one at a time", len(spans), most)
	}
}

func TestRunTimeoutAndCancelKeepXML(t *testing.T) {
	// The fake writes the truncated XML of an interrupted nmap (two completed hosts), then
	// hangs.
	bin, _ := fakeNmap(t, "testdata/xml/truncated.xml", "", 0, "30")
	t.Run("run timeout", func(t *testing.T) {
		r := testRunner(t, bin, func(c *scanner.RunnerConfig) { c.RunTimeout = 300 * time.Millisecond })
		sink, results := collect()
		start := time.Now()
		err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2")), labScope(t), sink)
		if !errors.Is(err, scanner.ErrRunTimeout) {
			t.Fatalf("Run = %v, want ErrRunTimeout", err)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("the timeout took %s to stop nmap", time.Since(start))
		}
		got := results()
		if len(got) != 1 || strings.Count(string(got[0].XML), "</host>") != 2 {
			t.Fatalf("want the two completed hosts kept, got %d results", len(got))
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var once sync.Once
		r := testRunner(t, bin, func(c *scanner.RunnerConfig) {
			c.Parallel, c.BatchHosts = 1, 1
			c.Progress = func(p scanner.Progress) {
				if p.HostsDone >= 2 {
					once.Do(cancel)
				}
			}
		})
		sink, results := collect()
		err := r.Run(ctx, mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2", "127.0.0.3")), labScope(t), sink)
		if !errors.Is(err, scanner.ErrInterrupted) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "1 batch(es) not started") {
			t.Fatalf("Run = %v, want ErrInterrupted, context.Canceled and one batch not started", err)
		}
		got := results()
		if len(got) != 1 || strings.Count(string(got[0].XML), "</host>") != 2 || !errors.Is(got[0].Err, scanner.ErrInterrupted) {
			t.Fatalf("want one interrupted batch with its two completed hosts, got %d results", len(got))
		}
	})
}

func TestRunSinkErrorStops(t *testing.T) {
	bin, argLog := fakeNmap(t, "testdata/xml/light.xml", "", 0, "")
	r := testRunner(t, bin, func(c *scanner.RunnerConfig) { c.Parallel, c.BatchHosts = 1, 1 })
	calls := 0
	full := errors.New("disk full")
	err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2", "127.0.0.3", "127.0.0.4")), labScope(t),
		func(scanner.Result) error { calls++; return full })
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "2 batch(es) not started") {
		t.Fatalf("Run = %v, want the sink's error and 2 batches not started", err)
	}
	if calls != 1 || len(runs(t, argLog)) != 1 {
		t.Fatalf("sink called %d times after %d nmap runs, want 1 and 1", calls, len(runs(t, argLog)))
	}
}

func TestRunProgress(t *testing.T) {
	bin, _ := fakeNmap(t, "testdata/xml/light.xml", "", 0, "")
	var mu sync.Mutex
	var seen []scanner.Progress
	r := testRunner(t, bin, func(c *scanner.RunnerConfig) {
		c.Parallel, c.BatchHosts = 1, 2
		c.Progress = func(p scanner.Progress) { mu.Lock(); seen = append(seen, p); mu.Unlock() }
	})
	sink, _ := collect()
	if err := r.Run(context.Background(), mkPlan(item("a", riskmap.TierLight, "22,80", "127.0.0.2", "127.0.0.3", "127.0.0.4")), labScope(t), sink); err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	// The fixture reports two hosts per run whatever it was asked: 2 batches, 4 hosts seen.
	if !last.Done || last.Batches != 2 || last.BatchesDone != 2 || last.Hosts != 3 || last.HostsDone != 4 || last.Ports != 6 || last.PortsDone != 8 {
		t.Fatalf("last progress = %+v", last)
	}
	if s := last.String(); !strings.Contains(s, "batches 2/2, hosts 4/3") {
		t.Errorf("progress line %q", s)
	}
	if f := scanner.TerminalProgress(os.Stdout); f != nil && !isCharDevice(os.Stdout) {
		t.Error("TerminalProgress draws on a non-terminal")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if scanner.TerminalProgress(null) != nil {
		t.Error("TerminalProgress draws on /dev/null")
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if scanner.TerminalProgress(file) != nil {
		t.Error("TerminalProgress draws on a regular file")
	}
}

func isCharDevice(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func TestRunCancelledBeforeStart(t *testing.T) {
	bin, argLog := fakeNmap(t, "testdata/xml/light.xml", "", 0, "")
	r := testRunner(t, bin, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sink, results := collect()
	err := r.Run(ctx, mkPlan(item("a", riskmap.TierLight, "22", "127.0.0.2")), labScope(t), sink)
	if !errors.Is(err, scanner.ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want ErrInterrupted wrapping context.Canceled", err)
	}
	if len(results()) != 0 || len(runs(t, argLog)) != 0 {
		t.Fatal("nmap ran after the context was cancelled")
	}
}
