package baseline

import (
	"errors"
	"fmt"

	"github.com/riskmap/riskmap"
)

// ScanCoverage is the ports a scan probed, read from its command line (CoverageFromArgs). A
// scan whose ports came from nmap-services (no -p, --top-ports, -F) has unknown coverage: nil
// and no error. A -p that does not parse is an error naming the scan.
func ScanCoverage(sc riskmap.Scan) (Coverage, error) {
	c, err := CoverageFromArgs(sc.Args)
	switch {
	case errors.Is(err, ErrUnknownCoverage):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("scan %s: args %q: %w", sc.ID, sc.Args, err)
	}
	return c, nil
}

// NewSnapshot is a scan's hosts and ports with the scan's coverage (ScanCoverage): the one way
// riskmap builds a Snapshot from a scan.
func NewSnapshot(sc riskmap.Scan, hosts []riskmap.Host, obs []riskmap.Observation) (Snapshot, error) {
	c, err := ScanCoverage(sc)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Scan: sc, Hosts: hosts, Observations: obs, Coverage: c}, nil
}
