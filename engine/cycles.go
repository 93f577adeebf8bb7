package engine

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/riskmap/riskmap/datasets"
)

// CycleMetrics is one cycle's row of the cycles table: what the loop did and how well, so
// that "monitor and adapt" is visible over time.
type CycleMetrics struct {
	ID                  string    `json:"cycle_id"`
	Started             time.Time `json:"started"`
	Finished            time.Time `json:"finished"`
	Probes              int64     `json:"probes"`
	Budget              int64     `json:"budget"`
	HostsLight          int       `json:"hosts_light"`
	HostsStandard       int       `json:"hosts_standard"`
	HostsDeep           int       `json:"hosts_deep"`
	HostsExplore        int       `json:"hosts_explore"`
	FindingsNew         int       `json:"findings_new"`
	FindingsConfirmed   int       `json:"findings_confirmed"`
	ConfirmationsFailed int       `json:"confirmations_failed"`
	CatchRate           float64   `json:"catch_rate"`
	RateChanges         int       `json:"rate_changes"`
	Alerts              int       `json:"alerts"`
	ModelVersion        string    `json:"model_version"`
	Notes               string    `json:"notes"`
}

// WriteCycle stores one cycle's metrics. The cycle id names the file, so writing it again
// replaces it.
func WriteCycle(w *datasets.Writer, c CycleMetrics) error {
	b := array.NewRecordBuilder(w.Store().Allocator(), datasets.CyclesSchema)
	defer b.Release()
	str := func(i int, s string) { b.Field(i).(*array.StringBuilder).Append(s) }
	i32 := func(i, v int) { b.Field(i).(*array.Int32Builder).Append(int32(v)) }
	str(0, c.ID)
	appendTime(b.Field(1).(*array.TimestampBuilder), c.Started)
	appendTime(b.Field(2).(*array.TimestampBuilder), c.Finished)
	b.Field(3).(*array.Int64Builder).Append(c.Probes)
	b.Field(4).(*array.Int64Builder).Append(c.Budget)
	i32(5, c.HostsLight)
	i32(6, c.HostsStandard)
	i32(7, c.HostsDeep)
	i32(8, c.HostsExplore)
	i32(9, c.FindingsNew)
	i32(10, c.FindingsConfirmed)
	i32(11, c.ConfirmationsFailed)
	b.Field(12).(*array.Float64Builder).Append(c.CatchRate)
	i32(13, c.RateChanges)
	i32(14, c.Alerts)
	str(15, c.ModelVersion)
	str(16, c.Notes)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return w.WriteTable(datasets.TableCycles, dayPartition(c.Started), c.ID, rec)
}

// ReadCycles reads every cycle's metrics, oldest first.
func ReadCycles(ctx context.Context, s *datasets.Store) ([]CycleMetrics, error) {
	var out []CycleMetrics
	err := s.Scan(ctx, datasets.TableCycles, datasets.ScanOptions{}, func(_ datasets.File, rec arrowRecord) error {
		col := func(i int) arrowArray { return rec.Column(i) }
		for r := 0; r < int(rec.NumRows()); r++ {
			out = append(out, CycleMetrics{
				ID: strAt(col(0), r), Started: timeAt(col(1), r), Finished: timeAt(col(2), r),
				Probes: int64At(col(3), r), Budget: int64At(col(4), r),
				HostsLight: int(int64At(col(5), r)), HostsStandard: int(int64At(col(6), r)),
				HostsDeep: int(int64At(col(7), r)), HostsExplore: int(int64At(col(8), r)),
				FindingsNew: int(int64At(col(9), r)), FindingsConfirmed: int(int64At(col(10), r)),
				ConfirmationsFailed: int(int64At(col(11), r)), CatchRate: floatAt(col(12), r),
				RateChanges: int(int64At(col(13), r)), Alerts: int(int64At(col(14), r)),
				ModelVersion: strAt(col(15), r), Notes: strAt(col(16), r),
			})
		}
		return nil
	})
	sortCycles(out)
	return out, err
}
