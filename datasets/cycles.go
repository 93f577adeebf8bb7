package datasets

import (
	"context"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Cycle is one row of the cycles table: what one cycle of the loop did and how well, so that
// "monitor and adapt" is visible over time.
type Cycle struct {
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

// CyclesRecord builds a record of the cycles table. The caller releases it.
func CyclesRecord(mem memory.Allocator, cs []Cycle) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, CyclesSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, c := range cs {
		r.row()
		r.str(c.ID)
		r.time(c.Started)
		r.time(c.Finished)
		r.i64(c.Probes)
		r.i64(c.Budget)
		r.i32(c.HostsLight)
		r.i32(c.HostsStandard)
		r.i32(c.HostsDeep)
		r.i32(c.HostsExplore)
		r.i32(c.FindingsNew)
		r.i32(c.FindingsConfirmed)
		r.i32(c.ConfirmationsFailed)
		r.f64(c.CatchRate)
		r.i32(c.RateChanges)
		r.i32(c.Alerts)
		r.str(c.ModelVersion)
		r.str(c.Notes)
	}
	return b.NewRecordBatch()
}

// DecodeCycles reads the rows of a cycles record.
func DecodeCycles(rec arrow.RecordBatch) ([]Cycle, error) {
	r := newRowReader(TableCycles, rec)
	if err := r.need("cycle_id", "started"); err != nil {
		return nil, err
	}
	out := make([]Cycle, rec.NumRows())
	for i := range out {
		out[i] = Cycle{
			ID: r.str("cycle_id", i), Started: r.time("started", i), Finished: r.time("finished", i),
			Probes: int64(r.int("probes", i)), Budget: int64(r.int("budget", i)),
			HostsLight: r.int("hosts_light", i), HostsStandard: r.int("hosts_standard", i),
			HostsDeep: r.int("hosts_deep", i), HostsExplore: r.int("hosts_explore", i),
			FindingsNew: r.int("findings_new", i), FindingsConfirmed: r.int("findings_confirmed", i),
			ConfirmationsFailed: r.int("confirmations_failed", i), CatchRate: r.f64("catch_rate", i),
			RateChanges: r.int("rate_changes", i), Alerts: r.int("alerts", i),
			ModelVersion: r.str("model_version", i), Notes: r.str("notes", i),
		}
	}
	return out, nil
}

// SortCycles orders cycles oldest first.
func SortCycles(c []Cycle) {
	sort.SliceStable(c, func(i, j int) bool { return c[i].Started.Before(c[j].Started) })
}

// WriteCycle stores one cycle's row. The cycle id names the file, so writing it again
// replaces it.
func WriteCycle(w *Writer, c Cycle) error {
	rec := CyclesRecord(w.Store().Allocator(), []Cycle{c})
	defer rec.Release()
	return w.WriteTable(TableCycles, DayPartition(c.Started), c.ID, rec)
}

// ReadCycles reads every cycle's row, oldest first.
func ReadCycles(ctx context.Context, s *Store) ([]Cycle, error) {
	out, err := ReadAll(ctx, s, TableCycles, nil, DecodeCycles)
	SortCycles(out)
	return out, err
}
