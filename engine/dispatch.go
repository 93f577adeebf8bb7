package engine

import (
	"context"
	"fmt"

	"github.com/riskmap/riskmap/scanner"
)

// runScans runs plan with the Runner, or, when a Dispatcher is set, through the segments'
// workers as dispatch id (the cycle's id for its scan, another for its confirmations, so
// that their jobs are told apart).
func (l *Loop) runScans(ctx context.Context, id string, plan *scanner.Plan, scope scanner.Scope, rep *CycleReport, sink func(scanner.Result) error) error {
	if l.Dispatcher == nil {
		return l.Runner.Run(ctx, plan, scope, sink)
	}
	return l.dispatch(ctx, id, plan, scope, sink, rep)
}

// dispatch sends the plan to the segments' workers and hands their XML to sink, as
// Runner.Run would. Items no segment reaches and jobs still queued are scan errors of the
// cycle (the jobs stay queued and are ingested by a later cycle); scope refusals come back as
// a *scanner.ScopeError, as from the runner.
func (l *Loop) dispatch(ctx context.Context, id string, plan *scanner.Plan, scope scanner.Scope, sink func(scanner.Result) error, rep *CycleReport) error {
	wr, err := l.Dispatcher.Dispatch(ctx, id, plan, scope, sink)
	if wr == nil {
		return err
	}
	if id == rep.Metrics.ID {
		rep.Workers = wr
	}
	for _, it := range wr.Unrouted {
		rep.ScanErrors = append(rep.ScanErrors, fmt.Sprintf("asset %s: network %q is in no workers segment: not scanned", it.AssetID, it.Network))
	}
	for _, s := range wr.Segments {
		if s.Queued > 0 {
			rep.ScanErrors = append(rep.ScanErrors, fmt.Sprintf("segment %s: %d of %d jobs still queued (%d live workers)", s.Segment, s.Queued, s.Jobs, s.LiveWorkers))
		}
		rep.ScanErrors = append(rep.ScanErrors, s.Reasons...)
	}
	if err == nil && len(wr.Refused) > 0 {
		return &scanner.ScopeError{Refusals: wr.Refused}
	}
	return err
}
