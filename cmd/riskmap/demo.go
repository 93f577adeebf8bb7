package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/demo"
	"github.com/riskmap/riskmap/engine"
	"github.com/riskmap/riskmap/features/findings"
)

func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs := m.flags("demo", "[--dir DIR] [--hosts N] [--cycles N] [--seed N]",
		"The main job on the embedded default: riskmap creates a private network\nnamespace (only loopback, no route out), serves a lab cloud estate of about\n200 hosts on 127.0.0.0/8 that answers as real services do, and runs the real\nloop for several cycles with drift between them: inventory import, features,\nscores with the bundled models, plan, nmap, findings, diffs and alerts; then it\nretrains and promotes only if better, prints a summary and writes an HTML report.")
	dir := fs.String("dir", "./riskmap-demo", "the demo's own workspace (emptied on every run)")
	hosts := fs.Int("hosts", 200, "lab size")
	cycles := fs.Int("cycles", 4, "cycles to run")
	seed := fs.Int64("seed", 1, "estate seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !netns.Private() {
		// Run this same command again inside a new network namespace: nothing the demo
		// sends can leave it.
		code, err := netns.Reexec()
		if err != nil {
			return fmt.Errorf("demo needs a private network namespace (root, or unprivileged user namespaces): %w", err)
		}
		if code != 0 {
			return errReported
		}
		return nil
	}
	if err := netns.LoopbackUp(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "riskmap demo: a %d-host lab on 127.0.0.0/8 in a private network namespace, %d cycles\n", *hosts, *cycles)
	sum, err := demo.Demo(ctx, demo.DemoOptions{
		Dir: *dir, Hosts: *hosts, Cycles: *cycles, Seed: *seed, Log: m.logger(),
		Observe: func(rep *engine.CycleReport) { m.printCycle(rep, false) },
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("demo interrupted")
		}
		return err
	}
	m.printDemo(sum)
	return nil
}

func (m *Main) printDemo(s *demo.DemoSummary) {
	out := m.Stdout
	fmt.Fprintf(out, "\n== Top risks (of %d assets)\n", s.Hosts)
	for i, r := range s.TopRisks {
		if i == 8 {
			break
		}
		fmt.Fprintf(out, "  %-22s risk %.2f  anomaly %.2f  %s\n", r.AssetID, r.Risk, r.Anomaly, strings.Join(why(r), "; "))
	}
	down := 0
	for _, f := range s.Checked {
		if strings.Contains(f.Evidence, "downgraded from ") {
			down++
		}
	}
	fmt.Fprintf(out, "\n== Checked by NSE (%d confirmed without credentials, %d downgraded: credentials required)\n", len(s.Checked)-down, down)
	for i, f := range s.Checked {
		if i == 6 {
			fmt.Fprintf(out, "  ... and %d more (riskmap findings)\n", len(s.Checked)-6)
			break
		}
		// The clauses of the evidence the check wrote: what it proved.
		var proof []string
		for _, part := range strings.Split(f.Evidence, "; ") {
			if strings.Contains(part, "downgraded from ") || strings.HasPrefix(part, "script ") {
				proof = append(proof, part)
			}
		}
		fmt.Fprintf(out, "  [%s] %s on %s: %s\n", f.Severity, f.Title, findings.Where(f, nil), strings.Join(proof, "; "))
	}
	fmt.Fprintf(out, "\n== What changed in the last cycle (%d changes)\n", len(s.Changes))
	for i, d := range s.Changes {
		if i == 8 {
			fmt.Fprintf(out, "  ... and %d more (riskmap diff)\n", len(s.Changes)-8)
			break
		}
		fmt.Fprintf(out, "  %s\n", diffLine(d))
	}
	fmt.Fprintf(out, "\n== Alerts fired (%d; all in %s/alerts.jsonl)\n", len(s.Alerts), s.Dir)
	for i, a := range s.Alerts {
		if i == 8 {
			fmt.Fprintf(out, "  ... and %d more\n", len(s.Alerts)-8)
			break
		}
		fmt.Fprintf(out, "  [%s] %s %s: %s\n      -> %s\n", a.Severity, a.AssetID, a.Title, a.Why, a.Action)
	}
	for _, r := range s.Retrained {
		fmt.Fprintf(out, "\n== Retrained %s@%s on %d rows: PR-AUC %.3f (rules %.3f), catch@10%% %.3f (rules %.3f); promoted %v: %s\n",
			r.Card.Name, r.Card.Version, r.Card.Rows, r.Card.Metrics["pr_auc"], r.Card.Baseline["pr_auc"],
			r.Card.Metrics["catch_rate@10"], r.Card.Baseline["catch_rate@10"], r.Promoted, r.Why)
	}
	fmt.Fprintf(out, "\n== Probes against uniform sweeps (%d cycles of %d hosts; %d serious exposures in the lab's ground truth)\n", len(s.Cycles), s.Hosts, s.Serious)
	fmt.Fprintf(out, "  %-28s %12d probes  found %d/%d serious exposures (measured)\n", "riskmap", s.Probes, s.Found, s.Serious)
	for _, sw := range s.Sweeps {
		ratio := float64(sw.Probes) / float64(max(s.Probes, 1))
		fmt.Fprintf(out, "  %-28s %12d probes  (%.1fx riskmap's) could find at most %d/%d (its port list covers them)\n", sw.Name, sw.Probes, ratio, sw.Covered, s.Serious)
	}
	for i, x := range s.Missed {
		if i == 5 {
			fmt.Fprintf(out, "  ... %d missed in all\n", len(s.Missed))
			break
		}
		fmt.Fprintf(out, "  missed: %s %s:%d %s (%s)\n", x.AssetID, x.IP, x.Port, x.Service, x.Reason)
	}
	fmt.Fprintf(out, "\nHTML report: %s\nWorkspace:   %s (riskmap --workspace %s tables)\nTook %s\n", s.Report, s.Dir, s.Dir, s.Elapsed.Round(time.Second))
}
