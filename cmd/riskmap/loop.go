package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/scanner"
)

// loadLoop reads riskmap.yaml and makes a Loop writing through a freshly locked workspace.
func (m *Main) loadLoop() (*engine.Loop, func(), error) {
	cfg, err := engine.LoadConfig(m.workspace)
	if err != nil {
		return nil, nil, err
	}
	w, err := m.writer()
	if err != nil {
		return nil, nil, err
	}
	return &engine.Loop{W: w, Config: cfg, Log: m.logger()}, func() { w.Close() }, nil
}

func (m *Main) runCycle(ctx context.Context, args []string) error {
	fs := m.flags("cycle", "[--once | --every DURATION] [--cycles N] [--json]",
		"Run the loop: import inventory, build features, score, plan under the probe\nbudget, scan with nmap inside the scope, record observations, findings and\ndiffs, alert, and retrain every schedule.retrain_every cycles (promoting only\nwhen better). SIGINT and SIGTERM stop it cleanly after the current scan batch.\nThe scope (riskmap.yaml scope.allow) must be written first: no scope, no scan.")
	once := fs.Bool("once", false, "run one cycle and exit")
	every := fs.Duration("every", 0, "time between cycles (default schedule.every)")
	count := fs.Int("cycles", 0, "stop after N cycles (0 = until stopped)")
	asJSON := fs.Bool("json", false, "print each cycle's metrics as JSON")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics on `ADDR` (host:port; default off)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *once {
		*count = 1
	}
	loop, done, err := m.loadLoop()
	if err != nil {
		return err
	}
	defer done()
	closeWorkers, err := m.openWorkers(ctx, loop)
	if err != nil {
		return err
	}
	defer closeWorkers()
	if *every == 0 {
		*every = loop.Config.Schedule.Every
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	observe, err := m.metrics(ctx, *metricsAddr, loop)
	if err != nil {
		return err
	}
	for n := 1; ; n++ {
		rep, err := loop.Cycle(ctx)
		observe(rep, err)
		if rep != nil {
			m.printCycle(rep, *asJSON)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				fmt.Fprintln(m.Stderr, "stopped: every completed scan is recorded")
				return nil
			}
			return err
		}
		if *count > 0 && n >= *count {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

func (m *Main) printCycle(rep *engine.CycleReport, asJSON bool) {
	if asJSON {
		m.printJSON(rep.Metrics)
		return
	}
	c := rep.Metrics
	fmt.Fprintf(m.Stdout, "%s: %d probes of %d budget; light %d, standard %d, deep %d (explore %d); %d new serious findings, %d confirmed, %d failed confirmations; %d changes, %d alerts; model %s\n",
		c.ID, c.Probes, c.Budget, c.HostsLight, c.HostsStandard, c.HostsDeep, c.HostsExplore,
		c.FindingsNew, c.FindingsConfirmed, c.ConfirmationsFailed, len(rep.Diffs), c.Alerts, c.ModelVersion)
	if p := rep.Plan; p != nil {
		fmt.Fprintf(m.Stdout, "  budget split: %s", p.Split)
		if sw := p.Sweep; sw != nil && sw.WideFirst > 0 {
			fmt.Fprintf(m.Stdout, "; wide-open assets' never-swept ports first (sweep_wide_first): %d probes, about %d cycles to sweep them once", sw.WideFirst, sw.WideCycles)
		}
		fmt.Fprintln(m.Stdout)
	}
	for _, r := range rep.Retrained {
		fmt.Fprintf(m.Stdout, "  retrained %s@%s: promoted %v (%s)\n", r.Card.Name, r.Card.Version, r.Promoted, r.Why)
	}
	for _, e := range rep.ScanErrors {
		fmt.Fprintf(m.Stderr, "  scan: %s\n", e)
	}
	if rep.Workers != nil {
		for _, s := range sortedSegments(rep.Workers) {
			fmt.Fprintf(m.Stdout, "  segment %s: %d jobs (%d hosts): %d done, %d already, %d refused, %d dead, %d queued; %d live workers\n",
				s.Segment, s.Jobs, s.Hosts, s.Done, s.Already, s.Refused, s.Dead, s.Queued, s.LiveWorkers)
		}
	}
}

func (m *Main) runPlan(ctx context.Context, args []string) error {
	fs := m.flags("plan", "[--json] [-o FILE] [--explain ASSET]", "Plan the next scan: every asset's tier (skip, light, standard, deep) with its\nreasons, under the probe budget, with the exploration share, the port-space\nsweep and its coverage period, re-checks, rescan intervals, quiet hours and\nnetwork rate caps of riskmap.yaml. The plan is JSON you can inspect, edit and\npass to `riskmap scan --plan FILE`. --explain ASSET says why each of that\nasset's ports is in the plan.")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	out := fs.String("o", "", "write the plan JSON to FILE")
	explain := fs.String("explain", "", "say why each port of ASSET is in the plan")
	if err := parse(fs, args); err != nil {
		return err
	}
	loop, done, err := m.loadLoop()
	if err != nil {
		return err
	}
	defer done()
	if *explain != "" {
		return m.explainPlan(ctx, loop, *explain, *asJSON)
	}
	plan, err := loop.Plan(ctx)
	if err != nil {
		return err
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := scanner.WritePlan(f, plan); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		return scanner.WritePlan(m.Stdout, plan)
	}
	fmt.Fprintf(m.Stdout, "plan: %d items, %d probes of %d budget; skipped %v\n", len(plan.Items), plan.Probes, plan.Budget, plan.Skipped)
	fmt.Fprintf(m.Stdout, "budget split: %s\n", plan.Split)
	if sw := plan.Sweep; sw != nil {
		fmt.Fprintf(m.Stdout, "port-space sweep: %d blocks of %d ports (%d of %d in scope), %d probes; every TCP port of every in-scope asset probed at least once every %d cycles",
			sw.Blocks, sw.Block, sw.Blocks, sw.Units, sw.Probes, sw.Period)
		if sw.WideAssets > 0 {
			fmt.Fprintf(m.Stdout, ", of the %d wide-open assets every %d cycles", sw.WideAssets, sw.WidePeriod)
			if sw.WideProbes > 0 {
				fmt.Fprintf(m.Stdout, " (this plan: %d probes on them, %d of them on never-swept ports ahead of escalation (sweep_wide_first), %d won from escalation on value; a full rotation at this spend takes %d cycles)", sw.WideProbes, sw.WideFirst, sw.WideWon, sw.WideCycles)
			}
		}
		fmt.Fprintln(m.Stdout)
		if sw.Note != "" {
			fmt.Fprintf(m.Stdout, "  note: %s\n", sw.Note)
		}
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tTIER\tPROBES\tPRIORITY\tEXPLORE\tREASONS")
	for _, it := range plan.Items {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%v\t%v\n", it.AssetID, it.Tier, it.Probes, it.Priority, it.Explore, it.Reasons)
	}
	return tw.Flush()
}

func (m *Main) runScan(ctx context.Context, args []string) error {
	fs := m.flags("scan", "--plan FILE | --targets SPEC[,SPEC...] [--tier light|standard|deep]",
		"Run nmap on a plan (from `riskmap plan`) or on targets (addresses, CIDRs,\na.b.c.d-e ranges, names: riskmap resolves names itself). Every address is\nchecked against the scope before nmap starts; nmap gets explicit addresses\nwith -n. Raw XML is kept, then parsed into observations, findings and diffs.\nCtrl-C stops cleanly and keeps every completed host.")
	planPath := fs.String("plan", "", "plan JSON file")
	targets := fs.String("targets", "", "comma-separated target specs")
	tierName := fs.String("tier", "standard", "tier for --targets")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*planPath == "") == (*targets == "") {
		return usageError("give --plan FILE or --targets SPEC")
	}
	tier, err := riskmap.ParseTier(*tierName)
	if err != nil {
		return usageError("--tier: %v", err)
	}
	loop, done, err := m.loadLoop()
	if err != nil {
		return err
	}
	defer done()
	var plan *scanner.Plan
	if *planPath != "" {
		f, err := os.Open(*planPath)
		if err != nil {
			return err
		}
		plan, err = scanner.ReadPlan(bufio.NewReader(f))
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *planPath, err)
		}
	} else {
		plan, err = loop.TargetPlan(ctx, splitComma(*targets), tier)
		if err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := loop.Scan(ctx, plan)
	if rep != nil {
		fmt.Fprintf(m.Stdout, "scanned %d hosts in %d scans: %d findings (%d serious), %d changes\n", rep.Hosts, rep.Scans, rep.Findings, rep.Serious, rep.Diffs)
		for _, e := range rep.Errors {
			fmt.Fprintf(m.Stderr, "scan: %s\n", e)
		}
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(m.Stderr, "interrupted: every completed host is recorded")
		return errReported
	}
	return err
}

func (m *Main) runTargets(ctx context.Context, args []string) error {
	fs := m.flags("targets", "--format nmap|masscan|naabu|nuclei|csv|jsonl [--top K] [--tier T] [-o FILE]",
		"Write the ranked targets of the latest scores for another scanner: addresses\nfor nmap -iL and masscan, host:port for naabu and nuclei, or CSV/JSONL for a\nSOAR. Only addresses inside the scope are written.")
	format := fs.String("format", "nmap", "one of "+fmt.Sprint(scanner.Formats()))
	top := fs.Int("top", 0, "only the K highest-priority assets (0 = all)")
	tierName := fs.String("tier", "", "only assets the plan puts at this tier")
	out := fs.String("o", "", "output FILE (default standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var tier *riskmap.Tier
	if *tierName != "" {
		t, err := riskmap.ParseTier(*tierName)
		if err != nil {
			return usageError("--tier: %v", err)
		}
		tier = &t
	}
	loop, done, err := m.loadLoop()
	if err != nil {
		return err
	}
	defer done()
	targets, err := loop.Targets(ctx, *top, tier)
	if err != nil {
		return err
	}
	var w io.Writer = m.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	scope, err := loop.Config.Scope.Scope()
	if err != nil {
		return err
	}
	refused, err := scanner.WriteTargets(w, *format, scope, targets)
	if err != nil {
		return err
	}
	for _, r := range refused {
		fmt.Fprintf(m.Stderr, "left out: %v\n", r)
	}
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
