package features

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
)

// snapKey names one inventory source: an import of one provider account.
type snapKey struct{ provider, account string }

// snapshot is the inventory as of a time: for every provider account, the assets of its
// latest snapshot at or before that time. Assets keep the order of the files and rows they
// were read from, so that every build emits them in the same order.
type snapshot struct {
	n       int      // assets
	idBytes []byte   // asset ids, one after another: no pointer per asset for the collector
	idEnd   []int    // idEnd[i] is the end of asset i's id in idBytes
	index   *idIndex // asset id -> number
	info    []assetInfo
	sgs     []int32 // arenas that assetInfo spans point into
	rules   []rule
	inet    []uint16
	keys    [4]int // interned images, groups, subnets, security groups
	chosen  map[snapKey]int64
	files   []datasets.File // asset files that hold rows of the chosen snapshots
	// assets are the chosen rows of each file as domain values, when loadSnapshot was asked
	// to keep them (file path -> rows in file order).
	assets map[string][]riskmap.Asset
	others []time.Time // times of the snapshots of the table that were not chosen, ascending

	ipOnce sync.Once
	ips    map[string]int32 // address -> asset, -1 when two assets share it
	ipErr  error
}

// span is a range of an arena.
type span struct{ off, end int }

// id returns asset i's id; idBytes returns it without a copy.
func (snap *snapshot) id(i int) string { return string(snap.idBytesOf(i)) }

func (snap *snapshot) idBytesOf(i int) []byte {
	start := 0
	if i > 0 {
		start = snap.idEnd[i-1]
	}
	return snap.idBytes[start:snap.idEnd[i]]
}

func (snap *snapshot) sgsOf(info *assetInfo) []int32 { return snap.sgs[info.sgs.off:info.sgs.end] }
func (snap *snapshot) rulesOf(info *assetInfo) []rule {
	return snap.rules[info.rules.off:info.rules.end]
}
func (snap *snapshot) inetOf(info *assetInfo) []uint16 { return snap.inet[info.inet.off:info.inet.end] }

// Key kinds, the index of snapshot.keys.
const (
	keyImage = iota
	keyGroup
	keySubnet
	keySG
)

// loadSnapshot reads the inventory as of asOf, each assets file at most once. Each account's
// latest snapshot is chosen from the files' footers (the snapshots the writer lists there, or
// statistics that prove a single one); only a file whose footer cannot tell has its snapshot
// times read first. Then the rows of the files that hold the
// chosen snapshots are decoded. keepAssets also keeps those rows as riskmap.Asset values
// (Estate.Assets), decoded in the same pass.
func loadSnapshot(ctx context.Context, s *datasets.Store, asOf time.Time, workers, batchRows int, keepAssets bool) (*snapshot, error) {
	limit := asOf.UnixMicro()
	type pair struct {
		k snapKey
		t int64
	}
	perWorker := make([]map[string]map[pair]bool, max(workers, 1))
	files, err := s.Files(datasets.TableAssets)
	if err != nil {
		return nil, err
	}
	proven := map[string]bool{}
	footers := map[string]map[pair]bool{}
	var mu sync.Mutex
	all := map[pair]bool{} // every snapshot of the table, later ones too
	for _, f := range files {
		snaps, ok, err := snapshotsOf(f)
		if err != nil {
			return nil, fmt.Errorf("assets: %w", err)
		}
		if !ok {
			continue
		}
		proven[f.Path] = true
		for k, ts := range snaps {
			for _, t := range ts {
				all[pair{k, t}] = true
				if t > limit {
					continue
				}
				if footers[f.Path] == nil {
					footers[f.Path] = map[pair]bool{}
				}
				footers[f.Path][pair{k, t}] = true
			}
		}
	}
	perWorker = append(perWorker, footers)
	_, err = tableRead{table: datasets.TableAssets, columns: []string{"snapshot_time", "provider", "account"}, batchRows: batchRows, workers: workers,
		keep: func(f datasets.File) bool { return !proven[f.Path] }}.
		run(ctx, s, func(w int, f datasets.File, rec arrow.RecordBatch) error {
			cols, err := columns(rec, "snapshot_time", "provider", "account")
			if err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			tc, err := newTimeCol(cols[0])
			if err != nil {
				return fmt.Errorf("%s: snapshot_time: %w", f.Path, err)
			}
			prov, err := newStrCol(cols[1])
			if err != nil {
				return fmt.Errorf("%s: provider: %w", f.Path, err)
			}
			acct, err := newStrCol(cols[2])
			if err != nil {
				return fmt.Errorf("%s: account: %w", f.Path, err)
			}
			if perWorker[w] == nil {
				perWorker[w] = map[string]map[pair]bool{}
			}
			set := perWorker[w][f.Path]
			if set == nil {
				set = map[pair]bool{}
				perWorker[w][f.Path] = set
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				t, ok := tc.at(i)
				if !ok {
					continue
				}
				p := pair{snapKey{prov.value(i), acct.value(i)}, t}
				if t > limit {
					mu.Lock()
					if !all[p] {
						all[pair{snapKey{strings.Clone(p.k.provider), strings.Clone(p.k.account)}, t}] = true
					}
					mu.Unlock()
					continue
				}
				if !set[p] {
					// the strings alias the batch: the set keeps copies
					p.k = snapKey{strings.Clone(p.k.provider), strings.Clone(p.k.account)}
					set[p] = true
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	snap := &snapshot{chosen: map[snapKey]int64{}}
	holds := map[string][]pair{}
	for _, m := range perWorker {
		for path, set := range m {
			for p := range set {
				all[p] = true
				if t, ok := snap.chosen[p.k]; !ok || p.t > t {
					snap.chosen[p.k] = p.t
				}
				holds[path] = append(holds[path], p)
			}
		}
	}
	keep := func(f datasets.File) bool {
		for _, p := range holds[f.Path] {
			if snap.chosen[p.k] == p.t {
				return true
			}
		}
		return false
	}
	for _, f := range files {
		if keep(f) {
			snap.files = append(snap.files, f)
		}
	}
	others := map[int64]bool{}
	for p := range all {
		if snap.chosen[p.k] != p.t {
			others[p.t] = true
		}
	}
	for t := range others {
		snap.others = append(snap.others, time.UnixMicro(t).UTC())
	}
	sort.Slice(snap.others, func(i, j int) bool { return snap.others[i].Before(snap.others[j]) })
	rows, tables, err := snap.decode(ctx, s, asOf, workers, batchRows, keep, keepAssets)
	if err != nil {
		return nil, err
	}
	snap.intern(rows, tables)
	return snap, nil
}

// keyTable numbers the key names (images, groups, subnets, security groups) that one worker
// meets, so that a name is copied out of Arrow memory once, not once per asset.
type keyTable struct {
	ids   [4]map[string]int32
	names [4][]string
}

func (k *keyTable) id(kind int, name string) int32 {
	if name == "" {
		return -1
	}
	if k.ids[kind] == nil {
		k.ids[kind] = map[string]int32{}
	}
	if v, ok := k.ids[kind][name]; ok {
		return v
	}
	name = strings.Clone(name)
	v := int32(len(k.names[kind]))
	k.ids[kind][name] = v
	k.names[kind] = append(k.names[kind], name)
	return v
}

// decode reads the chosen rows of the kept files, each file's rows in order.
func (snap *snapshot) decode(ctx context.Context, s *datasets.Store, asOf time.Time, workers, batchRows int, keep func(datasets.File) bool, keepAssets bool) (map[string]*fileRows, []keyTable, error) {
	var mu sync.Mutex
	out := map[string]*fileRows{}
	scratch := make([]assetRows, max(workers, 1))
	tables := make([]keyTable, max(workers, 1))
	cols := assetColumns
	if keepAssets {
		cols = allAssetColumns()
		snap.assets = map[string][]riskmap.Asset{}
	}
	_, err := tableRead{table: datasets.TableAssets, columns: cols, batchRows: batchRows, workers: workers, keep: keep}.
		run(ctx, s, func(w int, f datasets.File, rec arrow.RecordBatch) error {
			r := &scratch[w]
			if err := r.bind(rec, &tables[w]); err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			var decoded []riskmap.Asset
			if keepAssets {
				var err error
				if decoded, err = datasets.DecodeAssets(rec); err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
			}
			mu.Lock()
			fr := out[f.Path]
			if fr == nil {
				fr = &fileRows{worker: w}
				out[f.Path] = fr
			}
			mu.Unlock()
			// only worker w appends to fr: a file is read by one worker
			var kept []riskmap.Asset
			for i := 0; i < int(rec.NumRows()); i++ {
				t, ok := r.snap.at(i)
				if !ok || snap.chosen[snapKey{r.provider.value(i), r.account.value(i)}] != t {
					continue
				}
				r.row(i, asOf, fr)
				if keepAssets {
					kept = append(kept, decoded[i])
				}
			}
			if keepAssets {
				mu.Lock()
				snap.assets[f.Path] = append(snap.assets[f.Path], kept...)
				mu.Unlock()
			}
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("assets: %w", err)
	}
	return out, tables, nil
}

// intern numbers the assets in file order, moves them into the snapshot's arenas and
// renumbers their keys. An asset listed twice keeps its first row.
func (snap *snapshot) intern(files map[string]*fileRows, tables []keyTable) {
	total := 0
	for _, fr := range files {
		total += len(fr.rows)
	}
	snap.index = newIDIndex(total)
	snap.info = make([]assetInfo, 0, total)
	snap.idEnd = make([]int, 0, total)
	var global [4]map[string]int32
	for k := range global {
		global[k] = map[string]int32{}
	}
	// remap[w][kind][local] is the snapshot's number of a worker's key, -1 until met
	remap := make([][4][]int32, len(tables))
	for w := range tables {
		for k := range remap[w] {
			remap[w][k] = make([]int32, len(tables[w].names[k]))
			for i := range remap[w][k] {
				remap[w][k][i] = -1
			}
		}
	}
	key := func(w, kind int, local int32) int32 {
		if local < 0 {
			return -1
		}
		if g := remap[w][kind][local]; g >= 0 {
			return g
		}
		name := tables[w].names[kind][local]
		g, ok := global[kind][name]
		if !ok {
			g = int32(len(global[kind]))
			global[kind][name] = g
		}
		remap[w][kind][local] = g
		return g
	}
	for _, f := range snap.files {
		fr := files[f.Path]
		if fr == nil {
			continue
		}
		w := fr.worker
		for j := range fr.rows {
			id := fr.id(j)
			if _, added := snap.index.insert(id, int32(snap.n)); !added {
				continue
			}
			snap.n++
			snap.idBytes = append(snap.idBytes, id...)
			snap.idEnd = append(snap.idEnd, len(snap.idBytes))
			info := fr.rows[j]
			info.image, info.group, info.subnet = key(w, keyImage, info.image), key(w, keyGroup, info.group), key(w, keySubnet, info.subnet)
			sgs := fr.sgs[info.sgs.off:info.sgs.end]
			info.sgs.off = len(snap.sgs)
			for _, sg := range sgs {
				snap.sgs = append(snap.sgs, key(w, keySG, sg))
			}
			info.sgs.end = len(snap.sgs)
			info.rules = appendSpan(&snap.rules, fr.rules, info.rules)
			info.inet = appendSpan(&snap.inet, fr.inet, info.inet)
			snap.info = append(snap.info, info)
		}
		delete(files, f.Path) // let the collector have the file's rows
	}
	for k := range global {
		snap.keys[k] = len(global[k])
	}
}

// appendSpan copies src[sp] to the end of *dst and returns where it now lies.
func appendSpan[T any](dst *[]T, src []T, sp span) span {
	off := len(*dst)
	*dst = append(*dst, src[sp.off:sp.end]...)
	return span{off, len(*dst)}
}

// asset returns the index of the asset an observed row belongs to: by its asset_id when
// set, else by its address in the snapshot. -1 means no asset of the snapshot.
func (snap *snapshot) asset(id, ip string) int32 {
	if id != "" {
		if v, ok := snap.index.lookup(id); ok {
			return v
		}
		return -1
	}
	if ip == "" {
		return -1
	}
	if v, ok := snap.ips[ip]; ok {
		return v
	}
	return -1
}
