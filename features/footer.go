package features

import (
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/riskmap/riskmap/datasets"
)

// footer is what a Parquet footer says of one file without reading its pages: the row count
// and the smallest value of one timestamp column, and the range of one string column.
type footer struct {
	rows    int64
	minTime int64 // microseconds; valid when hasTime
	hasTime bool
	minStr  string // valid when hasStr
	maxStr  string
	hasStr  bool
}

// readFooter reads the footer of f. timeCol and strCol name the columns whose statistics
// are wanted ("" for none). A column without statistics leaves has* false, and the caller
// must then assume the worst (the file may hold anything).
func readFooter(f datasets.File, timeCol, strCol string) (footer, error) {
	pf, err := file.OpenParquetFile(f.Path, false)
	if err != nil {
		return footer{}, fmt.Errorf("read footer %s: %w", f.Path, err)
	}
	defer pf.Close()
	md := pf.MetaData()
	out := footer{rows: md.NumRows}
	if timeCol != "" {
		out.minTime, out.hasTime = int64Min(md, timeCol)
	}
	if strCol != "" {
		out.minStr, out.maxStr, out.hasStr = strRange(md, strCol)
	}
	return out, nil
}

func int64Min(md *metadata.FileMetaData, column string) (int64, bool) {
	idx := md.Schema.ColumnIndexByName(column)
	if idx < 0 || md.NumRowGroups() == 0 {
		return 0, false
	}
	var lo int64
	for g := 0; g < md.NumRowGroups(); g++ {
		cc, err := md.RowGroup(g).ColumnChunk(idx)
		if err != nil {
			return 0, false
		}
		st, err := columnStats(cc)
		if err != nil || st == nil {
			return 0, false
		}
		s, ok := st.(*metadata.Int64Statistics)
		// A null in the column could be anything: without a proven lower bound the file
		// is not skipped.
		if !ok || !s.HasMinMax() || s.NullCount() > 0 {
			return 0, false
		}
		if g == 0 || s.Min() < lo {
			lo = s.Min()
		}
	}
	return lo, true
}

// int64Range is the smallest and largest value of an int64 (timestamp) column, from the
// statistics of every row group; ok is false when any row group lacks them or has a null.
func int64Range(md *metadata.FileMetaData, column string) (lo, hi int64, ok bool) {
	idx := md.Schema.ColumnIndexByName(column)
	if idx < 0 || md.NumRowGroups() == 0 {
		return 0, 0, false
	}
	for g := 0; g < md.NumRowGroups(); g++ {
		cc, err := md.RowGroup(g).ColumnChunk(idx)
		if err != nil {
			return 0, 0, false
		}
		st, err := columnStats(cc)
		if err != nil || st == nil {
			return 0, 0, false
		}
		s, ok := st.(*metadata.Int64Statistics)
		if !ok || !s.HasMinMax() || s.NullCount() > 0 {
			return 0, 0, false
		}
		if g == 0 || s.Min() < lo {
			lo = s.Min()
		}
		if g == 0 || s.Max() > hi {
			hi = s.Max()
		}
	}
	return lo, hi, true
}

// snapshotsOf lists the inventory snapshots (provider, account, time) of the rows of an
// assets file from its footer alone: the list the writer keeps there
// (datasets.AssetsSnapshotsKey), or, for a file written without it, the one snapshot its
// column statistics prove when they show a single provider, account and time. ok is false
// when the footer cannot tell; the file's times must then be read.
func snapshotsOf(f datasets.File) (map[snapKey][]int64, bool, error) {
	pf, err := file.OpenParquetFile(f.Path, false)
	if err != nil {
		return nil, false, fmt.Errorf("read footer %s: %w", f.Path, err)
	}
	defer pf.Close()
	md := pf.MetaData()
	if v := md.KeyValueMetadata().FindValue(datasets.AssetsSnapshotsKey); v != nil {
		list, err := datasets.ParseAssetSnapshots(*v)
		if err != nil {
			return nil, false, fmt.Errorf("read footer %s: %w", f.Path, err)
		}
		out := map[snapKey][]int64{}
		for _, s := range list {
			k := snapKey{s.Provider, s.Account}
			out[k] = append(out[k], s.Time)
		}
		return out, true, nil
	}
	lo, hi, ok := int64Range(md, "snapshot_time")
	if !ok || lo != hi {
		return nil, false, nil
	}
	p1, p2, ok1 := strRange(md, "provider")
	a1, a2, ok2 := strRange(md, "account")
	if !ok1 || !ok2 || p1 != p2 || a1 != a2 {
		return nil, false, nil
	}
	return map[snapKey][]int64{{p1, a1}: {lo}}, true, nil
}

func strRange(md *metadata.FileMetaData, column string) (string, string, bool) {
	idx := md.Schema.ColumnIndexByName(column)
	if idx < 0 || md.NumRowGroups() == 0 {
		return "", "", false
	}
	var lo, hi string
	for g := 0; g < md.NumRowGroups(); g++ {
		cc, err := md.RowGroup(g).ColumnChunk(idx)
		if err != nil {
			return "", "", false
		}
		st, err := columnStats(cc)
		if err != nil || st == nil {
			return "", "", false
		}
		s, ok := st.(*metadata.ByteArrayStatistics)
		if !ok || !s.HasMinMax() || s.NullCount() > 0 {
			return "", "", false
		}
		mn, mx := string(s.Min()), string(s.Max())
		if g == 0 || mn < lo {
			lo = mn
		}
		if g == 0 || mx > hi {
			hi = mx
		}
	}
	return lo, hi, true
}

func columnStats(cc *metadata.ColumnChunkMetaData) (metadata.TypedStatistics, error) {
	ok, err := cc.StatsSet()
	if err != nil || !ok {
		return nil, err
	}
	return cc.Statistics()
}
