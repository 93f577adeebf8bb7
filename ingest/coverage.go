package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/baseline"
)

// coverageRows is what scan s probed on each host that was up: the ports of its -p option,
// one row per host and protocol. A scan whose ports came from nmap-services (--top-ports, -F,
// no -p) records nothing: which ports it probed depended on the scanning machine's file.
func coverageRows(s riskmap.Scan, hosts []riskmap.Host) ([]datasets.Coverage, error) {
	cov, err := baseline.CoverageFromArgs(s.Args)
	if errors.Is(err, baseline.ErrUnknownCoverage) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scan %s args: %w", s.ID, err)
	}
	byProto := map[string][]datasets.PortRange{}
	var protos []string
	for _, r := range cov {
		if _, ok := byProto[r.Proto]; !ok {
			protos = append(protos, r.Proto)
		}
		byProto[r.Proto] = append(byProto[r.Proto], datasets.PortRange{From: r.From, To: r.To})
	}
	var out []datasets.Coverage
	for _, h := range hosts {
		if h.Status != "up" {
			continue // nmap probes no port of a host it found down
		}
		for _, p := range protos {
			out = append(out, datasets.Coverage{ScanID: s.ID, ScanTime: s.Started, AssetID: h.AssetID, IP: h.IP, Proto: p, Ranges: byProto[p]})
		}
	}
	return out, nil
}

// writeCoverage writes the coverage rows of scan s, before its scans row (the commit mark).
func (in *Ingester) writeCoverage(ctx context.Context, s riskmap.Scan, hosts []riskmap.Host, part string) error {
	rows, err := coverageRows(s, hosts)
	if err != nil || len(rows) == 0 {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := datasets.CoverageRecord(in.W.Store().Allocator(), rows)
	defer rec.Release()
	return in.W.WriteTable(datasets.TableCoverage, part, s.ID, rec)
}
