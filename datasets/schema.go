package datasets

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
)

// SchemaVersionKey is the schema metadata key that carries a table's schema version.
const SchemaVersionKey = "riskmap.schema_version"

// Table names.
const (
	TableAssets       = "assets"
	TableScans        = "scans"
	TableHosts        = "hosts"
	TableObservations = "observations"
	TableFindings     = "findings"
	TableFeatures     = "features"
	TableScores       = "scores"
	TableDiffs        = "diffs"
	TableKEV          = "kev"
	TableEPSS         = "epss"
	TableCycles       = "cycles"
	TableAlerts       = "alerts"
)

// Timestamp is the type of every time column: microseconds, UTC.
var Timestamp = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

var (
	stringList = arrow.ListOf(arrow.BinaryTypes.String)
	int32List  = arrow.ListOf(arrow.PrimitiveTypes.Int32)
	tagType    = arrow.StructOf(
		arrow.Field{Name: "key", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "value", Type: arrow.BinaryTypes.String},
	)
	exposureType = arrow.StructOf(
		arrow.Field{Name: "proto", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "from_port", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "to_port", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "source", Type: arrow.BinaryTypes.String},
	)
	scriptType = arrow.StructOf(
		arrow.Field{Name: "id", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "output", Type: arrow.BinaryTypes.String},
	)
	segmentType = arrow.StructOf(
		arrow.Field{Name: "segment", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "jobs", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "done", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "refused", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "dead", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "queued", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "live_workers", Type: arrow.PrimitiveTypes.Int32},
	)
	countType = arrow.StructOf(
		arrow.Field{Name: "state", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "count", Type: arrow.PrimitiveTypes.Int32},
	)
)

func str(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.BinaryTypes.String} }
func ts(name string) arrow.Field  { return arrow.Field{Name: name, Type: Timestamp, Nullable: true} }
func i32(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int32} }
func i64(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64} }
func f32(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float32} }
func f64(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64} }
func boolean(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.FixedWidthTypes.Boolean}
}
func list(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.ListOf(t), Nullable: true}
}

func schema(version string, fields ...arrow.Field) *arrow.Schema {
	md := arrow.NewMetadata([]string{SchemaVersionKey}, []string{version})
	return arrow.NewSchema(fields, &md)
}

// Schemas of the fixed tables. The features table's schema depends on the feature spec; see
// FeaturesSchema.
var (
	AssetsSchema = schema("1",
		ts("snapshot_time"), str("asset_id"), str("provider"), str("account"), str("region"),
		str("network"), str("subnet"), str("kind"), str("state"), str("image"), str("group"),
		list("security_groups", arrow.BinaryTypes.String),
		list("private_ips", arrow.BinaryTypes.String), list("public_ips", arrow.BinaryTypes.String),
		list("dns_names", arrow.BinaryTypes.String), list("tags", tagType), ts("launched_at"),
		str("os_family"), list("exposed", exposureType),
		list("internet_exposed_ports", arrow.PrimitiveTypes.Int32),
	)
	ScansSchema = schema("1",
		str("scan_id"), ts("started"), ts("finished"), str("profile"), str("args"), str("targets"),
		i32("hosts_up"), i32("hosts_down"), boolean("complete"), str("nmap_version"), str("source"),
		i32("max_rate"), str("rate_reason"),
	)
	HostsSchema = schema("1",
		str("scan_id"), ts("scan_time"), str("ip"), str("asset_id"), str("status"), str("reason"),
		list("hostnames", arrow.BinaryTypes.String), str("os_match"), i32("os_accuracy"),
		list("extra_ports", countType), list("scripts", scriptType),
	)
	ObservationsSchema = schema("1",
		str("scan_id"), ts("scan_time"), str("ip"), str("asset_id"), i32("port"), str("proto"),
		str("state"), str("reason"), str("service"), str("product"), str("version"),
		str("extrainfo"), str("tunnel"), list("cpes", arrow.BinaryTypes.String),
		list("scripts", scriptType), str("os_match"),
	)
	FindingsSchema = schema("1",
		str("scan_id"), str("asset_id"), str("ip"), i32("port"), str("proto"), str("rule_id"),
		str("severity"), str("title"), str("evidence"), list("cves", arrow.BinaryTypes.String),
	)
	ScoresSchema = schema("1",
		str("asset_id"), ts("as_of"), str("model"), str("model_version"), f32("risk"),
		f32("anomaly"), f32("priority"), str("tier"), list("reasons", arrow.BinaryTypes.String),
	)
	// DiffsSchema 2 adds first_possible and detect_cycles (time to detect of new_port diffs,
	// null elsewhere); partitions written at 1 lack them and read as unknown.
	DiffsSchema = schema("2",
		str("asset_id"), str("ip"), i32("port"), str("proto"), str("change"), str("before"),
		str("after"), str("scan_id"), str("baseline_scan_id"), ts("scan_time"),
		ts("first_possible"), arrow.Field{Name: "detect_cycles", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)
	KEVSchema = schema("1",
		str("cve"), str("vendor_project"), str("product"), str("name"), ts("date_added"),
		ts("due_date"), str("ransomware"), list("cwes", arrow.BinaryTypes.String),
		str("catalog_version"),
	)
	EPSSSchema = schema("1",
		str("cve"), f64("epss"), f64("percentile"), str("model_version"), ts("score_date"),
	)
	// Cycles schema 2 appended segments and unrouted (the workers' jobs per segment); files
	// of schema 1 read as cycles without workers.
	CyclesSchema = schema("2",
		str("cycle_id"), ts("started"), ts("finished"), i64("probes"), i64("budget"),
		i32("hosts_light"), i32("hosts_standard"), i32("hosts_deep"), i32("hosts_explore"),
		i32("findings_new"), i32("findings_confirmed"), i32("confirmations_failed"),
		f64("catch_rate"), i32("rate_changes"), i32("alerts"), str("model_version"),
		str("notes"), list("segments", segmentType), i32("unrouted"),
	)
	AlertsSchema = schema("1",
		str("alert_id"), ts("time"), str("asset_id"), str("ip"), i32("port"), str("kind"),
		str("severity"), str("title"), str("why"), str("action"), f32("anomaly"), str("scan_id"),
	)
)

var fixed = map[string]*arrow.Schema{
	TableAssets: AssetsSchema, TableScans: ScansSchema, TableHosts: HostsSchema,
	TableObservations: ObservationsSchema, TableFindings: FindingsSchema,
	TableScores: ScoresSchema, TableDiffs: DiffsSchema, TableKEV: KEVSchema,
	TableEPSS: EPSSSchema, TableCycles: CyclesSchema, TableAlerts: AlertsSchema,
	TableCoverage: CoverageSchema,
}

// Schema returns the schema of a fixed table.
func Schema(table string) (*arrow.Schema, error) {
	s, ok := fixed[table]
	if !ok {
		return nil, fmt.Errorf("table %q: no fixed schema (tables: %v)", table, TableNames())
	}
	return s, nil
}

// TableNames lists every table riskmap keeps, sorted.
func TableNames() []string {
	names := []string{TableFeatures}
	for n := range fixed {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FeaturesSchema is the schema of the features table for a feature list: asset_id, as_of,
// feature_version, then one float32 column per feature in model input order.
func FeaturesSchema(version string, features []string) *arrow.Schema {
	fields := []arrow.Field{str("asset_id"), ts("as_of"), str("feature_version")}
	for _, f := range features {
		fields = append(fields, f32(f))
	}
	md := arrow.NewMetadata([]string{SchemaVersionKey, "riskmap.feature_version"}, []string{"1", version})
	return arrow.NewSchema(fields, &md)
}
