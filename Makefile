# riskmap: `make demo` runs the main job, `make test` runs the tests. Both install what is missing.
GO ?= go
ORT_LIB := $(CURDIR)/third_party/onnxruntime/libonnxruntime.so.1
export ONNXRUNTIME_SHARED_LIBRARY_PATH ?= $(ORT_LIB)
export RISKMAP_DUCKDB_DIR ?= $(CURDIR)/third_party/duckdb

.PHONY: setup build test demo bench fuzz clean

setup:
	@bash scripts/setup.sh

build:
	$(GO) build -o bin/riskmap ./cmd/riskmap

test: setup
	$(GO) vet ./...
	$(GO) test -race -timeout 25m ./...

demo: setup build
	./bin/riskmap demo

bench: setup build
	RISKMAP_SETUP_EXTRAS=bench bash scripts/setup.sh
	bash bench/run.sh

clean:
	rm -rf bin
