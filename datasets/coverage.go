package datasets

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TableCoverage is the port-space coverage record: which ports one scan probed on one address,
// as ranges. The planner's sweep reads it to know what was probed when.
const TableCoverage = "coverage"

// CoverageSchema is the schema of the coverage table: one row per scan, address and protocol,
// the probed ports as parallel lists of inclusive range bounds (a -p- scan is one range, a
// top-1000 list a few hundred), never one row per port.
var CoverageSchema = schema("1",
	str("scan_id"), ts("scan_time"), str("asset_id"), str("ip"), str("proto"),
	list("from_ports", arrow.PrimitiveTypes.Int32), list("to_ports", arrow.PrimitiveTypes.Int32),
)

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To int }

// Coverage is what one scan probed on one address.
type Coverage struct {
	ScanID   string
	ScanTime time.Time
	AssetID  string
	IP       string
	Proto    string // tcp, udp or sctp
	Ranges   []PortRange
}

// CoverageRecord builds a record of the coverage table. The caller releases it.
func CoverageRecord(mem memory.Allocator, rows []Coverage) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, CoverageSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, c := range rows {
		r.row()
		r.str(c.ScanID)
		r.time(c.ScanTime)
		r.str(c.AssetID)
		r.str(c.IP)
		r.str(c.Proto)
		from, to := make([]int, len(c.Ranges)), make([]int, len(c.Ranges))
		for i, pr := range c.Ranges {
			from[i], to[i] = pr.From, pr.To
		}
		r.ints(from)
		r.ints(to)
	}
	return b.NewRecordBatch()
}

// DecodeCoverage reads the rows of a coverage record. A row whose range lists differ in
// length, or hold a range outside 0-65535 or upside down, is an error naming the row.
func DecodeCoverage(rec arrow.RecordBatch) ([]Coverage, error) {
	r := newRowReader(TableCoverage, rec)
	if err := r.need("scan_id", "ip", "proto", "from_ports", "to_ports"); err != nil {
		return nil, err
	}
	out := make([]Coverage, rec.NumRows())
	for i := range out {
		c := Coverage{ScanID: r.str("scan_id", i), ScanTime: r.time("scan_time", i), AssetID: r.str("asset_id", i),
			IP: r.str("ip", i), Proto: r.str("proto", i)}
		from, to := r.ints("from_ports", i), r.ints("to_ports", i)
		if len(from) != len(to) {
			return nil, fmt.Errorf("table %s row %d (scan %s, %s): from_ports has %d ranges, to_ports %d: want equal lengths",
				TableCoverage, i, c.ScanID, c.IP, len(from), len(to))
		}
		for j := range from {
			if from[j] < 0 || to[j] > 65535 || from[j] > to[j] {
				return nil, fmt.Errorf("table %s row %d (scan %s, %s): range %d is %d-%d: want 0 <= from <= to <= 65535",
					TableCoverage, i, c.ScanID, c.IP, j, from[j], to[j])
			}
			c.Ranges = append(c.Ranges, PortRange{from[j], to[j]})
		}
		out[i] = c
	}
	return out, nil
}
