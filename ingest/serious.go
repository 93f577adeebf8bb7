package ingest

import (
	"context"
	"slices"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// SeriousFindings returns every serious finding in the workspace, as a copy the caller may
// keep: what a cycle compares its new findings with. The findings table is read on the first
// call only; the Ingester adds what it records after that.
func (in *Ingester) SeriousFindings(ctx context.Context) ([]riskmap.Finding, error) {
	if in.serious == nil {
		all, err := datasets.ReadAll(ctx, in.W.Store(), datasets.TableFindings, nil, datasets.DecodeFindings)
		if err != nil {
			return nil, err
		}
		in.serious = make([]riskmap.Finding, 0, len(all))
		for _, f := range all {
			if f.Severity.Serious() {
				in.serious = append(in.serious, f)
			}
		}
	}
	return slices.Clone(in.serious), nil
}
