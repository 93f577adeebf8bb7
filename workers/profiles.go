package workers

import (
	"encoding/json"
	"fmt"

	"github.com/riskmap/riskmap/scanner"
)

// runnerFor returns the runner that scans job as the coordinator configured its tiers:
// job.Profiles resolved against this worker's own nmap-services table, with this worker's
// runner settings (binary, rates, parallelism). Jobs run one at a time, so the cache needs no
// lock.
func (w *Worker) runnerFor(job *Job) (*scanner.Runner, error) {
	own := w.cfg.Profiles.Config()
	pc := job.Profiles
	pc.ServicesPath = own.ServicesPath
	key, err := json.Marshal(pc)
	if err != nil {
		return nil, err
	}
	if ownKey, err := json.Marshal(own); err == nil && string(ownKey) == string(key) {
		return w.runner, nil
	}
	if w.jobRunner != nil && w.jobProfiles == string(key) {
		return w.jobRunner, nil
	}
	p, err := pc.Load()
	if err != nil {
		return nil, err
	}
	r, err := scanner.NewRunner(w.cfg.Runner, p)
	if err != nil {
		return nil, fmt.Errorf("runner for the job's profiles: %w", err)
	}
	w.jobRunner, w.jobProfiles = r, string(key)
	return r, nil
}
