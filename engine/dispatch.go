package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// runScans runs plan with the Runner, or, when a Dispatcher is set, through the segments'
// workers under dispatch id id (see dispatchID).
func (l *Loop) runScans(ctx context.Context, id string, plan *scanner.Plan, scope scanner.Scope, rec *recorded, sink func(scanner.Result) error) error {
	if l.Dispatcher == nil {
		return l.Runner.Run(ctx, plan, scope, sink)
	}
	return l.dispatch(ctx, id, plan, scope, sink, rec)
}

// dispatchID names one run's jobs: the cycle's scan and its confirmations get different ids,
// so that their jobs are told apart (a job id already ingested is never published again).
func dispatchID(prefix, profile string) string {
	if profile == "" {
		return prefix
	}
	return prefix + "-" + profile
}

// dispatch sends the plan to the segments' workers and hands their XML to sink, as
// Runner.Run would. Items no segment reaches and jobs still queued are errors of the run (the
// jobs stay queued and are ingested by a later cycle); scope refusals come back as a
// *scanner.ScopeError, as from the runner.
func (l *Loop) dispatch(ctx context.Context, id string, plan *scanner.Plan, scope scanner.Scope, sink func(scanner.Result) error, rec *recorded) error {
	wr, err := l.Dispatcher.Dispatch(ctx, id, plan, scope, sink)
	if wr == nil {
		return err
	}
	rec.Workers = wr
	for _, it := range wr.Unrouted {
		rec.Errors = append(rec.Errors, fmt.Sprintf("asset %s: network %q is in no workers segment: not scanned", it.AssetID, it.Network))
	}
	for _, s := range wr.Segments {
		if s.Queued > 0 {
			rec.Errors = append(rec.Errors, fmt.Sprintf("segment %s: %d of %d jobs still queued (%d live workers)", s.Segment, s.Queued, s.Jobs, s.LiveWorkers))
		}
		rec.Errors = append(rec.Errors, s.Reasons...)
	}
	if err == nil && len(wr.Refused) > 0 {
		return &scanner.ScopeError{Refusals: wr.Refused}
	}
	return err
}

// routeLikePlan gives each item of plan the network its asset had in the cycle's plan, which
// routes a confirmation rescan to the workers of the asset's segment.
func routeLikePlan(plan, cycle *scanner.Plan) {
	if cycle == nil {
		return
	}
	netOf := map[string]string{}
	for _, it := range cycle.Items {
		netOf[it.AssetID] = it.Network
	}
	for i := range plan.Items {
		if plan.Items[i].Network == "" {
			plan.Items[i].Network = netOf[plan.Items[i].AssetID]
		}
	}
}

// workersNote is the cycle's note (kept in the cycles table) on what each segment's workers
// did: jobs done, refused, dead and still queued, and live workers.
func workersNote(r *workers.Report) string {
	names := make([]string, 0, len(r.Segments))
	for n := range r.Segments {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		s := r.Segments[n]
		parts = append(parts, fmt.Sprintf("%s %d/%d done, %d refused, %d dead, %d queued, %d live", n, s.Done+s.Already, s.Jobs, s.Refused, s.Dead, s.Queued, s.LiveWorkers))
	}
	note := "workers: " + strings.Join(parts, "; ")
	if len(r.Unrouted) > 0 {
		note += fmt.Sprintf("; %d items in no segment", len(r.Unrouted))
	}
	return note
}

// cycleSegments is what each segment's workers did, as the cycles table keeps it (the report
// reads it from there), sorted by segment.
func cycleSegments(r *workers.Report) []datasets.CycleSegment {
	out := make([]datasets.CycleSegment, 0, len(r.Segments))
	for name, s := range r.Segments {
		out = append(out, datasets.CycleSegment{Segment: name, Jobs: s.Jobs, Done: s.Done + s.Already,
			Refused: s.Refused, Dead: s.Dead, Queued: s.Queued, Live: s.LiveWorkers})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Segment < out[j].Segment })
	return out
}
