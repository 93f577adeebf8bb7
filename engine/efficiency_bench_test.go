package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/nmapxml"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/training"
)

// efficiencyPoint is one method's cost and result on the held-out epoch.
type efficiencyPoint struct {
	Method   string  `json:"method"`
	Budget   int     `json:"budget_probes,omitempty"`
	Packets  uint64  `json:"packets"`
	Seconds  float64 `json:"seconds"`
	Found    int     `json:"found"`
	Serious  int     `json:"serious"`
	Coverage float64 `json:"coverage"`
}

// BenchmarkScanEfficiency is riskmap's headline: on a lab estate at a held-out epoch (models
// trained on earlier epochs only), the share of serious exposures (ground truth) found against
// packets sent, counted on the private namespace's lo, and against wall time, for riskmap's
// plan-and-scan at several budgets and for uniform nmap -sV sweeps (--top-ports 100, 1000,
// -p-). It writes the curve to bench/out/scan-efficiency.json for bench/results.md.
func BenchmarkScanEfficiency(b *testing.B) {
	netns.Require(b)
	ctx := context.Background()
	hosts := envInt("RISKMAP_BENCH_LAB_HOSTS", 200)
	heldOut := 4
	ecfg := estate.DefaultConfig()
	ecfg.Hosts, ecfg.Seed = hosts, 11
	ecfg.Start = time.Now().UTC().Add(-time.Duration(heldOut+1) * 24 * time.Hour).Truncate(time.Hour)

	// History: the epochs before the held-out one, as riskmap would have recorded them.
	base := b.TempDir()
	s, _ := datasets.Open(base, nil)
	w, err := s.Writer()
	if err != nil {
		b.Fatal(err)
	}
	e, err := ingest.Simulate(ctx, w, ecfg, heldOut)
	if err != nil {
		b.Fatal(err)
	}
	pts, _ := training.Points(ctx, s)
	h, err := training.BuildHistory(ctx, s, pts)
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{models.KindRisk, models.KindAnomaly} {
		if _, err := training.Train(ctx, w, h, training.TrainOptions{Kind: kind, Seed: 1, Promote: true}); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	e = e.Advance() // the held-out epoch: what riskmap must find now
	lb, err := lab.Start(ctx, e)
	if err != nil {
		b.Fatal(err)
	}
	defer lb.Close()
	serious := map[string]bool{}
	for _, x := range e.Truth() {
		if x.Severity.Serious() {
			serious[fmt.Sprintf("%s|%d", x.IP, x.Port)] = true
		}
	}
	var ips []string
	for _, in := range e.Instances {
		ips = append(ips, in.LabIP)
	}
	allProbes := len(ips) * 65535
	var points []efficiencyPoint
	for i := 0; i < b.N; i++ {
		points = points[:0]
		for _, share := range envShares("RISKMAP_BENCH_EFFICIENCY_SHARES", []float64{0.0025, 0.005, 0.01, 0.05, 0.10, 0.25}) {
			budget := int(share * float64(allProbes))
			p := runRiskmap(b, ctx, base, e, budget, serious)
			p.Method = fmt.Sprintf("riskmap %.2f%% of -p- probes", 100*share)
			points = append(points, p)
		}
		for _, sw := range []struct {
			name string
			args []string
		}{
			{"nmap -sV --top-ports 100", []string{"--top-ports", "100"}},
			{"nmap -sV --top-ports 1000", []string{"--top-ports", "1000"}},
			{"nmap -sV -p-", []string{"-p-"}},
		} {
			if os.Getenv("RISKMAP_BENCH_EFFICIENCY_SWEEPS") == "0" {
				break // riskmap's points alone, for a quick check of the headline
			}
			p := runSweep(b, sw.args, ips, serious)
			p.Method = sw.name
			points = append(points, p)
		}
	}
	byName := map[string]efficiencyPoint{}
	for _, p := range points {
		byName[p.Method] = p
	}
	pall := byName["nmap -sV -p-"]
	top1000 := byName["nmap -sV --top-ports 1000"]
	metric := func(v float64, unit string) { b.ReportMetric(v, unit) }
	metric(float64(len(serious)), "serious_exposures")
	for _, p := range points {
		key := sanitize(p.Method)
		metric(p.Coverage, key+"_coverage")
		metric(float64(p.Packets), key+"_packets")
		metric(p.Seconds, key+"_s")
	}
	// Probes needed for 95%: the cheapest riskmap point at or above it.
	need := -1.0
	sort.Slice(points, func(i, j int) bool { return points[i].Packets < points[j].Packets })
	for _, p := range points {
		if p.Budget > 0 && p.Coverage >= 0.95 {
			need = float64(p.Packets)
			break
		}
	}
	if need > 0 && pall.Packets > 0 {
		metric(need/float64(pall.Packets), "packets_for_95pct_vs_p-")
	}
	metric(float64(top1000.Packets), "top1000_packets")
	out := map[string]any{"hosts": len(ips), "serious": len(serious), "held_out_epoch": heldOut, "points": points, "p_all_packets": pall.Packets}
	if dir := benchOut(); dir != "" {
		j, _ := json.MarshalIndent(out, "", "  ")
		os.WriteFile(filepath.Join(dir, "scan-efficiency.json"), j, 0o644)
	}
}

func runRiskmap(b *testing.B, ctx context.Context, base string, e *estate.Estate, budget int, serious map[string]bool) efficiencyPoint {
	dir := b.TempDir()
	if out, err := exec.Command("cp", "-a", base+"/.", dir).CombinedOutput(); err != nil {
		b.Fatalf("copy workspace: %v %s", err, out)
	}
	s, _ := datasets.Open(dir, nil)
	w, err := s.Writer()
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	inv := filepath.Join(dir, "inventory")
	os.MkdirAll(inv, 0o755)
	fi, _ := os.Create(filepath.Join(inv, "describe-instances.json"))
	fs, _ := os.Create(filepath.Join(inv, "describe-security-groups.json"))
	e.WriteAWS(fi, fs)
	fi.Close()
	fs.Close()
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{inv}}}
	cfg.Planner.Budget = budget
	cfg.Planner.MinRescan = nil
	cfg.Schedule.RetrainEvery = 0
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	cfg.Alerts.JSONL = ""
	loop := &engine.Loop{W: w, Config: cfg, Log: quiet}
	before, _ := netns.ReadCounters()
	start := time.Now()
	rep, err := loop.Cycle(ctx)
	if err != nil {
		b.Fatalf("riskmap at budget %d: %v", budget, err)
	}
	secs := time.Since(start).Seconds()
	after, _ := netns.ReadCounters()
	found := map[string]bool{}
	obs, err := datasets.ReadAll(ctx, s, datasets.TableObservations, func(f datasets.File) bool { return true }, datasets.DecodeObservations)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range obs {
		if o.Open() && !o.ScanTime.Before(rep.Metrics.Started.Add(-time.Minute)) && serious[fmt.Sprintf("%s|%d", o.IP, o.Port)] {
			found[fmt.Sprintf("%s|%d", o.IP, o.Port)] = true
		}
	}
	return efficiencyPoint{Budget: budget, Packets: after["lo"].TxPackets - before["lo"].TxPackets, Seconds: secs, Found: len(found), Serious: len(serious), Coverage: share(len(found), len(serious))}
}

func runSweep(b *testing.B, args, ips []string, serious map[string]bool) efficiencyPoint {
	out := filepath.Join(b.TempDir(), "sweep.xml")
	full := append([]string{"-n", "-Pn", "-sV", "--max-rate", "20000", "-oX", out}, args...)
	full = append(full, ips...)
	before, _ := netns.ReadCounters()
	start := time.Now()
	if msg, err := exec.Command("nmap", full...).CombinedOutput(); err != nil {
		b.Fatalf("nmap %v: %v %s", args, err, msg)
	}
	secs := time.Since(start).Seconds()
	after, _ := netns.ReadCounters()
	raw, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	res, err := nmapxml.Parse(raw, nmapxml.Options{Source: out})
	if err != nil {
		b.Fatal(err)
	}
	found := 0
	for _, o := range res.Observations {
		if o.Open() && serious[fmt.Sprintf("%s|%d", o.IP, o.Port)] {
			found++
		}
	}
	return efficiencyPoint{Packets: after["lo"].TxPackets - before["lo"].TxPackets, Seconds: secs, Found: found, Serious: len(serious), Coverage: share(found, len(serious))}
}

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func sanitize(s string) string {
	out := []byte{}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c == '.':
			out = append(out, 'p')
		default:
			if len(out) > 0 && out[len(out)-1] != '_' {
				out = append(out, '_')
			}
		}
	}
	return string(out)
}

// envShares is the comma-separated budget shares in the environment variable name, or def.
func envShares(name string, def []float64) []float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(x > 0 && x <= 1) {
			return def
		}
		out = append(out, x)
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchOut is bench/out in the repository, when the benchmark runs from engine/.
func benchOut() string {
	dir := filepath.Join("..", "bench", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	return dir
}
