package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/riskmap/riskmap/report"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/training"
)

// DemoOptions configure the main job on the embedded default: a lab estate on loopback.
type DemoOptions struct {
	Dir    string // the demo's own workspace; it is emptied first
	Hosts  int    // lab size (default 200)
	Cycles int    // cycles with drift between them (default 4)
	Seed   int64  // the estate's seed (default 1)
	Budget int    // probes per cycle (default: a quarter of a top-1000 sweep of the estate)
	Log    *slog.Logger
	// Observe is told what each cycle did.
	Observe func(*engine.CycleReport)
	// Now is the demo's clock: the estate starts at it and the report is stamped with it
	// (nil: time.Now).
	Now func() time.Time
}

// DemoSummary is what the demo shows at the end.
type DemoSummary struct {
	Dir       string
	Hosts     int
	Cycles    []datasets.Cycle
	TopRisks  []riskmap.Score
	Changes   []riskmap.Diff
	Alerts    []riskmap.Alert
	Retrained []training.TrainResult
	Probes    int64 // riskmap's probes over the whole run
	Sweeps    []SweepEstimate
	Serious   int // serious exposures in the lab's ground truth at the last epoch
	Found     int // of those, how many riskmap saw open during the run
	Missed    []estate.Exposure
	// Checked is the run's findings that an access check decided, as the latest scan saw
	// them: confirmed without credentials, or downgraded because credentials were required.
	Checked []riskmap.Finding
	Report  string
	Elapsed time.Duration
}

// SweepEstimate is what a uniform nmap sweep of the same estate would have probed, and how
// many of the serious exposures its port list covers (so at best it finds).
type SweepEstimate struct {
	Name    string
	Probes  int64
	Covered int
}

// Demo runs the real loop on a lab estate served on 127.0.0.0/8 inside the private network
// namespace the caller is in (netns.Private must be true): several cycles of inventory ->
// features -> scores with the bundled models -> plan -> nmap -> observations, findings, diffs
// and alerts, with drift between them, then a retrain that is promoted only if it is better.
func Demo(ctx context.Context, opts DemoOptions) (*DemoSummary, error) {
	if !netns.Private() {
		return nil, lab.ErrNotPrivate
	}
	if opts.Hosts == 0 {
		opts.Hosts = 200
	}
	if opts.Cycles == 0 {
		opts.Cycles = 4
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	began := time.Now() // wall time, for Elapsed
	if err := resetDemoDir(opts.Dir); err != nil {
		return nil, err
	}
	s, err := datasets.Open(opts.Dir, nil)
	if err != nil {
		return nil, err
	}
	w, err := s.Writer()
	if err != nil {
		return nil, err
	}
	defer w.Close()

	ecfg := estate.DefaultConfig()
	ecfg.Hosts, ecfg.Seed, ecfg.Start = opts.Hosts, opts.Seed, now().UTC().Truncate(time.Hour)
	e, err := estate.New(ecfg)
	if err != nil {
		return nil, err
	}
	lb, err := lab.Start(ctx, e)
	if err != nil {
		return nil, err
	}
	defer lb.Close()

	invDir := filepath.Join(opts.Dir, "inventory")
	cfg := engine.DefaultConfig()
	cfg.Scope.Allow = []string{"127.0.0.0/8"}
	cfg.Inventory = []engine.InventorySource{{Provider: "aws", Paths: []string{invDir}}}
	cfg.Schedule.RetrainEvery = opts.Cycles
	svc, err := scanner.LoadServices(scanner.DefaultServicesPath)
	if err != nil {
		return nil, err
	}
	top1000 := svc.Top("tcp", 1000)
	if opts.Budget == 0 {
		opts.Budget = len(e.Instances) * len(top1000) / 4
	}
	cfg.Planner.Budget = opts.Budget
	cfg.Planner.MinRescan = nil
	cfg.Runner = scanner.LabRunner(cfg.Runner)
	if err := engine.WriteConfig(opts.Dir, cfg); err != nil {
		return nil, err
	}
	loop := &engine.Loop{W: w, Config: cfg, Log: opts.Log, Observe: opts.Observe}
	sum := &DemoSummary{Dir: opts.Dir, Hosts: len(e.Instances)}
	for c := 0; c < opts.Cycles; c++ {
		if c > 0 {
			e = e.Advance()
			if err := lb.Apply(ctx, e); err != nil {
				return nil, err
			}
		}
		if err := WriteInventory(invDir, e); err != nil {
			return nil, err
		}
		rep, err := loop.Cycle(ctx)
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", c+1, err)
		}
		sum.Cycles = append(sum.Cycles, rep.Metrics)
		sum.Probes += rep.Metrics.Probes
		sum.Alerts = append(sum.Alerts, rep.Alerts...)
		sum.Changes = rep.Diffs
		sum.Retrained = append(sum.Retrained, rep.Retrained...)
		sum.TopRisks = rep.Scores.Scores
	}
	if len(sum.TopRisks) > 10 {
		sum.TopRisks = sum.TopRisks[:10]
	}
	if err := sum.compare(ctx, s, e, svc); err != nil {
		return nil, err
	}
	if sum.Checked, err = checked(ctx, s); err != nil {
		return nil, err
	}
	cmp := report.Comparison{Serious: sum.Serious, Note: "riskmap's row is measured: real nmap scans of the lab over every cycle. The sweep rows are estimated: the probes a sweep of every host each cycle would send, and the serious exposures on ports its list includes (the most it could find). make bench runs the sweeps for real."}
	cmp.Rows = append(cmp.Rows, report.ComparisonPoint{Method: "riskmap (plan and scan)", Probes: float64(sum.Probes), Found: sum.Found, Coverage: share(sum.Found, sum.Serious), Measured: true})
	for _, sw := range sum.Sweeps {
		cmp.Rows = append(cmp.Rows, report.ComparisonPoint{Method: sw.Name, Probes: float64(sw.Probes), Found: sw.Covered, Coverage: share(sw.Covered, sum.Serious)})
	}
	if err := writeJSON(filepath.Join(opts.Dir, report.ComparisonFile), cmp); err != nil {
		return nil, err
	}
	sum.Report = filepath.Join(opts.Dir, "report.html")
	if err := report.WriteReport(ctx, s, sum.Report, now()); err != nil {
		return nil, err
	}
	sum.Elapsed = time.Since(began)
	return sum, nil
}

// WriteInventory writes an estate epoch's AWS export (describe-instances and
// describe-security-groups JSON) into dir, each file replaced atomically.
func WriteInventory(dir string, e *estate.Estate) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var inst, sgs bytes.Buffer
	if err := e.WriteAWS(&inst, &sgs); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"describe-instances.json": inst.Bytes(), "describe-security-groups.json": sgs.Bytes()} {
		tmp := filepath.Join(dir, "."+name)
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// compare measures riskmap's run against the lab's ground truth and estimates what uniform
// sweeps of the same estate would have cost and covered.
func (sum *DemoSummary) compare(ctx context.Context, s *datasets.Store, e *estate.Estate, svc *scanner.Services) error {
	seen := map[string]bool{}
	obs, err := datasets.ReadAll(ctx, s, datasets.TableObservations, nil, datasets.DecodeObservations)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if o.State == "open" {
			seen[fmt.Sprintf("%s|%d", o.IP, o.Port)] = true
		}
	}
	var serious []estate.Exposure
	for _, x := range e.Truth() {
		if x.Severity.Serious() {
			serious = append(serious, x)
		}
	}
	sum.Serious = len(serious)
	for _, x := range serious {
		if seen[fmt.Sprintf("%s|%d", x.IP, x.Port)] {
			sum.Found++
		} else {
			sum.Missed = append(sum.Missed, x)
		}
	}
	hosts := int64(len(e.Instances))
	cycles := int64(len(sum.Cycles))
	for _, sw := range []struct {
		name string
		n    int
	}{{"nmap -sV --top-ports 100", 100}, {"nmap -sV --top-ports 1000", 1000}, {"nmap -sV -p-", 65535}} {
		ports := svc.Top("tcp", sw.n)
		in := map[int]bool{}
		for _, p := range ports {
			in[p] = true
		}
		covered := 0
		for _, x := range serious {
			if in[x.Port] || sw.n == 65535 {
				covered++
			}
		}
		sum.Sweeps = append(sum.Sweeps, SweepEstimate{Name: sw.name, Probes: hosts * int64(len(ports)) * cycles, Covered: covered})
	}
	sort.Slice(sum.Missed, func(i, j int) bool { return sum.Missed[i].IP < sum.Missed[j].IP })
	return nil
}

const demoMarker = ".riskmap-demo"

// resetDemoDir empties the demo's directory, but only one the demo made (it holds the
// marker) or an empty or missing one: the demo never deletes a real workspace.
func resetDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("demo: %s is not empty and was not made by the demo; give the demo its own directory", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by riskmap demo; it empties this directory on every run\n"), 0o644)
}

func share(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// checked returns the latest verdict of every finding an access check decided (one per asset,
// port and rule), downgraded ones first, then by severity.
func checked(ctx context.Context, s *datasets.Store) ([]riskmap.Finding, error) {
	all, err := datasets.ReadAll(ctx, s, datasets.TableFindings, nil, datasets.DecodeFindings)
	if err != nil {
		return nil, err
	}
	checks := scanner.Checks()
	latest := map[string]int{}
	var out []riskmap.Finding
	for _, f := range all {
		conf := (*findings.Rules)(nil).Confirmation(f)
		byCheck := slices.ContainsFunc(checks, func(c string) bool { return strings.Contains(f.Evidence, "script "+c+" ") })
		if conf == findings.Reachable || !byCheck {
			continue
		}
		k := findings.Fingerprint(f)
		if i, ok := latest[k]; ok {
			out[i] = f // the table holds scans in the order they were ingested
			continue
		}
		latest[k] = len(out)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b riskmap.Finding) int {
		da, db := strings.Contains(a.Evidence, "downgraded from "), strings.Contains(b.Evidence, "downgraded from ")
		if da != db {
			if da {
				return -1
			}
			return 1
		}
		return int(b.Severity) - int(a.Severity)
	})
	return out, nil
}
