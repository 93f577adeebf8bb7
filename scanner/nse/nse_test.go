package nse_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/riskmap/riskmap/scanner/nse"
)

func TestInstall(t *testing.T) {
	root := t.TempDir()
	paths, err := nse.Install(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"riskmap-docker-api", "riskmap-elasticsearch-indices", "riskmap-etcd-keys", "riskmap-kubelet-pods",
		"riskmap-memcached-auth", "riskmap-redis-auth"}
	if got := nse.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		src, err := nse.Source(n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(paths[n])
		if err != nil || string(got) != string(src) {
			t.Errorf("%s: installed copy differs (%v)", n, err)
		}
		if filepath.Dir(paths[n]) != nse.Dir(root) {
			t.Errorf("%s installed in %s, want %s", n, filepath.Dir(paths[n]), nse.Dir(root))
		}
	}
	// A damaged copy is replaced; a second install changes nothing else.
	if err := os.WriteFile(paths["riskmap-redis-auth"], []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := nse.Install(root); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths["riskmap-redis-auth"]); string(got) == "broken" {
		t.Error("a damaged script was kept")
	}
	entries, _ := os.ReadDir(nse.Dir(root))
	if len(entries) != len(want) {
		t.Errorf("%d files in the script directory, want %d (temporary files left?)", len(entries), len(want))
	}
	if _, err := nse.Source("redis-info"); err == nil {
		t.Error("Source(redis-info): nmap's own script claimed as riskmap's")
	}
	if nse.Has("../nse") || !nse.Has("riskmap-etcd-keys") {
		t.Error("Has is wrong")
	}
}
