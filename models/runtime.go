package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// EnvSharedLibrary names the variable that points riskmap at an onnxruntime shared library.
const EnvSharedLibrary = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// bundledLibrary is where `make setup` caches libonnxruntime.so.1 (1.24.x), relative to the
// repository root.
var bundledLibrary = filepath.Join("third_party", "onnxruntime", "libonnxruntime.so.1")

// ErrNoRuntime is wrapped when the onnxruntime shared library cannot be found or loaded.
var ErrNoRuntime = errors.New("onnxruntime shared library unavailable")

// SharedLibraryPath finds the onnxruntime shared library: $ONNXRUNTIME_SHARED_LIBRARY_PATH when
// set (it must exist), else third_party/onnxruntime/libonnxruntime.so.1 found by walking up from the
// working directory and then from the executable's directory.
func SharedLibraryPath() (string, error) {
	if p := os.Getenv(EnvSharedLibrary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v (run `make setup`, or point %s at libonnxruntime.so.1 1.24.x)", ErrNoRuntime, EnvSharedLibrary, p, err, EnvSharedLibrary)
		}
		return p, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, bundledLibrary)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w: no %s above %v and %s is not set (run `make setup`, or set %s to a libonnxruntime.so.1 1.24.x)", ErrNoRuntime, bundledLibrary, starts, EnvSharedLibrary, EnvSharedLibrary)
}

// initRuntime holds the one initialisation a process gets: onnxruntime's environment is global.
var initRuntime = sync.OnceValue(func() error {
	if ort.IsInitialized() {
		return nil
	}
	path, err := SharedLibraryPath()
	if err != nil {
		return err
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: initialise onnxruntime from %s: %v", ErrNoRuntime, path, err)
	}
	return nil
})

// InitRuntime loads the onnxruntime shared library (see SharedLibraryPath) and creates its
// environment, once per process: later calls do nothing and return the first call's result.
// The caller (the CLI, a test's TestMain) calls it before NewScorer; the environment lives until
// the process exits.
func InitRuntime() error { return initRuntime() }

// RuntimeVersion is the loaded onnxruntime's version, "" before InitRuntime succeeds.
func RuntimeVersion() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
