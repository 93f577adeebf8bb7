package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// recorded is what one run of a plan put in the workspace.
type recorded struct {
	Scans, Hosts int
	Findings     []riskmap.Finding
	Diffs        []riskmap.Diff
	// Errors are the batches that failed and the XML that ingest refused; the rest was kept.
	Errors []string
	// Rates is how many different --max-rate values the run used.
	Rates int
	// Workers is what the segments' workers did, when the run went to them.
	Workers *workers.Report

	// Rows counts the rows written, by table.
	Rows IngestRows
}

// record runs plan with nmap inside scope and ingests each batch as it finishes: raw XML kept
// first, parsed once, rows written, scans row last. It is the one path from a plan to the
// workspace, taken by a cycle's scan, its confirmation rescans and `riskmap scan`. Inputs are
// named <prefix>/<label>-<hosts>-hosts, where label is profile, or the batch's tier when
// profile is ""; profile is also what the scans row records.
//
// The error is the run's (scanner.Runner.Run joins failed batches and scope refusals into it)
// or the first ingest error that is not a refusal of the XML, which stops the run.
func (l *Loop) record(ctx context.Context, plan *scanner.Plan, scope scanner.Scope, prefix, profile string) (*recorded, error) {
	rec := &recorded{}
	rates := map[int]bool{}
	err := l.runScans(ctx, dispatchID(prefix, profile), plan, scope, rec, func(r scanner.Result) error {
		if r.Err != nil {
			rec.Errors = append(rec.Errors, r.Err.Error())
		}
		rates[r.Batch.MaxRate] = true
		if len(r.XML) == 0 {
			return nil
		}
		label, prof := profile, profile
		if prof == "" {
			label, prof = r.Batch.Tier.String(), r.Batch.Tier.String()
		}
		name := fmt.Sprintf("%s/%s-%d-hosts", prefix, label, len(r.Batch.Addrs))
		res, ing, err := l.in.Nmap(ctx, name, r.XML, prof)
		if err != nil && res.Error == "" {
			return err
		}
		if res.Error != "" {
			rec.Errors = append(rec.Errors, res.Error)
			return nil
		}
		if ing != nil {
			rec.Scans++
			rec.Hosts += res.HostsUp
			rec.Rows.add(IngestRows{Scans: 1, Hosts: len(ing.Hosts), Observations: len(ing.Observations),
				Findings: len(ing.Findings), Diffs: len(ing.Diffs)})
			rec.Findings = append(rec.Findings, ing.Findings...)
			rec.Diffs = append(rec.Diffs, ing.Diffs...)
		}
		return nil
	})
	rec.Rates = len(rates)
	return rec, err
}

// keepScopeRefusals moves scope refusals out of a run's error into errs: addresses refused by
// the scope are reported, and the rest of the run stands.
func keepScopeRefusals(err error, errs *[]string) error {
	var se *scanner.ScopeError
	if err != nil && !errors.Is(err, context.Canceled) && errors.As(err, &se) {
		*errs = append(*errs, err.Error())
		return nil
	}
	return err
}

// IngestRows counts the rows a cycle's scans wrote, by table.
type IngestRows struct {
	Scans, Hosts, Observations, Findings, Diffs int
}

func (r *IngestRows) add(o IngestRows) {
	r.Scans += o.Scans
	r.Hosts += o.Hosts
	r.Observations += o.Observations
	r.Findings += o.Findings
	r.Diffs += o.Diffs
}
