package duckdb

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed query.js
var queryJS string

// ErrMissing means node or @duckdb/node-api is not installed.
var ErrMissing = errors.New("duckdb: node or @duckdb/node-api is missing (run `make setup`)")

// Dir finds the directory that holds node_modules/@duckdb/node-api.
func Dir() (string, error) {
	if d := os.Getenv("RISKMAP_DUCKDB_DIR"); d != "" {
		if ok(d) {
			return d, nil
		}
		return "", fmt.Errorf("%w: RISKMAP_DUCKDB_DIR=%s has no node_modules/@duckdb/node-api", ErrMissing, d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if c := filepath.Join(d, "third_party", "duckdb"); ok(c) {
			return c, nil
		}
		if filepath.Dir(d) == d {
			return "", ErrMissing
		}
	}
}

func ok(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json"))
	return err == nil
}

// Query runs sql and returns the rows as JSON objects (numbers as JSON numbers or strings,
// as DuckDB's JSON conversion gives them).
func Query(ctx context.Context, sql string) ([]map[string]any, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMissing, err)
	}
	cmd := exec.CommandContext(ctx, node, "-e", queryJS)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"), "RISKMAP_DUCKDB_SQL="+sql)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("duckdb: %s: %v", strings.TrimSpace(stderr.String()), err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		return nil, fmt.Errorf("duckdb: decode result: %w", err)
	}
	return rows, nil
}

// Quote quotes a string literal for SQL.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
