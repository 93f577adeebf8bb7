package engine

import (
	"context"
	"fmt"

	"github.com/riskmap/riskmap/scanner"
)

// Explain plans the next scan as Plan does and says why each port of asset's item is in it.
// The item is nil (and the list empty) when the plan leaves the asset out; the reason is in
// the plan's Skipped counts.
func (l *Loop) Explain(ctx context.Context, asset string) (*scanner.PlanItem, []scanner.PortWhy, error) {
	if err := l.setup(); err != nil {
		return nil, nil, err
	}
	scope, err := l.scope()
	if err != nil {
		return nil, nil, err
	}
	at := l.now()
	_, _, cands, _, err := l.candidatesAt(ctx, at, scope)
	if err != nil {
		return nil, nil, err
	}
	var cand *scanner.Candidate
	for i := range cands {
		if cands[i].AssetID == asset {
			cand = &cands[i]
		}
	}
	if cand == nil {
		return nil, nil, fmt.Errorf("explain: asset %q is not in the latest inventory", asset)
	}
	plan, err := scanner.NewPlan(at, cands, l.Config.Planner, l.profiles)
	if err != nil {
		return nil, nil, err
	}
	for i := range plan.Items {
		if it := plan.Items[i]; it.AssetID == asset {
			return &it, l.profiles.Explain(it, *cand), nil
		}
	}
	return nil, nil, nil
}
