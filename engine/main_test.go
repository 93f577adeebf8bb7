package engine_test

import (
	"os"
	"testing"

	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/models"
)

// TestMain runs the tests inside a private network namespace (the lab tests scan loopback
// addresses there) with onnxruntime initialised.
func TestMain(m *testing.M) { os.Exit(netns.Main(withRuntime{m})) }

type withRuntime struct{ m *testing.M }

func (w withRuntime) Run() int {
	if err := models.InitRuntime(); err != nil {
		// Scoring tests need the onnxruntime library: `make test` runs setup first.
		println("onnxruntime:", err.Error(), "(run `make setup` or set ONNXRUNTIME_SHARED_LIBRARY_PATH)")
		return 1
	}
	return w.m.Run()
}
