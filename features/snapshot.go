package features

import (
	"context"
	"fmt"
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
	ids    []string
	index  *idIndex
	info   []assetInfo
	keys   [4]int // interned images, groups, subnets, security groups
	chosen map[snapKey]int64
	files  []datasets.File // asset files that hold rows of the chosen snapshots

	ipOnce sync.Once
	ips    map[string]int32 // address -> asset, -1 when two assets share it
	ipErr  error
}

// Key kinds, the index of snapshot.keys.
const (
	keyImage = iota
	keyGroup
	keySubnet
	keySG
)

// decoded is one asset row. Its keys (image, group, subnet, security groups) carry the
// numbers of the worker that read it, until intern renumbers them.
type decoded struct {
	id   string
	info assetInfo
}

// loadSnapshot reads the inventory as of asOf. It reads the assets table twice: the
// snapshot times alone, to choose each account's latest snapshot, then the whole rows of
// the files that hold them.
func loadSnapshot(ctx context.Context, s *datasets.Store, asOf time.Time, workers, batchRows int) (*snapshot, error) {
	limit := asOf.UnixMicro()
	type pair struct {
		k snapKey
		t int64
	}
	perWorker := make([]map[string]map[pair]bool, max(workers, 1))
	_, err := tableRead{table: datasets.TableAssets, columns: []string{"snapshot_time", "provider", "account"}, batchRows: batchRows, workers: workers}.
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
				if !ok || t > limit {
					continue
				}
				p := pair{snapKey{prov.value(i), acct.value(i)}, t}
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
	all, err := s.Files(datasets.TableAssets)
	if err != nil {
		return nil, err
	}
	for _, f := range all {
		if keep(f) {
			snap.files = append(snap.files, f)
		}
	}
	rows, tables, err := snap.decode(ctx, s, asOf, workers, batchRows, keep)
	if err != nil {
		return nil, err
	}
	snap.intern(rows, tables)
	return snap, nil
}

// fileRows are the chosen rows of one file, decoded by one worker.
type fileRows struct {
	worker int
	rows   []decoded
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
func (snap *snapshot) decode(ctx context.Context, s *datasets.Store, asOf time.Time, workers, batchRows int, keep func(datasets.File) bool) (map[string]*fileRows, []keyTable, error) {
	var mu sync.Mutex
	out := map[string]*fileRows{}
	scratch := make([]assetRows, max(workers, 1))
	tables := make([]keyTable, max(workers, 1))
	_, err := tableRead{table: datasets.TableAssets, columns: assetColumns, batchRows: batchRows, workers: workers, keep: keep}.
		run(ctx, s, func(w int, f datasets.File, rec arrow.RecordBatch) error {
			r := &scratch[w]
			if err := r.bind(rec); err != nil {
				return fmt.Errorf("%s: %w", f.Path, err)
			}
			mu.Lock()
			fr := out[f.Path]
			if fr == nil {
				fr = &fileRows{worker: w}
				out[f.Path] = fr
			}
			mu.Unlock()
			// only worker w appends to fr: a file is read by one worker
			for i := 0; i < int(rec.NumRows()); i++ {
				t, ok := r.snap.at(i)
				if !ok || snap.chosen[snapKey{r.provider.value(i), r.account.value(i)}] != t {
					continue
				}
				fr.rows = append(fr.rows, decoded{})
				r.row(i, asOf, &tables[w], &fr.rows[len(fr.rows)-1])
			}
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("assets: %w", err)
	}
	return out, tables, nil
}

// intern numbers the assets in file order, and their keys. An asset listed twice keeps its
// first row.
func (snap *snapshot) intern(files map[string]*fileRows, tables []keyTable) {
	total := 0
	for _, fr := range files {
		total += len(fr.rows)
	}
	snap.index = newIDIndex(total)
	snap.ids = make([]string, 0, total)
	snap.info = make([]assetInfo, 0, total)
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
		for j := range fr.rows {
			d := &fr.rows[j]
			if _, added := snap.index.insert(d.id, int32(len(snap.ids))); !added {
				continue
			}
			snap.ids = append(snap.ids, d.id)
			info := &d.info
			info.image, info.group, info.subnet = key(fr.worker, keyImage, info.image), key(fr.worker, keyGroup, info.group), key(fr.worker, keySubnet, info.subnet)
			for i, sg := range info.sgs {
				info.sgs[i] = key(fr.worker, keySG, sg)
			}
			snap.info = append(snap.info, *info)
		}
		fr.rows = nil // let the collector have them
	}
	for k := range global {
		snap.keys[k] = len(global[k])
	}
}

var assetColumns = []string{
	"snapshot_time", "asset_id", "provider", "account", "subnet", "kind", "state", "image", "group",
	"security_groups", "public_ips", "tags", "launched_at", "os_family", "exposed",
	"internet_exposed_ports",
}

// assetRows reads asset rows out of a record into a scratch riskmap.Asset, so that the
// features of a row come from the domain type's own methods.
type assetRows struct {
	snap, launched                                           timeCol
	id, provider, account, subnet, kind, state, image, group strCol
	osFamily                                                 strCol
	sgs, public                                              strListCol
	tags                                                     listCol
	tagKey, tagValue                                         strCol
	exposed                                                  listCol
	eProto, eSource                                          strCol
	eFrom, eTo                                               []int32
	inet                                                     listCol
	inetPorts                                                []int32
	a                                                        riskmap.Asset
	inetRules                                                []riskmap.Exposure // scratch for staticFeatures
}

func (r *assetRows) bind(rec arrow.RecordBatch) error {
	cols, err := columns(rec, assetColumns...)
	if err != nil {
		return err
	}
	var errs []error
	must := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var e error
	r.snap, e = newTimeCol(cols[0])
	must(e)
	for i, p := range []*strCol{&r.id, &r.provider, &r.account, &r.subnet, &r.kind, &r.state, &r.image, &r.group} {
		*p, e = newStrCol(cols[1+i])
		must(e)
	}
	r.sgs, e = newStrListCol(cols[9])
	must(e)
	r.public, e = newStrListCol(cols[10])
	must(e)
	var vals arrow.Array
	r.tags, vals, e = newListCol(cols[11])
	must(e)
	if e == nil {
		k, e1 := structField(vals, 0)
		v, e2 := structField(vals, 1)
		must(e1)
		must(e2)
		if e1 == nil && e2 == nil {
			r.tagKey, e = newStrCol(k)
			must(e)
			r.tagValue, e = newStrCol(v)
			must(e)
		}
	}
	r.launched, e = newTimeCol(cols[12])
	must(e)
	r.osFamily, e = newStrCol(cols[13])
	must(e)
	r.exposed, vals, e = newListCol(cols[14])
	must(e)
	if e == nil {
		var fs [4]arrow.Array
		for k := range fs {
			fs[k], e = structField(vals, k)
			must(e)
		}
		if fs[0] != nil && fs[1] != nil && fs[2] != nil && fs[3] != nil {
			r.eProto, e = newStrCol(fs[0])
			must(e)
			r.eFrom, e = int32Col(fs[1])
			must(e)
			r.eTo, e = int32Col(fs[2])
			must(e)
			r.eSource, e = newStrCol(fs[3])
			must(e)
		}
	}
	r.inet, vals, e = newListCol(cols[15])
	must(e)
	if e == nil {
		r.inetPorts, e = int32Col(vals)
		must(e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("assets columns: %w", errs[0])
	}
	return nil
}

// row decodes row i into d and computes its static features. The id is copied out of Arrow
// memory; key names go through keys.
func (r *assetRows) row(i int, asOf time.Time, keys *keyTable, d *decoded) {
	a := &r.a
	a.ID, a.Kind, a.State, a.OSFamily = r.id.value(i), r.kind.value(i), r.state.value(i), r.osFamily.value(i)
	a.SecurityGroups = a.SecurityGroups[:0]
	s, e := r.sgs.span(i)
	for j := s; j < e; j++ {
		a.SecurityGroups = append(a.SecurityGroups, r.sgs.v.value(j))
	}
	a.PublicIPs = a.PublicIPs[:0]
	s, e = r.public.span(i)
	for j := s; j < e; j++ {
		a.PublicIPs = append(a.PublicIPs, r.public.v.value(j))
	}
	a.Tags = a.Tags[:0]
	s, e = r.tags.span(i)
	for j := s; j < e; j++ {
		a.Tags = append(a.Tags, riskmap.Tag{Key: r.tagKey.value(j), Value: r.tagValue.value(j)})
	}
	a.LaunchedAt = time.Time{}
	if t, ok := r.launched.at(i); ok {
		a.LaunchedAt = time.UnixMicro(t).UTC()
	}
	a.Exposed = a.Exposed[:0]
	s, e = r.exposed.span(i)
	for j := s; j < e; j++ {
		a.Exposed = append(a.Exposed, riskmap.Exposure{
			Proto: r.eProto.value(j), FromPort: int(r.eFrom[j]), ToPort: int(r.eTo[j]), Source: r.eSource.value(j),
		})
	}
	a.InternetExposedPorts = a.InternetExposedPorts[:0]
	s, e = r.inet.span(i)
	for j := s; j < e; j++ {
		a.InternetExposedPorts = append(a.InternetExposedPorts, int(r.inetPorts[j]))
	}

	d.id = strings.Clone(a.ID)
	info := &d.info
	info.image = keys.id(keyImage, r.image.value(i))
	info.group = keys.id(keyGroup, r.group.value(i))
	info.subnet = keys.id(keySubnet, r.subnet.value(i))
	for _, sg := range a.SecurityGroups {
		if v := keys.id(keySG, sg); v >= 0 {
			info.sgs = append(info.sgs, v)
		}
	}
	staticFeatures(a, asOf, &info.static, &r.inetRules)
	info.os = osFamily(a.OSFamily)
	if len(a.Exposed) > 0 {
		info.rules = make([]rule, 0, len(a.Exposed))
		for _, x := range a.Exposed {
			info.rules = append(info.rules, rule{lo: clampPort(x.FromPort), hi: clampPort(x.ToPort), proto: protoCode(x.Proto), internet: x.Internet()})
		}
	}
	if len(a.InternetExposedPorts) > 0 {
		info.inet = make([]uint16, 0, len(a.InternetExposedPorts))
		for _, p := range a.InternetExposedPorts {
			info.inet = append(info.inet, clampPort(p))
		}
	}
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

// loadIPs builds the address index, once, the first time a row without an asset_id needs
// it: most workspaces join at ingest, and then the index is never paid for.
func (snap *snapshot) loadIPs(ctx context.Context, s *datasets.Store, batchRows int) error {
	snap.ipOnce.Do(func() {
		ips := map[string]int32{}
		files := map[string]bool{}
		for _, f := range snap.files {
			files[f.Path] = true
		}
		cols := []string{"snapshot_time", "asset_id", "provider", "account", "private_ips", "public_ips"}
		_, snap.ipErr = tableRead{table: datasets.TableAssets, columns: cols, batchRows: batchRows, workers: 1,
			keep: func(f datasets.File) bool { return files[f.Path] }}.
			run(ctx, s, func(_ int, f datasets.File, rec arrow.RecordBatch) error {
				c, err := columns(rec, cols...)
				if err != nil {
					return fmt.Errorf("%s: %w", f.Path, err)
				}
				tc, err1 := newTimeCol(c[0])
				id, err2 := newStrCol(c[1])
				prov, err3 := newStrCol(c[2])
				acct, err4 := newStrCol(c[3])
				priv, err5 := newStrListCol(c[4])
				pub, err6 := newStrListCol(c[5])
				for _, err := range []error{err1, err2, err3, err4, err5, err6} {
					if err != nil {
						return fmt.Errorf("%s: %w", f.Path, err)
					}
				}
				for i := 0; i < int(rec.NumRows()); i++ {
					t, ok := tc.at(i)
					if !ok || snap.chosen[snapKey{prov.value(i), acct.value(i)}] != t {
						continue
					}
					a, ok := snap.index.lookup(id.value(i))
					if !ok {
						continue
					}
					for _, l := range []*strListCol{&priv, &pub} {
						s, e := l.span(i)
						for j := s; j < e; j++ {
							ip := l.v.value(j)
							if old, ok := ips[ip]; ok && old != a {
								ips[ip] = -1 // shared: joining by it would guess
								continue
							}
							ips[strings.Clone(ip)] = a
						}
					}
				}
				return nil
			})
		snap.ips = ips
	})
	return snap.ipErr
}
