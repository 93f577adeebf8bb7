package datasets

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
)

// AssetsRecord builds a record of the assets table. The caller releases it. Its schema's
// metadata (AssetsSnapshotsKey), which the Parquet writer keeps in the file's footer, lists
// the inventory snapshots its rows belong to, so that a reader can choose each account's
// latest snapshot from the footers without reading rows.
func AssetsRecord(mem memory.Allocator, assets []riskmap.Asset) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, AssetsSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, a := range assets {
		r.row()
		r.time(a.SnapshotTime)
		r.str(a.ID)
		r.str(a.Provider)
		r.str(a.Account)
		r.str(a.Region)
		r.str(a.Network)
		r.str(a.Subnet)
		r.str(a.Kind)
		r.str(a.State)
		r.str(a.Image)
		r.str(a.Group)
		r.strs(a.SecurityGroups)
		r.strs(a.PrivateIPs)
		r.strs(a.PublicIPs)
		r.strs(a.DNSNames)
		tags := a.Tags
		r.pairs(len(tags), func(i int) (string, string) { return tags[i].Key, tags[i].Value })
		r.time(a.LaunchedAt)
		r.str(a.OSFamily)
		lb := r.next().(*array.ListBuilder)
		lb.Append(true)
		sb := lb.ValueBuilder().(*array.StructBuilder)
		for _, e := range a.Exposed {
			sb.Append(true)
			sb.FieldBuilder(0).(*array.StringBuilder).Append(e.Proto)
			sb.FieldBuilder(1).(*array.Int32Builder).Append(int32(e.FromPort))
			sb.FieldBuilder(2).(*array.Int32Builder).Append(int32(e.ToPort))
			sb.FieldBuilder(3).(*array.StringBuilder).Append(e.Source)
		}
		r.ints(a.InternetExposedPorts)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	md := arrow.NewMetadata([]string{AssetsSnapshotsKey}, []string{encodeSnapshots(assets)})
	return array.NewRecordBatch(arrow.NewSchema(AssetsSchema.Fields(), &md), rec.Columns(), rec.NumRows())
}

// DecodeAssets reads the rows of an assets record.
func DecodeAssets(rec arrow.RecordBatch) ([]riskmap.Asset, error) {
	r := newRowReader(TableAssets, rec)
	if err := r.need("asset_id", "snapshot_time", "private_ips"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Asset, rec.NumRows())
	for i := range out {
		a := riskmap.Asset{
			SnapshotTime: r.time("snapshot_time", i), ID: r.str("asset_id", i),
			Provider: r.str("provider", i), Account: r.str("account", i), Region: r.str("region", i),
			Network: r.str("network", i), Subnet: r.str("subnet", i), Kind: r.str("kind", i),
			State: r.str("state", i), Image: r.str("image", i), Group: r.str("group", i),
			SecurityGroups: r.strs("security_groups", i), PrivateIPs: r.strs("private_ips", i),
			PublicIPs: r.strs("public_ips", i), DNSNames: r.strs("dns_names", i),
			LaunchedAt: r.time("launched_at", i), OSFamily: r.str("os_family", i),
			InternetExposedPorts: r.ints("internet_exposed_ports", i),
		}
		r.structs("tags", i, func(st *array.Struct, j int) {
			a.Tags = append(a.Tags, riskmap.Tag{Key: fieldStr(st, 0, j), Value: fieldStr(st, 1, j)})
		})
		r.structs("exposed", i, func(st *array.Struct, j int) {
			a.Exposed = append(a.Exposed, riskmap.Exposure{
				Proto: fieldStr(st, 0, j), FromPort: fieldInt(st, 1, j), ToPort: fieldInt(st, 2, j),
				Source: fieldStr(st, 3, j),
			})
		})
		out[i] = a
	}
	return out, nil
}

// AssetsSnapshotsKey is the footer key of an assets file that lists the snapshots of its
// rows: a JSON array of AssetSnapshot, one per distinct (provider, account, snapshot time).
// Rows without a snapshot time are not listed.
const AssetsSnapshotsKey = "riskmap.snapshots"

// AssetSnapshot is one inventory snapshot of one provider account.
type AssetSnapshot struct {
	Provider string `json:"provider"`
	Account  string `json:"account"`
	// Time is the snapshot time in microseconds since the epoch, as the column stores it.
	Time int64 `json:"time_us"`
}

func encodeSnapshots(assets []riskmap.Asset) string {
	seen := map[AssetSnapshot]bool{}
	out := []AssetSnapshot{}
	for i := range assets {
		a := &assets[i]
		if a.SnapshotTime.IsZero() {
			continue
		}
		k := AssetSnapshot{a.Provider, a.Account, a.SnapshotTime.UnixMicro()}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Time < out[j].Time
	})
	b, _ := json.Marshal(out) // plain strings and ints: cannot fail
	return string(b)
}

// ParseAssetSnapshots reads the value of an assets file's AssetsSnapshotsKey.
func ParseAssetSnapshots(v string) ([]AssetSnapshot, error) {
	var out []AssetSnapshot
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("footer key %s: want a JSON array of {provider, account, time_us}: %w", AssetsSnapshotsKey, err)
	}
	return out, nil
}
