package features

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/intel"
)

// InputsKey is the features file's metadata key that holds the fingerprint of the inputs it
// was built from.
const InputsKey = "riskmap.inputs"

// Partition is the features table partition that holds the rows of asOf: as_of=YYYY-MM-DDTHH.
func Partition(asOf time.Time) string {
	return "as_of=" + asOf.UTC().Format("2006-01-02T15")
}

// FileID is the id of the features file of asOf. There is one file per as_of time, so a
// rebuild replaces it atomically instead of adding a second copy of the rows.
func FileID(asOf time.Time) string {
	t := asOf.UTC()
	id := "features-" + t.Format("20060102T150405")
	if us := t.Nanosecond() / 1000; us != 0 {
		id += fmt.Sprintf(".%06d", us)
	}
	return id + "Z"
}

// WriteFeatures builds the features as of asOf (see Build; kev nil means the kev table) and
// writes them to the features table as the file FileID(asOf) in Partition(asOf). The file
// records the fingerprint of its inputs (Version, the feature names, asOf, and every input
// file that may hold rows at or before asOf, by partition, name and size; input files are
// named by content). When the stored file already has the fingerprint of the current
// inputs, nothing is built or written and its row count is returned: building the same as_of
// twice with unchanged inputs changes nothing, and neither does adding only later scans.
//
// All rows are held until the one atomic write, so memory grows with the number of assets.
func WriteFeatures(ctx context.Context, w *datasets.Writer, asOf time.Time, kev *intel.KEV) (rows int, err error) {
	s := w.Store()
	fp, err := Fingerprint(ctx, s, asOf, kev)
	if err != nil {
		return 0, err
	}
	if n, ok, err := stored(s, asOf, fp); err != nil || ok {
		return n, err
	}
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	sc := datasets.FeaturesSchema(Version, Names())
	md := sc.Metadata()
	keys := append(slices.Clone(md.Keys()), InputsKey)
	vals := append(slices.Clone(md.Values()), fp)
	meta := arrow.NewMetadata(keys, vals)
	withInputs := arrow.NewSchema(sc.Fields(), &meta)
	_, err = Build(ctx, s, BuildOptions{AsOf: asOf, KEV: kev}, func(rec arrow.RecordBatch) error {
		recs = append(recs, array.NewRecordBatch(withInputs, rec.Columns(), rec.NumRows()))
		rows += int(rec.NumRows())
		return nil
	})
	if err != nil {
		return 0, err
	}
	if rows == 0 {
		return 0, nil
	}
	if err := w.WriteTable(datasets.TableFeatures, Partition(asOf), FileID(asOf), recs...); err != nil {
		return 0, fmt.Errorf("features %s: %w", asOf.UTC().Format(time.RFC3339), err)
	}
	return rows, nil
}

// Current reports whether the features file of asOf exists and was built from the inputs
// that the workspace holds now.
func Current(ctx context.Context, s *datasets.Store, asOf time.Time, kev *intel.KEV) (bool, error) {
	fp, err := Fingerprint(ctx, s, asOf, kev)
	if err != nil {
		return false, err
	}
	_, ok, err := stored(s, asOf, fp)
	return ok, err
}

// stored returns the row count of the features file of asOf when its fingerprint is fp.
func stored(s *datasets.Store, asOf time.Time, fp string) (int, bool, error) {
	path := filepath.Join(s.TablePath(datasets.TableFeatures), Partition(asOf), FileID(asOf)+".parquet")
	pf, err := file.OpenParquetFile(path, false)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("features %s: %w", path, err)
	}
	defer pf.Close()
	v := pf.MetaData().KeyValueMetadata().FindValue(InputsKey)
	if v == nil || *v != fp {
		return 0, false, nil
	}
	return int(pf.NumRows()), true, nil
}

// timeColumns names, per input table, the timestamp column whose footer statistics can
// prove that a file holds nothing at or before a time.
var timeColumns = map[string]string{
	datasets.TableAssets:       "snapshot_time",
	datasets.TableScans:        "started",
	datasets.TableHosts:        "scan_time",
	datasets.TableObservations: "scan_time",
	datasets.TableDiffs:        "scan_time",
	datasets.TableEPSS:         "score_date",
	datasets.TableKEV:          "date_added",
	datasets.TableFindings:     "",
}

// Fingerprint is the identity of what the features of asOf are built from: Version, the
// feature names, asOf, the KEV entries of kev added by then (or the kev table's files), and
// every input file that may hold a row at or before asOf. Files whose footers prove that
// every row is later (a scan imported after asOf) are left out, so adding them does not
// make older features stale.
func Fingerprint(ctx context.Context, s *datasets.Store, asOf time.Time, kev *intel.KEV) (string, error) {
	limit := asOf.UnixMicro()
	h := sha256.New()
	fmt.Fprintf(h, "riskmap features %s\n%s\n%d\n", Version, strings.Join(Names(), ","), limit)
	scans, err := loadScans(ctx, s, 0)
	if err != nil {
		return "", err
	}
	tables := []string{datasets.TableAssets, datasets.TableScans, datasets.TableHosts, datasets.TableObservations,
		datasets.TableFindings, datasets.TableDiffs, datasets.TableEPSS}
	if kev == nil {
		tables = append(tables, datasets.TableKEV)
	} else {
		for _, e := range kev.Entries {
			if !e.DateAdded.IsZero() && e.DateAdded.UnixMicro() <= limit {
				fmt.Fprintf(h, "kev %s|%s|%s|%d\n", e.CVE, e.VendorProject, e.Product, e.DateAdded.UnixMicro())
			}
		}
	}
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := hashTable(h, s, t, limit, scans); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashTable(h hash.Hash, s *datasets.Store, table string, limit int64, scans *scanIndex) error {
	files, err := s.Files(table)
	if err != nil {
		return err
	}
	for _, f := range files {
		tc := timeColumns[table]
		sc := ""
		if tc == "" {
			sc = "scan_id"
		}
		ft, err := readFooter(f, tc, sc)
		if err != nil {
			return err
		}
		if tc != "" && ft.hasTime && ft.minTime > limit {
			continue
		}
		if sc != "" && ft.hasStr && ft.minStr == ft.maxStr {
			if n, ok := scans.ids[ft.minStr]; ok && scans.done(n) > limit {
				continue
			}
		}
		h.Write([]byte(table + "/" + f.Partition + "/" + f.Name + " " + strconv.FormatInt(f.Size, 10) + "\n"))
	}
	return nil
}
