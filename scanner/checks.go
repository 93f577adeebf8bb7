package scanner

import (
	"os"
	"path/filepath"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/scanner/nse"
)

// Checks returns the NSE scripts that confirm or rule out unauthenticated access to the risky
// cloud services, run by the standard and deep tiers (and so by confirmation rescans, which
// are standard): riskmap's own (scanner/nse) and nmap's bundled ones that do the job already.
// Each runs only on its service's ports, so a host without them pays nothing.
func Checks() []string {
	return append([]string{"redis-info", "memcached-info", "mongodb-databases", "ftp-anon"}, nse.Names()...)
}

// scriptRoot is the directory riskmap's checks are installed under: the runner's TempDir, or
// the system's.
func (r *Runner) scriptRoot() string {
	if r.cfg.TempDir != "" {
		return r.cfg.TempDir
	}
	return os.TempDir()
}

// scripts returns names as nmap's --script takes them: riskmap's checks by the path Run
// installs them at, everything else as written.
func (r *Runner) scripts(names []string) []string {
	out := make([]string, len(names))
	dir := nse.Dir(r.scriptRoot())
	for i, n := range names {
		if nse.Has(n) {
			n = filepath.Join(dir, n+".nse")
		}
		out[i] = n
	}
	return out
}

// usesChecks reports whether some tier names one of riskmap's checks.
func (r *Runner) usesChecks() bool {
	for t := riskmap.TierLight; t <= riskmap.TierDeep; t++ {
		for _, n := range r.profiles.Profile(t).Scripts {
			if nse.Has(n) {
				return true
			}
		}
	}
	return false
}
