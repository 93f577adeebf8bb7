package engine_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/riskmap/riskmap/datasets"
)

// reads counts, per table, how many times each file's rows were opened: a store's OnRead.
type reads struct {
	mu    sync.Mutex
	files map[string]map[string]int // table -> path -> opens
}

func (r *reads) observe(f datasets.File) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.files == nil {
		r.files = map[string]map[string]int{}
	}
	if r.files[f.Table] == nil {
		r.files[f.Table] = map[string]int{}
	}
	r.files[f.Table][f.Path]++
}

// passes is, per table, the most times any one of its files was read: the number of times
// the table was read, whole or in part.
func (r *reads) passes() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for table, files := range r.files {
		for _, n := range files {
			out[table] = max(out[table], n)
		}
	}
	return out
}

// over lists the files of table read more than limit times, with their counts.
func (r *reads) over(table string, limit int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for path, n := range r.files[table] {
		if n > limit {
			out = append(out, fmt.Sprintf("%s:%d", filepath.Base(path), n))
		}
	}
	sort.Strings(out)
	return out
}

func (r *reads) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files = nil
}

func (r *reads) String() string {
	p := r.passes()
	var keys []string
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%d ", k, p[k])
	}
	return strings.TrimSpace(b.String())
}
