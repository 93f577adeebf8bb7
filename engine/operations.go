package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features"
	"github.com/riskmap/riskmap/models"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/training"
)

// planAt scores every asset as of at and plans the scan: the part of a cycle that
// `riskmap plan` runs alone. It returns the estate it read too, so that a cycle can advance
// it with what it records rather than read it again.
func (l *Loop) planAt(ctx context.Context, at time.Time, scope scanner.Scope) (*models.Scored, []riskmap.Asset, *scanner.Plan, *features.Estate, error) {
	scored, assets, cands, est, err := l.candidatesAt(ctx, at, scope)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	plan, err := scanner.NewPlan(at, cands, l.Config.Planner, l.profiles)
	return scored, assets, plan, est, err
}

// candidatesAt scores every asset as of at and returns the planner's candidates, and the
// estate it read.
func (l *Loop) candidatesAt(ctx context.Context, at time.Time, scope scanner.Scope) (*models.Scored, []riskmap.Asset, []scanner.Candidate, *features.Estate, error) {
	if err := training.EnsureModels(l.W); err != nil {
		return nil, nil, nil, nil, err
	}
	// The estate as of at, read once and shared by scoring, predicted ports and candidates.
	est, err := features.LoadEstate(ctx, l.W.Store(), features.BuildOptions{AsOf: at})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	inv := est.Inventory()
	l.in.SeedAssets(inv.Rows, inv.Others) // the ingester joins addresses without reading assets again
	scored, err := models.Score(ctx, l.W.Store(), models.ScoreOptions{Estate: est, Risk: l.Config.Models.Risk, Anomaly: l.Config.Models.Anomaly, Priority: l.Config.Planner.Objective().Priority})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := models.WriteScores(l.W, scored); err != nil {
		return nil, nil, nil, nil, err
	}
	assets, err := est.Assets(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	predicted, err := est.PredictedPorts(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	last, err := l.in.LastScans(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cands := Candidates(assets, scored.Scores, predicted, last, scope)
	serious, err := l.in.SeriousFindings(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := exploreInputs(ctx, l.W.Store(), est, serious, cands, assets); err != nil {
		return nil, nil, nil, nil, err
	}
	return scored, assets, cands, est, nil
}

// Plan scores the estate now and returns the plan a cycle would run, without scanning.
func (l *Loop) Plan(ctx context.Context) (*scanner.Plan, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	scope, err := l.scope()
	if err != nil {
		return nil, err
	}
	_, _, plan, _, err := l.planAt(ctx, l.now(), scope)
	return plan, err
}

func (l *Loop) scope() (scanner.Scope, error) {
	scope, err := l.Config.Scope.Scope()
	if err != nil {
		return scope, err
	}
	if scope.Empty() {
		return scope, fmt.Errorf("%w: write scope.allow (CIDRs) in %s before riskmap scans anything", scanner.ErrNoScope, ConfigFile)
	}
	return scope, nil
}

// TargetPlan makes a plan of one tier over target specs (addresses, CIDRs, ranges, names),
// resolved by riskmap and checked against the scope: what `riskmap scan --targets` runs.
// Each address is one item, identified as scanner.AdHocID ("ip:127.0.0.1") whether or not an
// inventory asset has it; recording joins the results to assets by address.
func (l *Loop) TargetPlan(ctx context.Context, specs []string, tier riskmap.Tier) (*scanner.Plan, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	scope, err := l.scope()
	if err != nil {
		return nil, err
	}
	ts, err := scanner.ParseTargets(specs)
	if err != nil {
		return nil, err
	}
	addrs, refused, err := scope.Resolve(ctx, net.DefaultResolver, ts)
	if err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("%w: %v", scanner.ErrOutOfScope, refused)
	}
	items := make([]scanner.Fixed, len(addrs))
	for i, a := range addrs {
		items[i] = scanner.Fixed{AssetID: scanner.AdHocID(a), IPs: []netip.Addr{a}, Tier: tier, Reason: "given as a target"}
	}
	return l.profiles.PlanFor(l.now(), items)
}

// ScanReport is what Loop.Scan recorded.
type ScanReport struct {
	Scans, Hosts, Findings, Serious, Diffs int
	Errors                                 []string
}

// Scan runs a plan and records everything it finds.
func (l *Loop) Scan(ctx context.Context, plan *scanner.Plan) (*ScanReport, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	scope, err := l.scope()
	if err != nil {
		return nil, err
	}
	if _, err := l.in.Recover(ctx); err != nil {
		return nil, err
	}
	rec, err := l.record(ctx, plan, scope, "scan", "")
	rep := &ScanReport{Scans: rec.Scans, Hosts: rec.Hosts, Findings: len(rec.Findings), Diffs: len(rec.Diffs), Errors: rec.Errors}
	for _, f := range rec.Findings {
		if f.Severity.Serious() {
			rep.Serious++
		}
	}
	return rep, keepScopeRefusals(err, &rep.Errors)
}

// Targets ranks the in-scope addresses of the latest scores for other scanners: highest
// priority first, with each asset's predicted ports.
func (l *Loop) Targets(ctx context.Context, top int, tier *riskmap.Tier) ([]riskmap.Target, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	scope, err := l.scope()
	if err != nil {
		return nil, err
	}
	scored, assets, plan, _, err := l.planAt(ctx, l.now(), scope)
	if err != nil {
		return nil, err
	}
	tierOf := map[string]riskmap.Tier{}
	portsOf := map[string][]int{}
	for _, it := range plan.Items {
		tierOf[it.AssetID] = it.Tier
		portsOf[it.AssetID] = it.Ports
	}
	byID := map[string]*riskmap.Asset{}
	for i := range assets {
		byID[assets[i].ID] = &assets[i]
	}
	var out []riskmap.Target
	for _, s := range scored.Scores {
		a := byID[s.AssetID]
		if a == nil || (tier != nil && tierOf[s.AssetID] != *tier) {
			continue
		}
		for _, ip := range a.IPs() {
			addr, err := netip.ParseAddr(ip)
			if err != nil || scope.Check(addr) != nil {
				continue
			}
			out = append(out, riskmap.Target{AssetID: a.ID, IP: addr.String(), Ports: portsOf[a.ID], Tier: tierOf[a.ID], Priority: s.Priority, Why: s.Why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return scanner.Compare(riskmap.Score{AssetID: out[i].AssetID, Priority: out[i].Priority}, riskmap.Score{AssetID: out[j].AssetID, Priority: out[j].Priority}) < 0
	})
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out, nil
}
