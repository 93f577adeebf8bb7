package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/models"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// errUsage marks a usage error: the command line was wrong, exit 2.
var errUsage = errors.New("usage")

// usageError wraps a message as a usage error.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// errReported means the command already printed why it failed: exit 1 with nothing more.
var errReported = errors.New("failed")

// Main is the CLI: streams and environment are fields, so end-to-end tests run it in-process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string

	workspace string
	logFormat string
	log       *slog.Logger
}

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name, args, summary string
	run                 func(m *Main, ctx context.Context, args []string) error
}

func (m *Main) commands() []command {
	return []command{
		{"demo", "[--hosts N] [--cycles N]", "the main job: the loop on a lab estate in a private namespace", (*Main).runDemo},
		{"lab", "up|down|advance|export", "run the lab estate by hand", (*Main).runLab},
		{"report", "[-o FILE]", "write the HTML report of the workspace", (*Main).runReport},
		{"sample", "DIR", "write the bundled sample data (scans, inventory, intel)", (*Main).runSample},
		{"ingest", "nmap|inventory ...", "ingest nmap XML scans or cloud inventory exports", (*Main).runIngest},
		{"inventory", "sync --provider aws|azure|gcp", "read the estate from the cloud provider's API", (*Main).runInventory},
		{"tables", "[--json]", "list the workspace's tables with rows, files and partitions", (*Main).runTables},
		{"export", "TABLE --format parquet|arrow|csv|jsonl [-o FILE]", "write a table as one file", (*Main).runExport},
		{"intel", "import kev|epss FILE...", "import CISA KEV and FIRST EPSS threat intelligence", (*Main).runIntel},
		{"findings", "[--json] [--min-severity S]", "list findings from the scans", (*Main).runFindings},
		{"diff", "[--scan ID] [--baseline ID|auto] | OLD.xml NEW.xml | --detect", "what changed between scans (ndiff-compatible), time to detect", (*Main).runDiff},
		{"features", "describe|build", "the feature spec, and the features table", (*Main).runFeatures},
		{"train", "risk|anomaly [--algo A]", "train, evaluate and register a model", (*Main).runTrain},
		{"models", "list|show|promote|import", "manage the model registry", (*Main).runModels},
		{"score", "[--explain ASSET]", "score every asset (risk, anomaly, priority, reasons)", (*Main).runScore},
		{"plan", "[--json] [--explain ASSET]", "plan the next scan under the probe budget", (*Main).runPlan},
		{"scan", "--plan FILE | --targets SPECS", "run nmap inside the scope and record the results", (*Main).runScan},
		{"cycle", "[--once | --every D] [--cycles N]", "run the loop", (*Main).runCycle},
		{"targets", "--format F [--top K]", "ranked targets for nmap, masscan, naabu, nuclei, CSV, JSONL", (*Main).runTargets},
		{"worker", "--segment NAME --nats URL --scope FILE", "a scan worker inside a network segment (NATS JetStream)", (*Main).runWorker},
		{"workers", "[--json]", "list live scan workers", (*Main).runWorkers},
	}
}

// scoresAssets says whether a command line runs models through onnxruntime.
func scoresAssets(args []string) bool {
	switch args[0] {
	case "demo", "train", "score", "plan", "cycle", "targets":
		return true
	case "models":
		return len(args) > 1 && args[1] == "import"
	}
	return false
}

// Run runs the command line args and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Getenv == nil {
		m.Getenv = os.Getenv
	}
	global := flag.NewFlagSet("riskmap", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	m.commonFlags(global)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			m.usage(m.Stdout)
			return exitOK
		}
		fmt.Fprintf(m.Stderr, "riskmap: %v\n", err)
		m.usage(m.Stderr)
		return exitUsage
	}
	rest := global.Args()
	if len(rest) == 0 {
		m.usage(m.Stderr)
		return exitUsage
	}
	if rest[0] == "help" {
		m.usage(m.Stdout)
		return exitOK
	}
	for _, c := range m.commands() {
		if c.name != rest[0] {
			continue
		}
		var err error
		if scoresAssets(rest) {
			// onnxruntime is initialised here, once, by the caller of everything that scores.
			err = models.InitRuntime()
		}
		if err == nil {
			err = c.run(m, ctx, rest[1:])
		}
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(m.Stderr, "riskmap %s: %s\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
			return exitUsage
		case errors.Is(err, errReported):
			return exitFail
		default:
			m.logger().Error(err.Error(), "command", c.name)
			return exitFail
		}
	}
	fmt.Fprintf(m.Stderr, "riskmap: unknown command %q\n", rest[0])
	m.usage(m.Stderr)
	return exitUsage
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "riskmap tells you where to look first, how hard, and what changed.")
	fmt.Fprintln(w, "\nUsage: riskmap [--workspace DIR] [--log-format text|json] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range m.commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --help. The workspace is --workspace, $RISKMAP_WORKSPACE or ./riskmap-data.")
}

// commonFlags adds the flags every command accepts, so they may come before or after the
// command name.
func (m *Main) commonFlags(fs *flag.FlagSet) {
	def := m.Getenv("RISKMAP_WORKSPACE")
	if def == "" {
		def = "./riskmap-data"
	}
	if m.workspace != "" {
		def = m.workspace
	}
	if m.logFormat == "" {
		m.logFormat = "text"
	}
	fs.StringVar(&m.workspace, "workspace", def, "workspace `DIR` (env RISKMAP_WORKSPACE)")
	fs.StringVar(&m.logFormat, "log-format", m.logFormat, "log format: text or json")
}

// flags returns a flag set for a subcommand with the common flags and a usage text.
func (m *Main) flags(name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("riskmap "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	m.commonFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(m.Stdout, "Usage: riskmap %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.SetOutput(m.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(m.Stderr)
	}
	return fs
}

// parse parses args with fs, mapping errors to usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args) // on -h the flag package has already called fs.Usage
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError("%v", err)
	}
	return nil
}

func (m *Main) logger() *slog.Logger {
	if m.log != nil {
		return m.log
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if m.logFormat == "json" {
		m.log = slog.New(slog.NewJSONHandler(m.Stderr, opts))
	} else {
		m.log = slog.New(slog.NewTextHandler(m.Stderr, opts))
	}
	return m.log
}

// store opens the workspace for reading.
func (m *Main) store() (*datasets.Store, error) {
	return datasets.Open(m.workspace, nil)
}

// writer opens the workspace and takes its write lock. The caller closes it.
func (m *Main) writer() (*datasets.Writer, error) {
	s, err := m.store()
	if err != nil {
		return nil, err
	}
	return s.Writer()
}

// printJSON writes v as indented JSON.
func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// interactive reports whether stderr is a terminal: progress is drawn only then.
func (m *Main) interactive() bool {
	f, ok := m.Stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws a one-line progress report on stderr when it is a terminal.
func (m *Main) progress(format string, args ...any) {
	if m.interactive() {
		fmt.Fprintf(m.Stderr, "\r\033[K"+format, args...)
	}
}

func (m *Main) progressDone() {
	if m.interactive() {
		fmt.Fprint(m.Stderr, "\r\033[K")
	}
}
