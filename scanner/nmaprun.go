package scanner

import (
	"bytes"
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

// runBatch runs one nmap process and returns its raw XML.
//
// github.com/Ullaakut/nmap/v3 is used for what it does well: typed options that build the
// command line (Scanner.Args), and its error sentinels. The process itself is started here
// (execNmap), not by Scanner.Run, and this is why, at the boundary:
//
//   - Scanner.Run always parses nmap's XML into the library's Run tree, which riskmap would
//     throw away: the XML's one parse into records is features/nmapxml's, at ingest, from
//     the raw bytes stored first. The runner makes one token pass over the bytes (inspect)
//     for the rate feedback, nmap's <finished errormsg> and well-formedness, and builds no
//     tree.
//   - Scanner.Progress starts a goroutine that unmarshals the stdout buffer while the copy
//     goroutine is still writing it (a data race) and sends on a channel it closes
//     elsewhere. Progress is instead read from the <taskprogress> elements that
//     --stats-every writes into the XML file, by a poller that only reads the file.
//   - Scanner.Streamer's copy goroutine assigns Run's named error result without
//     synchronisation. The XML goes to a file ("-oX <file>"), which nmap flushes after each
//     host; this is also what keeps completed hosts when a run is cancelled.
//   - Run.ToFile opens without O_TRUNC and never closes the file; it is not used. The -oX
//     file is a fresh os.CreateTemp file, which nmap opens with truncation anyway.
//   - WithCustomSysProcAttr calls its function with a nil cmd.SysProcAttr, so it can neither
//     set Setpgid nor Pdeathsig. Cancellation is exec.CommandContext, which kills nmap;
//     the XML of finished hosts is already flushed to the file.
//
// execNmap maps nmap's failures to the library's sentinels as Scanner.Run would (stderr
// first, then the context, then the exit status), so mapRunError reads either.
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
	follow := prog.tail(path, b, r.cfg.PollEvery)
	w, runErr := execNmap(runCtx, bin, append(slices.Clone(s.Args()), "-oX", path))
	res.XML, err = os.ReadFile(path)
	follow.stop(res.XML)
	if err != nil {
		res.Err = fmt.Errorf("read nmap output: %w", err)
		return res
	}
	in := inspect(res.XML)
	res.feedback = in.feedback
	switch {
	case runErr != nil:
	case in.syntax != nil:
		w = append(w, in.syntax.Error())
		runErr = nmap.ErrParseOutput
	case in.errorMsg != "":
		runErr = errors.New(in.errorMsg)
	}
	res.Err = mapRunError(ctx, runCtx, runErr, w, r.cfg.RunTimeout)
	if len(res.XML) == 0 && (res.Err == nil || errors.Is(res.Err, ErrBadXML)) {
		res.Err = fmt.Errorf("%w: nmap wrote no XML: %s", ErrBadXML, tail(w, 3))
	}
	return res
}

// execNmap runs nmap with args (which name the -oX file) under ctx and returns its stderr
// lines, with its failures mapped to the library's sentinels in Scanner.Run's order.
func execNmap(ctx context.Context, bin string, args []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout (nmap's normal output) is not needed: the XML is in the file
	status := cmd.Run()
	var warnings []string
	if s := strings.Trim(stderr.String(), "\n "); s != "" {
		for _, l := range strings.Split(s, "\n") {
			warnings = append(warnings, strings.Trim(l, " "))
		}
	}
	for _, l := range warnings {
		switch {
		case strings.Contains(l, "Malloc Failed!"):
			return warnings, nmap.ErrMallocFailed
		case strings.Contains(l, "requires root privileges."):
			return warnings, nmap.ErrRequiresRoot
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return warnings, nmap.ErrScanTimeout
	case errors.Is(ctx.Err(), context.Canceled):
		return warnings, nmap.ErrScanInterrupt
	case status != nil && status.Error() == "exit status 130": // SIGINT
		return warnings, nmap.ErrScanInterrupt
	}
	return warnings, status
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
