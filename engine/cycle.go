// Over 400 lines: one cycle's steps in the order they run (recover, sync, plan, scan and
// record, confirm, re-score, alert, retrain, metrics); split, the order would no longer read
// top to bottom in one place.

package engine

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/ingest"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/training"
	"github.com/riskmap/riskmap/workers"
)

// Loop runs cycles: inventory -> features -> scores -> plan -> scan -> observations, findings
// and diffs -> alerts -> retrain every Schedule.RetrainEvery cycles.
type Loop struct {
	W      *datasets.Writer
	Config Config
	Log    *slog.Logger
	// Now is the loop's clock (nil: time.Now); tests and the demo move it.
	Now func() time.Time
	// Runner runs nmap; nil means one made from Config.Runner.
	Runner *scanner.Runner
	// Dispatcher, when set, sends the scans to the segments' workers instead of Runner.
	Dispatcher *workers.Dispatcher
	// Alerter delivers alerts; nil means one made from Config.Alerts.
	Alerter *Alerter
	// Observe, when set, is told what each cycle did (the demo prints it).
	Observe func(*CycleReport)
	// Ingester records what the scans find; nil means one writing through W.
	Ingester *ingest.Ingester

	profiles *scanner.Profiles
	in       *ingest.Ingester
}

// CycleReport is what one cycle did.
type CycleReport struct {
	Metrics     datasets.Cycle
	Plan        *scanner.Plan
	Scores      *models.Scored
	NewFindings []riskmap.Finding // serious findings not seen on that asset and port before
	Confirmed   []riskmap.Finding
	Diffs       []riskmap.Diff
	Alerts      []riskmap.Alert
	Retrained   []training.TrainResult
	ScanErrors  []string
	// Workers is what the segments' workers did, when the cycle dispatched to them.
	Workers *workers.Report
	// Ingested counts the rows the cycle's scans and confirmations wrote.
	Ingested IngestRows
}

func (l *Loop) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

func (l *Loop) log() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return l.Log
}

func (l *Loop) setup() error {
	if l.profiles != nil {
		return nil
	}
	path := l.Config.Profiles.ServicesPath
	if path == "" {
		path = scanner.DefaultServicesPath
	}
	svc, err := scanner.LoadServices(path)
	if err != nil {
		return err
	}
	p, err := scanner.NewProfiles(l.Config.Profiles, svc)
	if err != nil {
		return err
	}
	l.profiles = p
	if l.Dispatcher != nil {
		l.Dispatcher.Profiles = p.Config() // every job carries the tiers as configured here
	}
	if l.Runner == nil {
		if l.Runner, err = scanner.NewRunner(l.Config.Runner, p); err != nil {
			return err
		}
	}
	if l.Alerter == nil {
		l.Alerter = &Alerter{W: l.W, Config: l.Config.Alerts}
	}
	l.in = l.Ingester
	if l.in == nil {
		l.in = ingest.NewIngester(l.W)
	}
	if l.Config.Rules != "" {
		if l.in.Rules, err = ingest.LoadRules(l.Config.Rules); err != nil {
			return err
		}
	}
	return nil
}

// Cycle runs one cycle. A crash at any point loses nothing committed: raw XML is kept before
// parsing and a restarted cycle first finishes what the crash interrupted (Ingester.Recover).
func (l *Loop) Cycle(ctx context.Context) (*CycleReport, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	scope, err := l.Config.Scope.Scope()
	if err != nil {
		return nil, err
	}
	if scope.Empty() {
		return nil, fmt.Errorf("%w: write scope.allow (CIDRs) in %s before riskmap scans anything", scanner.ErrNoScope, ConfigFile)
	}
	start := l.now()
	rep := &CycleReport{Metrics: datasets.Cycle{ID: "cycle-" + start.Format("20060102T150405.000Z"), Started: start}}
	log := l.log().With("cycle", rep.Metrics.ID)
	if recovered, err := l.in.Recover(ctx); err != nil {
		return nil, err
	} else if len(recovered) > 0 {
		log.Info("finished ingests a crash interrupted", "scans", len(recovered))
	}

	// 1. Inventory.
	for _, src := range l.Config.Inventory {
		if src.Sync != nil {
			l.syncInventory(ctx, src, start, log)
			continue
		}
		files, err := readInventoryFiles(src.Paths)
		if err != nil {
			return nil, err
		}
		l.in.Now = func() time.Time { return start }
		snap, err := l.in.Inventory(ctx, src.Provider, files)
		if err != nil {
			return nil, err
		}
		for _, f := range snap.Files {
			if f.Error != "" {
				log.Warn("inventory file refused", "error", f.Error)
			}
		}
		log.Info("inventory", "provider", src.Provider, "assets", snap.Assets, "new", !snap.Already)
	}

	// 2. Features, scores and the plan.
	scored, assets, plan, est, err := l.planAt(ctx, start, scope)
	if err != nil {
		return nil, err
	}
	rep.Scores = scored
	rep.Metrics.ModelVersion = scored.RiskCard.Name + "@" + scored.RiskCard.Version
	rep.Plan = plan
	if err := l.savePlan(rep.Metrics.ID, plan); err != nil {
		return nil, err
	}
	rep.Metrics.Budget, rep.Metrics.Probes = int64(plan.Budget), int64(plan.Probes)
	for _, it := range plan.Items {
		switch it.Tier {
		case riskmap.TierLight:
			rep.Metrics.HostsLight++
		case riskmap.TierStandard:
			rep.Metrics.HostsStandard++
		case riskmap.TierDeep:
			rep.Metrics.HostsDeep++
		}
		if it.Explore {
			rep.Metrics.HostsExplore++
		}
	}
	log.Info("plan", "items", len(plan.Items), "probes", plan.Probes, "budget", plan.Budget,
		"light", rep.Metrics.HostsLight, "standard", rep.Metrics.HostsStandard, "deep", rep.Metrics.HostsDeep, "explore", rep.Metrics.HostsExplore)

	// 4. Scan and record.
	before, err := l.seriousKeys(ctx)
	if err != nil {
		return nil, err
	}
	assetByID := map[string]*riskmap.Asset{}
	for i := range assets {
		assetByID[assets[i].ID] = &assets[i]
	}
	if err := l.scan(ctx, plan, scope, rep); err != nil {
		return rep, err
	}
	fresh := newSerious(rep.NewFindings, before)
	rep.NewFindings = fresh
	rep.Metrics.FindingsNew = len(fresh)

	// 5. Confirm new serious findings with a targeted rescan before alerting.
	confirmed, failed, err := l.confirm(ctx, fresh, scope, rep)
	if err != nil {
		return rep, err
	}
	rep.Confirmed = confirmed
	rep.Metrics.FindingsConfirmed, rep.Metrics.ConfirmationsFailed = len(confirmed), failed

	// 6. Alerts. The assets that changed are scored again by the anomaly model, now that
	// their new diffs are in the workspace: a change is judged by how strange it makes the
	// asset look, not by how it looked before. The plan's estate is advanced, not read again.
	anomalyOf := map[string]float32{}
	for _, s := range scored.Scores {
		anomalyOf[s.AssetID] = s.Anomaly
	}
	if len(rep.Diffs) > 0 {
		if err := est.Advance(ctx, l.now()); err != nil {
			return rep, err
		}
		after, err := models.Score(ctx, l.W.Store(), models.ScoreOptions{Estate: est, Risk: l.Config.Models.Risk, Anomaly: l.Config.Models.Anomaly, Priority: l.Config.Planner.Objective().Priority})
		if err != nil {
			return rep, err
		}
		for _, s := range after.Scores {
			anomalyOf[s.AssetID] = s.Anomaly
		}
	}
	for _, f := range confirmed {
		rep.Alerts = append(rep.Alerts, FindingAlert(f, assetByID[f.AssetID], anomalyOf[f.AssetID], l.now()))
	}
	seriousAt := map[string]bool{}
	for _, f := range confirmed {
		seriousAt[fmt.Sprintf("%s|%d", f.IP, f.Port)] = true
	}
	for _, d := range rep.Diffs {
		an := anomalyOf[d.AssetID]
		sev, alert := l.Config.Alerts.ChangeSeverity(d, an, seriousAt[fmt.Sprintf("%s|%d", d.IP, d.Port)])
		if !alert {
			continue
		}
		rep.Alerts = append(rep.Alerts, ChangeAlert(d, assetByID[d.AssetID], an, sev, l.now()))
	}
	rep.Metrics.Alerts = len(rep.Alerts)
	if err := l.Alerter.Deliver(ctx, rep.Metrics.ID, rep.Alerts); err != nil {
		log.Warn("alerts", "error", err)
	}

	// 7. Retrain every N cycles; promote only if better.
	cycles, err := datasets.ReadCycles(ctx, l.W.Store())
	if err != nil {
		return rep, err
	}
	if n := l.Config.Schedule.RetrainEvery; n > 0 && (len(cycles)+1)%n == 0 {
		res, err := l.retrain(ctx)
		if err != nil {
			log.Warn("retrain", "error", err)
			rep.Metrics.Notes = strings.TrimPrefix(rep.Metrics.Notes+"; retrain failed: "+err.Error(), "; ")
		}
		rep.Retrained = res
	}

	l.in.ForgetSuperseded() // no scan is in flight now: superseded baselines can go

	// 8. Metrics.
	rep.Metrics.CatchRate = catchRate(plan, before)
	rep.Metrics.Finished = l.now()
	if err := datasets.WriteCycle(l.W, rep.Metrics); err != nil {
		return rep, err
	}
	if l.Observe != nil {
		l.Observe(rep)
	}
	return rep, nil
}

func (l *Loop) scan(ctx context.Context, plan *scanner.Plan, scope scanner.Scope, rep *CycleReport) error {
	rec, err := l.record(ctx, plan, scope, rep.Metrics.ID, "")
	rep.Workers = rec.Workers
	rep.Ingested.add(rec.Rows)
	if rec.Workers != nil {
		rep.Metrics.Notes = workersNote(rec.Workers)
		rep.Metrics.Segments, rep.Metrics.Unrouted = cycleSegments(rec.Workers), len(rec.Workers.Unrouted)
	}
	rep.ScanErrors = append(rep.ScanErrors, rec.Errors...)
	rep.NewFindings = append(rep.NewFindings, rec.Findings...)
	rep.Diffs = append(rep.Diffs, rec.Diffs...)
	rep.Metrics.RateChanges = max(0, rec.Rates-1)
	return keepScopeRefusals(err, &rep.ScanErrors)
}

// seriousKeys are the asset/port/rule keys of every serious finding before the cycle.
func (l *Loop) seriousKeys(ctx context.Context) (map[string]bool, error) {
	all, err := l.in.SeriousFindings(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range all {
		if f.Severity.Serious() {
			out[findingKey(f)] = true
			out["asset:"+f.AssetID] = true
		}
	}
	return out, nil
}

func findingKey(f riskmap.Finding) string {
	return fmt.Sprintf("%s|%s|%d|%s", f.AssetID, f.IP, f.Port, f.RuleID)
}

func newSerious(found []riskmap.Finding, before map[string]bool) []riskmap.Finding {
	var out []riskmap.Finding
	seen := map[string]bool{}
	for _, f := range found {
		k := findingKey(f)
		if f.Severity.Serious() && !before[k] && !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}

// catchRate is the share of assets known to have had serious findings before the cycle that
// the plan scanned again (light or deeper).
func catchRate(plan *scanner.Plan, before map[string]bool) float64 {
	known := 0
	for k := range before {
		if strings.HasPrefix(k, "asset:") && k != "asset:" {
			known++
		}
	}
	if known == 0 {
		return 0
	}
	hit := 0
	for _, it := range plan.Items {
		if before["asset:"+it.AssetID] && it.Tier > riskmap.TierSkip {
			hit++
		}
	}
	return float64(hit) / float64(known)
}

func (l *Loop) savePlan(id string, plan *scanner.Plan) error {
	var b strings.Builder
	if err := scanner.WritePlan(&b, plan); err != nil {
		return err
	}
	_, err := l.W.WriteRaw("plans", id+".json", []byte(b.String()))
	return err
}

func (l *Loop) retrain(ctx context.Context) ([]training.TrainResult, error) {
	pts, err := training.Points(ctx, l.W.Store())
	if err != nil {
		return nil, err
	}
	pts = append(pts, l.now())
	h, err := training.BuildHistory(ctx, l.W.Store(), pts)
	if err != nil {
		return nil, err
	}
	var out []training.TrainResult
	for _, kind := range []string{"risk", "anomaly"} {
		res, err := training.Train(ctx, l.W, h, training.TrainOptions{Kind: kind, Seed: 1, Promote: true, Now: l.Now})
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func readInventoryFiles(paths []string) ([]ingest.InventoryInput, error) {
	var out []ingest.InventoryInput
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			ext := strings.ToLower(filepath.Ext(path))
			if ext != ".json" && ext != ".csv" && ext != ".jsonl" {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out = append(out, ingest.InventoryInput{Name: path, Data: b})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("inventory %s: %w", p, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
