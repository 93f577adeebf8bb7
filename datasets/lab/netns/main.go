package netns

import (
	"errors"
	"fmt"
	"os"
)

// Runner is what Main runs: *testing.M satisfies it.
type Runner interface{ Run() int }

// Main runs r inside a private network namespace with loopback up, and returns the exit code
// to pass to os.Exit. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }
//
// In the parent it re-executes the test binary in a new namespace; in the child it brings lo
// up and runs r. When no namespace can be made, r runs where it is and Available reports
// false, so that the tests that scan can skip (or fail under CI; see Require).
func Main(r Runner) int {
	if Private() {
		if err := LoopbackUp(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return r.Run()
	}
	code, err := Reexec()
	if err == nil {
		return code
	}
	if !errors.Is(err, ErrUnavailable) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	unavailable = err
	return r.Run()
}

var unavailable error

// Available reports whether this process is inside a private namespace that riskmap made.
func Available() bool { return Private() }

// TB is the part of testing.TB that Require uses.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Require stops a test that sends packets unless it runs in a private namespace: it fails when
// CI is set (CI must not skip it) and skips with the reason otherwise.
func Require(t TB) {
	t.Helper()
	if Private() {
		return
	}
	why := "not in a private network namespace (run the package through netns.Main from TestMain)"
	if unavailable != nil {
		why = unavailable.Error()
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("this test sends packets and must run in a private network namespace: %s", why)
	}
	t.Skipf("this test sends packets and needs a private network namespace: %s", why)
}
