package engine

import (
	"context"
	"fmt"

	"github.com/riskmap/riskmap/scanner"
)

// dispatch sends the plan to the segments' workers and hands their XML to sink, as
// Runner.Run would. Items no segment reaches and jobs still queued are scan errors of the
// cycle (the jobs stay queued and are ingested by a later cycle); scope refusals come back as
// a *scanner.ScopeError, as from the runner.
func (l *Loop) dispatch(ctx context.Context, plan *scanner.Plan, scope scanner.Scope, sink func(scanner.Result) error, rep *CycleReport) error {
	wr, err := l.Dispatcher.Dispatch(ctx, rep.Metrics.ID, plan, scope, sink)
	rep.Workers = wr
	if wr == nil {
		return err
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
