package datasets

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/riskmap/riskmap"
)

// ScansRecord builds a record of the scans table. The caller releases it.
func ScansRecord(mem memory.Allocator, scans []riskmap.Scan) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ScansSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, s := range scans {
		r.row()
		r.str(s.ID)
		r.time(s.Started)
		r.time(s.Finished)
		r.str(s.Profile)
		r.str(s.Args)
		r.str(s.Targets)
		r.i32(s.HostsUp)
		r.i32(s.HostsDown)
		r.boolean(s.Complete)
		r.str(s.NmapVersion)
		r.str(s.Source)
		r.i32(s.MaxRate)
		r.str(s.RateReason)
	}
	return b.NewRecordBatch()
}

// DecodeScans reads the rows of a scans record.
func DecodeScans(rec arrow.RecordBatch) ([]riskmap.Scan, error) {
	r := newRowReader(TableScans, rec)
	if err := r.need("scan_id", "started", "complete"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Scan, rec.NumRows())
	for i := range out {
		out[i] = riskmap.Scan{
			ID: r.str("scan_id", i), Started: r.time("started", i), Finished: r.time("finished", i),
			Profile: r.str("profile", i), Args: r.str("args", i), Targets: r.str("targets", i),
			HostsUp: r.int("hosts_up", i), HostsDown: r.int("hosts_down", i),
			Complete: r.boolean("complete", i), NmapVersion: r.str("nmap_version", i),
			Source: r.str("source", i), MaxRate: r.int("max_rate", i), RateReason: r.str("rate_reason", i),
		}
	}
	return out, nil
}

// HostsRecord builds a record of the hosts table. The caller releases it.
func HostsRecord(mem memory.Allocator, hosts []riskmap.Host) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, HostsSchema)
	defer b.Release()
	r := rowBuilder{b: b}
	for _, h := range hosts {
		r.row()
		r.str(h.ScanID)
		r.time(h.ScanTime)
		r.str(h.IP)
		r.str(h.AssetID)
		r.str(h.Status)
		r.str(h.Reason)
		r.strs(h.Hostnames)
		r.str(h.OSMatch)
		r.i32(h.OSAccuracy)
		r.counts(h.ExtraPorts)
		scripts := h.Scripts
		r.pairs(len(scripts), func(i int) (string, string) { return scripts[i].ID, scripts[i].Output })
	}
	return b.NewRecordBatch()
}

// DecodeHosts reads the rows of a hosts record.
func DecodeHosts(rec arrow.RecordBatch) ([]riskmap.Host, error) {
	r := newRowReader(TableHosts, rec)
	if err := r.need("scan_id", "ip", "status"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Host, rec.NumRows())
	for i := range out {
		h := riskmap.Host{
			ScanID: r.str("scan_id", i), ScanTime: r.time("scan_time", i), IP: r.str("ip", i),
			AssetID: r.str("asset_id", i), Status: r.str("status", i), Reason: r.str("reason", i),
			Hostnames: r.strs("hostnames", i), OSMatch: r.str("os_match", i),
			OSAccuracy: r.int("os_accuracy", i),
		}
		r.structs("extra_ports", i, func(st *array.Struct, j int) {
			if h.ExtraPorts == nil {
				h.ExtraPorts = map[string]int{}
			}
			h.ExtraPorts[fieldStr(st, 0, j)] = fieldInt(st, 1, j)
		})
		r.structs("scripts", i, func(st *array.Struct, j int) {
			h.Scripts = append(h.Scripts, riskmap.Script{ID: fieldStr(st, 0, j), Output: fieldStr(st, 1, j)})
		})
		out[i] = h
	}
	return out, nil
}

// ObservationsRecord builds a record of the observations table. The caller releases it.
func ObservationsRecord(mem memory.Allocator, obs []riskmap.Observation) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ObservationsSchema)
	defer b.Release()
	b.Reserve(len(obs))
	r := rowBuilder{b: b}
	for _, o := range obs {
		r.row()
		r.str(o.ScanID)
		r.time(o.ScanTime)
		r.str(o.IP)
		r.str(o.AssetID)
		r.i32(o.Port)
		r.str(o.Proto)
		r.str(o.State)
		r.str(o.Reason)
		r.str(o.Service)
		r.str(o.Product)
		r.str(o.Version)
		r.str(o.ExtraInfo)
		r.str(o.Tunnel)
		r.strs(o.CPEs)
		scripts := o.Scripts
		r.pairs(len(scripts), func(i int) (string, string) { return scripts[i].ID, scripts[i].Output })
		r.str(o.OSMatch)
	}
	return b.NewRecordBatch()
}

// DecodeObservations reads the rows of an observations record.
func DecodeObservations(rec arrow.RecordBatch) ([]riskmap.Observation, error) {
	r := newRowReader(TableObservations, rec)
	if err := r.need("scan_id", "ip", "port", "proto", "state"); err != nil {
		return nil, err
	}
	out := make([]riskmap.Observation, rec.NumRows())
	for i := range out {
		o := riskmap.Observation{
			ScanID: r.str("scan_id", i), ScanTime: r.time("scan_time", i), IP: r.str("ip", i),
			AssetID: r.str("asset_id", i), Port: r.int("port", i), Proto: r.str("proto", i),
			State: r.str("state", i), Reason: r.str("reason", i), Service: r.str("service", i),
			Product: r.str("product", i), Version: r.str("version", i),
			ExtraInfo: r.str("extrainfo", i), Tunnel: r.str("tunnel", i), CPEs: r.strs("cpes", i),
			OSMatch: r.str("os_match", i),
		}
		r.structs("scripts", i, func(st *array.Struct, j int) {
			o.Scripts = append(o.Scripts, riskmap.Script{ID: fieldStr(st, 0, j), Output: fieldStr(st, 1, j)})
		})
		out[i] = o
	}
	return out, nil
}
