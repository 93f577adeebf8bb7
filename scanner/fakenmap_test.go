package scanner_test

import (
	"errors"
	"fmt"
	"net/netip"
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

// fakeNmap writes a shell script that stands in for nmap: it records its arguments (one per
// line, appended, a blank line after each run), writes the fixture to the file after -oX,
// prints stderr, optionally sleeps (exec, so that a kill reaches the sleep), and exits with
// code. It returns the script's path and the path of the argument log.
func fakeNmap(t *testing.T, fixture, stderr string, code int, sleep string) (bin, argLog string) {
	t.Helper()
	dir := t.TempDir()
	bin, argLog = filepath.Join(dir, "nmap"), filepath.Join(dir, "args.log")
	fixtureCmd := ":"
	if fixture != "" {
		abs, err := filepath.Abs(fixture)
		if err != nil {
			t.Fatal(err)
		}
		fixtureCmd = fmt.Sprintf("cat '%s' > \"$out\"", abs)
	}
	if fixture == "garbage" {
		fixtureCmd = `printf '<<<this is not xml' > "$out"`
	}
	sleepCmd := ""
	if sleep != "" {
		sleepCmd = "exec sleep " + sleep
	}
	script := fmt.Sprintf(`#!/bin/sh
out=""
prev=""
for a in "$@"; do
  [ "$prev" = "-oX" ] && out="$a"
  prev="$a"
  printf '%%s\n' "$a" >> '%s'
done
echo >> '%s'
%s
printf '%%s' '%s' >&2
%s
exit %d
`, argLog, argLog, fixtureCmd, stderr, sleepCmd, code)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argLog
}

func runs(t *testing.T, argLog string) [][]string {
	t.Helper()
	data, err := os.ReadFile(argLog)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, run := range strings.Split(strings.TrimSuffix(string(data), "\n\n"), "\n\n") {
		if run != "" {
			out = append(out, strings.Split(strings.TrimSpace(run), "\n"))
		}
	}
	return out
}

func testRunner(t *testing.T, bin string, mod func(*scanner.RunnerConfig)) *scanner.Runner {
	t.Helper()
	cfg := scanner.DefaultRunnerConfig()
	cfg.Binary = bin
	cfg.PollEvery = 10 * time.Millisecond
	cfg.TempDir = t.TempDir()
	cfg.Progress = func(scanner.Progress) {}
	if mod != nil {
		mod(&cfg)
	}
	r, err := scanner.NewRunner(cfg, sampleProfiles(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func item(id string, tier riskmap.Tier, ports string, ips ...string) scanner.PlanItem {
	it := scanner.PlanItem{AssetID: id, Tier: tier, Network: "vpc-1", Probes: 1, Priority: 0.5}
	for _, ip := range ips {
		it.IPs = append(it.IPs, netip.MustParseAddr(ip))
	}
	p, err := scanner.ParsePortList(ports)
	if err != nil {
		panic(err)
	}
	it.Ports = p
	return it
}

func mkPlan(items ...scanner.PlanItem) *scanner.Plan {
	p := &scanner.Plan{CreatedAt: t0, Items: items}
	for _, it := range items {
		p.Probes += it.Probes
	}
	p.Budget = p.Probes
	return p
}

// collect returns a sink that keeps every result.
func collect() (func(scanner.Result) error, func() []scanner.Result) {
	var mu sync.Mutex
	var got []scanner.Result
	return func(r scanner.Result) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r)
			return nil
		}, func() []scanner.Result {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(got)
		}
}

var labScope = func(t *testing.T) scanner.Scope {
	return mustScope(t, []string{"127.0.0.0/24", "::1"}, []string{"127.0.0.99"})
}
