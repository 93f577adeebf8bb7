package scanner

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them (check with errors.Is) and
// add the file, field, spec or batch they concern.
var (
	// ErrNoScope means no allowed prefix is configured: riskmap never scans without a scope.
	ErrNoScope = errors.New("no scan scope: set scope.allow to the CIDRs you are authorised to scan (no scope, no scan)")
	// ErrOutOfScope marks an address outside every allowed prefix.
	ErrOutOfScope = errors.New("out of scope")
	// ErrExcluded marks an address inside an excluded prefix.
	ErrExcluded = errors.New("excluded from scope")
	// ErrTooLarge marks a CIDR or range whose expansion is above the configured limit.
	ErrTooLarge = errors.New("expansion above the limit")
	// ErrResolve marks a host name that could not be resolved.
	ErrResolve = errors.New("cannot resolve name")
	// ErrBadTarget marks a target spec that is not an address, CIDR, range or host name.
	ErrBadTarget = errors.New("bad target")
	// ErrBadPlan marks a plan file that does not validate.
	ErrBadPlan = errors.New("bad plan")
	// ErrBadConfig marks a configuration value that does not validate.
	ErrBadConfig = errors.New("bad config")

	// ErrNmapNotFound means the nmap binary is missing or not executable.
	ErrNmapNotFound = errors.New("nmap not found")
	// ErrNmapFailed means nmap exited with an error or reported one in its XML.
	ErrNmapFailed = errors.New("nmap failed")
	// ErrBadXML means nmap's output is not XML that parses; the raw bytes are still handed over.
	ErrBadXML = errors.New("nmap output is not valid XML")
	// ErrInterrupted means the run's context was cancelled; completed hosts are kept.
	ErrInterrupted = errors.New("scan interrupted")
	// ErrRunTimeout means one nmap process ran past the per-run timeout; completed hosts are kept.
	ErrRunTimeout = errors.New("nmap run timed out")
)
