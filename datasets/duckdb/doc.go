// Package duckdb asks DuckDB (the npm package @duckdb/node-api, run with node) to read
// riskmap's Parquet files. It is the independent reader that proves the workspace is readable
// by tools other than riskmap, and the peer that features are benchmarked against.
//
// The package is found under $RISKMAP_DUCKDB_DIR (the Makefile sets it to
// third_party/duckdb, where `make setup` installs it) or third_party/duckdb above the working
// directory.
package duckdb
