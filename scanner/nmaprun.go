package scanner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/Ullaakut/nmap/v3"
)

// runBatch runs one nmap process through github.com/Ullaakut/nmap/v3 and returns its raw XML.
//
// The library is used for what it does well (typed options, running the process under a
// context, mapping nmap's failures to sentinels); its quirks are worked around here, at the
// boundary:
//
//   - Scanner.Progress starts a goroutine that unmarshals the stdout buffer while the copy
//     goroutine is still writing it (a data race) and sends on a channel it closes
//     elsewhere. Progress is instead read from the <taskprogress> elements that
//     --stats-every writes into the XML file, by a poller that only reads the file.
//   - Scanner.Streamer's copy goroutine assigns Run's named error result without
//     synchronisation, also after Run has returned when the process fails to start, so it is
//     not used either. The XML goes to a file (Scanner.ToFile, i.e. "-oX <file>"), which nmap
//     flushes after each host; this is also what keeps completed hosts when a run is
//     cancelled, as the library's stdout buffer is dropped on cancel.
//   - Run.ToFile opens without O_TRUNC (a shorter XML over an older, longer file leaves a
//     corrupt tail) and never closes the file. It is not used: the caller stores Result.XML.
//     The -oX file is a fresh os.CreateTemp file, which nmap opens with truncation anyway.
//   - WithCustomSysProcAttr calls its function with cmd.SysProcAttr, which is still nil at
//     that point, so it can neither set Setpgid nor Pdeathsig. It is not used; cancellation
//     is the library's exec.CommandContext, which kills nmap. Nothing completed is lost by
//     that: the XML of finished hosts is already flushed to the file.
//   - On cancel or timeout the library returns ErrScanInterrupt or ErrScanTimeout without
//     saying which context ended; the parent context tells.
func (r *Runner) runBatch(ctx context.Context, bin string, b Batch, scope Scope, prog *tracker) (res Result) {
	res = Result{Batch: b, Started: r.now()}
	defer func() { res.Finished = r.now() }() // res is the named result, so this reaches the caller
	f, err := os.CreateTemp(r.cfg.TempDir, "riskmap-nmap-*.xml")
	if err != nil {
		res.Err = fmt.Errorf("nmap output file: %w", err)
		return res
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)

	runCtx, cancel := context.WithTimeout(ctx, r.cfg.RunTimeout)
	defer cancel()
	s, err := nmap.NewScanner(runCtx, append(r.options(&b, scope), nmap.WithBinaryPath(bin))...)
	if err != nil {
		res.Err = fmt.Errorf("%w: %w", ErrNmapNotFound, err)
		return res
	}
	if !slices.Equal(s.Args(), b.Args) {
		// Cannot happen unless options stops being a pure function of the batch; refuse
		// rather than run something other than what Batch.Args reports.
		res.Err = fmt.Errorf("%w: nmap arguments %q differ from the batch's %q", ErrNmapFailed, s.Args(), b.Args)
		return res
	}
	s.ToFile(path)
	follow := prog.tail(path, b, r.cfg.PollEvery)
	_, warnings, runErr := s.Run()
	res.XML, err = os.ReadFile(path)
	follow.stop(res.XML)
	if err != nil {
		res.Err = fmt.Errorf("read nmap output: %w", err)
		return res
	}
	var w []string
	if warnings != nil {
		w = *warnings
	}
	res.Err = mapRunError(ctx, runCtx, runErr, w, r.cfg.RunTimeout)
	if len(res.XML) == 0 && (res.Err == nil || errors.Is(res.Err, ErrBadXML)) {
		res.Err = fmt.Errorf("%w: nmap wrote no XML: %s", ErrBadXML, tail(w, 3))
	}
	return res
}

// mapRunError turns what the library returned into this package's sentinels, with nmap's
// last stderr lines as context.
func mapRunError(parent, run context.Context, err error, warnings []string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	stderr := tail(warnings, 3)
	switch {
	case parent.Err() != nil:
		return fmt.Errorf("%w (completed hosts kept): %w", ErrInterrupted, parent.Err())
	case errors.Is(err, nmap.ErrScanTimeout) || errors.Is(run.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: ran past %s (completed hosts kept)", ErrRunTimeout, timeout)
	case errors.Is(err, nmap.ErrParseOutput):
		return fmt.Errorf("%w: %s", ErrBadXML, stderr)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNmapNotFound, err)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%w: exit status %d: %s", ErrNmapFailed, exit.ExitCode(), stderr)
	}
	return fmt.Errorf("%w: %w: %s", ErrNmapFailed, err, stderr)
}

func tail(lines []string, n int) string {
	var keep []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	if len(keep) == 0 {
		return "no message on stderr"
	}
	return strings.Join(keep, " | ")
}
