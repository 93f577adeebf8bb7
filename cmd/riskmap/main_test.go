package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
)

// TestMain lets the test binary act as the riskmap binary: with RISKMAP_TEST_AS_CLI=1 it runs
// the CLI on its arguments and exits, so tests can run riskmap as a real process (and kill it).
func TestMain(m *testing.M) {
	if os.Getenv("RISKMAP_TEST_AS_CLI") == "1" {
		args := os.Args[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "-test.") {
			args = args[1:]
		}
		main2 := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
		os.Exit(main2.Run(context.Background(), args))
	}
	// The loop and demo tests scan a lab: the package runs in a private network namespace.
	os.Exit(netns.Main(m))
}

// run runs the CLI in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, ws string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "RISKMAP_WORKSPACE" {
			return ws
		}
		return ""
	}}
	code := m.Run(context.Background(), args)
	return code, out.String(), errb.String()
}
