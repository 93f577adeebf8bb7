package models_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/riskmap/riskmap/models"
)

// TestMain initialises onnxruntime once for every test, as the CLI does. Without the shared
// library the tests fail: they exist to run real models.
func TestMain(m *testing.M) {
	if err := models.InitRuntime(); err != nil {
		fmt.Fprintf(os.Stderr, "models tests need onnxruntime: %v\nrun `make setup` (or set %s)\n", err, models.EnvSharedLibrary)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
