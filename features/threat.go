package features

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/intel"
)

// scanIndex numbers the scans of the scans table and keeps their start times.
type scanIndex struct {
	ids      map[string]int32
	started  []int64         // microseconds; 0 when the table has no start time
	finished []int64         // microseconds; 0 for a truncated run
	seen     map[string]bool // files read, by path
}

// done is when scan n's findings can be known: its end, or for a truncated run (no end
// recorded) its start. 0 means it cannot be dated.
func (si *scanIndex) done(n int32) int64 {
	if int(n) >= len(si.started) {
		return 0
	}
	if f := si.finished[n]; f != 0 {
		return max(f, si.started[n])
	}
	return si.started[n]
}

func loadScans(ctx context.Context, s *datasets.Store, batchRows int) (*scanIndex, error) {
	si := &scanIndex{ids: map[string]int32{}}
	return si, si.load(ctx, s, batchRows)
}

// load adds the scans of the files of the scans table that it has not read yet.
func (si *scanIndex) load(ctx context.Context, s *datasets.Store, batchRows int) error {
	if si.seen == nil {
		si.seen = map[string]bool{}
	}
	keep := func(f datasets.File) bool { // called for one file at a time, before the reads
		if si.seen[f.Path] {
			return false
		}
		si.seen[f.Path] = true
		return true
	}
	_, err := tableRead{table: datasets.TableScans, columns: []string{"scan_id", "started", "finished"}, batchRows: batchRows, workers: 1, keep: keep}.
		run(ctx, s, func(_ int, f datasets.File, rec arrow.RecordBatch) error {
			cols, err := columns(rec, "scan_id", "started", "finished")
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			id, err := newStrCol(cols[0])
			if err != nil {
				return fmt.Errorf("%s: scan_id: %w", f.Path, err)
			}
			st, err := newTimeCol(cols[1])
			if err != nil {
				return fmt.Errorf("%s: started: %w", f.Path, err)
			}
			fin, err := newTimeCol(cols[2])
			if err != nil {
				return fmt.Errorf("%s: finished: %w", f.Path, err)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				k := id.value(i)
				if _, dup := si.ids[k]; dup || k == "" {
					continue
				}
				t, _ := st.at(i)
				e, _ := fin.at(i)
				si.ids[strings.Clone(k)] = int32(len(si.started))
				si.started = append(si.started, t)
				si.finished = append(si.finished, e)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("scans: %w", err)
	}
	return nil
}

// threat is the intelligence in effect at the build time: the KEV entries added by then
// and each CVE's EPSS score from the latest feed published by then.
type threat struct {
	kev  *intel.KEV
	epss map[string]float32

	mu      sync.Mutex
	cves    map[string]int32 // CVE -> number, for counting distinct CVEs per asset
	results []matchResult
}

// matchResult is what KEV.Match said of one (CPEs, product, version) identity.
type matchResult struct {
	cves    []int32
	version bool    // a match with ConfidenceVersion
	epss    float32 // highest EPSS of the matched CVEs
}

// kevAsOf returns the entries of k (or of the kev table when k is nil) added at or before
// limit, one per CVE (the earliest), in CVE order.
func kevAsOf(ctx context.Context, s *datasets.Store, k *intel.KEV, limit int64, batchRows int) (*intel.KEV, error) {
	byCVE := map[string]intel.KEVEntry{}
	add := func(e intel.KEVEntry) {
		if e.DateAdded.IsZero() || e.DateAdded.UnixMicro() > limit {
			return // an undated entry cannot be shown to predate the build
		}
		if old, ok := byCVE[e.CVE]; !ok || e.DateAdded.Before(old.DateAdded) {
			byCVE[e.CVE] = e
		}
	}
	if k != nil {
		for _, e := range k.Entries {
			add(e)
		}
	} else {
		_, err := tableRead{table: datasets.TableKEV, columns: datasets.KEVColumns, batchRows: batchRows, workers: 1}.
			run(ctx, s, func(_ int, f datasets.File, rec arrow.RecordBatch) error {
				rows, err := datasets.DecodeKEV(rec)
				if err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				for _, r := range rows {
					add(intel.KEVEntry{
						CVE:           strings.ToUpper(strings.TrimSpace(r.CVE)),
						VendorProject: r.VendorProject,
						Product:       r.Product,
						Name:          r.Name,
						DateAdded:     r.DateAdded,
					})
				}
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("kev: %w", err)
		}
	}
	out := &intel.KEV{Entries: make([]intel.KEVEntry, 0, len(byCVE))}
	for _, e := range byCVE {
		out.Entries = append(out.Entries, e)
	}
	sort.Slice(out.Entries, func(i, j int) bool { return out.Entries[i].CVE < out.Entries[j].CVE })
	return out, nil
}

// epssAsOf reads the EPSS scores of the latest feed scored at or before limit. Feeds are
// daily snapshots of every scored CVE, so only the files of the latest score date are read
// (files whose footers carry no statistics are read too). A row without a score date cannot
// be shown to predate the build and is left out.
func epssAsOf(ctx context.Context, s *datasets.Store, limit int64, batchRows int) (map[string]float32, error) {
	files, err := s.Files(datasets.TableEPSS)
	if err != nil {
		return nil, err
	}
	mins := map[string]footer{}
	var latest int64 = -1 << 63
	for _, f := range files {
		ft, err := readFooter(f, "score_date", "")
		if err != nil {
			return nil, err
		}
		mins[f.Path] = ft
		if ft.hasTime && ft.minTime <= limit && ft.minTime > latest {
			latest = ft.minTime
		}
	}
	keep := func(f datasets.File) bool {
		ft := mins[f.Path]
		return !ft.hasTime || ft.minTime == latest
	}
	type scored struct {
		epss float32
		at   int64
	}
	best := map[string]scored{}
	cols := []string{"cve", "epss", "score_date"}
	_, err = tableRead{table: datasets.TableEPSS, columns: cols, batchRows: batchRows, workers: 1, keep: keep}.
		run(ctx, s, func(_ int, f datasets.File, rec arrow.RecordBatch) error {
			c, err := columns(rec, cols...)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			cve, err := newStrCol(c[0])
			if err != nil {
				return fmt.Errorf("%s: cve: %w", f.Path, err)
			}
			score, ok := c[1].(*array.Float64)
			if !ok {
				return fmt.Errorf("%s: epss: column of %s, want float64", f.Path, c[1].DataType())
			}
			at, err := newTimeCol(c[2])
			if err != nil {
				return fmt.Errorf("%s: score_date: %w", f.Path, err)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				t, ok := at.at(i)
				if !ok || t > limit || score.IsNull(i) {
					continue
				}
				id := strings.ToUpper(strings.TrimSpace(cve.value(i)))
				if old, ok := best[id]; !ok || t > old.at {
					best[id] = scored{float32(score.Value(i)), t}
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("epss: %w", err)
	}
	out := make(map[string]float32, len(best))
	for k, v := range best {
		out[k] = v.epss
	}
	return out, nil
}

// lookupEPSS returns the score of a CVE named in any case.
func (t *threat) lookupEPSS(cve string) (float32, bool) {
	if v, ok := t.epss[cve]; ok {
		return v, true
	}
	v, ok := t.epss[strings.ToUpper(strings.TrimSpace(cve))]
	return v, ok
}

// match returns the number of the KEV match result for one identity, computing it on the
// first request. -1 means no KEV entry matches.
func (t *threat) match(cpes []string, product, version string) int32 {
	ms := t.kev.Match(cpes, product, version)
	if len(ms) == 0 {
		return -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := matchResult{}
	for _, m := range ms {
		id, ok := t.cves[m.CVE]
		if !ok {
			id = int32(len(t.cves))
			t.cves[m.CVE] = id
		}
		r.cves = append(r.cves, id)
		if m.Confidence == intel.ConfidenceVersion {
			r.version = true
		}
		if e, ok := t.lookupEPSS(m.CVE); ok && e > r.epss {
			r.epss = e
		}
	}
	t.results = append(t.results, r)
	return int32(len(t.results) - 1)
}
