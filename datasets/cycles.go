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
	// Segments is what each network segment's workers did with the cycle's jobs, when the
	// cycle dispatched its scans to workers (empty when it ran nmap itself); Unrouted counts
	// the plan items no configured segment reaches.
	Segments []CycleSegment `json:"segments,omitempty"`
	Unrouted int            `json:"unrouted,omitempty"`
}

// CycleSegment is one segment's jobs in one cycle: how many it had, how many its workers
// finished (Done, those ingested before a coordinator restart included), refused as outside
// their scope or dead-lettered, and how many were still Queued when the cycle stopped
// waiting, with the live workers it had then. Queued jobs of a segment with no live worker
// wait in JetStream for one.
type CycleSegment struct {
	Segment string `json:"segment"`
	Jobs    int    `json:"jobs"`
	Done    int    `json:"done"`
	Refused int    `json:"refused"`
	Dead    int    `json:"dead"`
	Queued  int    `json:"queued"`
	Live    int    `json:"live_workers"`
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
		r.segments(c.Segments)
		r.i32(c.Unrouted)
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
			Unrouted: r.int("unrouted", i),
		}
		// Files written before the column existed have none: no segments.
		r.structs("segments", i, func(st *array.Struct, j int) {
			out[i].Segments = append(out[i].Segments, CycleSegment{Segment: fieldStr(st, 0, j),
				Jobs: fieldInt(st, 1, j), Done: fieldInt(st, 2, j), Refused: fieldInt(st, 3, j),
				Dead: fieldInt(st, 4, j), Queued: fieldInt(st, 5, j), Live: fieldInt(st, 6, j)})
		})
	}
	return out, nil
}

// segments appends a list<struct> of the cycles table's segments column.
func (r *rowBuilder) segments(v []CycleSegment) {
	lb := r.next().(*array.ListBuilder)
	lb.Append(true)
	sb := lb.ValueBuilder().(*array.StructBuilder)
	name := sb.FieldBuilder(0).(*array.StringBuilder)
	for _, s := range v {
		sb.Append(true)
		name.Append(s.Segment)
		for f, n := range []int{s.Jobs, s.Done, s.Refused, s.Dead, s.Queued, s.Live} {
			sb.FieldBuilder(f + 1).(*array.Int32Builder).Append(int32(n))
		}
	}
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
