package features

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/riskmap/riskmap"
)

var assetColumns = []string{
	"snapshot_time", "asset_id", "provider", "account", "subnet", "kind", "state", "image", "group",
	"security_groups", "public_ips", "tags", "launched_at", "os_family", "exposed",
	"internet_exposed_ports",
}

// fileRows are the chosen rows of one assets file, decoded by one worker. Their ids, security
// groups, rules and internet ports lie in the file's own arenas, and their keys carry the
// worker's numbers, until intern moves them into the snapshot.
type fileRows struct {
	worker  int
	rows    []assetInfo
	idBytes []byte
	idEnd   []int // idEnd[j] is the end of row j's id in idBytes
	sgs     []int32
	rules   []rule
	inet    []uint16
}

func (fr *fileRows) id(j int) []byte {
	start := 0
	if j > 0 {
		start = fr.idEnd[j-1]
	}
	return fr.idBytes[start:fr.idEnd[j]]
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

	// key numbering: the memos catch repeated names by dictionary index
	keys                         *keyTable
	mImage, mGroup, mSubnet, mSG memo
	fImage, fGroup, fSubnet, fSG func(string) int32
}

func (r *assetRows) bind(rec arrow.RecordBatch, keys *keyTable) error {
	if r.keys != keys {
		r.keys = keys
		r.fImage = func(v string) int32 { return keys.id(keyImage, v) }
		r.fGroup = func(v string) int32 { return keys.id(keyGroup, v) }
		r.fSubnet = func(v string) int32 { return keys.id(keySubnet, v) }
		r.fSG = func(v string) int32 { return keys.id(keySG, v) }
	}
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
	r.mImage.reset(&r.image)
	r.mGroup.reset(&r.group)
	r.mSubnet.reset(&r.subnet)
	r.mSG.reset(&r.sgs.v)
	return nil
}

// row decodes row i, computes its static features and appends it to fr.
func (r *assetRows) row(i int, asOf time.Time, fr *fileRows) {
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

	fr.idBytes = append(fr.idBytes, a.ID...)
	fr.idEnd = append(fr.idEnd, len(fr.idBytes))
	info := assetInfo{
		image:  r.mImage.get(&r.image, i, r.fImage),
		group:  r.mGroup.get(&r.group, i, r.fGroup),
		subnet: r.mSubnet.get(&r.subnet, i, r.fSubnet),
		os:     osFamily(a.OSFamily),
	}
	info.sgs.off = len(fr.sgs)
	s, e = r.sgs.span(i)
	for j := s; j < e; j++ {
		if v := r.mSG.get(&r.sgs.v, j, r.fSG); v >= 0 {
			fr.sgs = append(fr.sgs, v)
		}
	}
	info.sgs.end = len(fr.sgs)
	staticFeatures(a, asOf, &info.static, &r.inetRules)
	info.launched = noLaunch
	if !a.LaunchedAt.IsZero() {
		info.launched = a.LaunchedAt.UnixMicro()
	}
	info.rules.off = len(fr.rules)
	for _, x := range a.Exposed {
		fr.rules = append(fr.rules, rule{lo: clampPort(x.FromPort), hi: clampPort(x.ToPort), proto: protoCode(x.Proto), internet: x.Internet()})
	}
	info.rules.end = len(fr.rules)
	info.inet.off = len(fr.inet)
	for _, p := range a.InternetExposedPorts {
		fr.inet = append(fr.inet, clampPort(p))
	}
	info.inet.end = len(fr.inet)
	fr.rows = append(fr.rows, info)
}
