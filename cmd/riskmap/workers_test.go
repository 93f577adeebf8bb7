package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap/workers"
)

// TestWorkerCommands starts a coordinator (embedded NATS), runs `riskmap worker` in-process,
// and lists it with `riskmap workers`.
func TestWorkerCommands(t *testing.T) {
	ws := t.TempDir()
	if code, _, errOut := run(t, ws, "worker", "--segment", "a"); code != exitUsage || !strings.Contains(errOut, "--nats") {
		t.Fatalf("worker without --nats: exit %d, %q", code, errOut)
	}
	cfg := workers.DefaultConfig()
	cfg.Server.Port = 0
	cfg.Segments = []workers.SegmentConfig{{Name: "seg-a", Networks: []string{"vpc-1"}, Pool: 1}}
	co, err := workers.Open(context.Background(), cfg, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer co.Close()
	scope := filepath.Join(ws, "scope.yaml")
	if err := os.WriteFile(scope, []byte("allow: [127.10.0.0/16]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var werr bytes.Buffer
	go func() {
		m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &werr, Getenv: func(string) string { return "" }}
		done <- m.Run(ctx, []string{"--workspace", ws, "worker", "--segment", "seg-a", "--nats", co.URL(), "--scope", scope, "--id", "cli-1"})
	}()
	var listed []workers.Heartbeat
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		code, out, errOut := run(t, ws, "workers", "--nats", co.URL(), "--json")
		if code != exitOK {
			t.Fatalf("workers: exit %d: %s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &listed); err != nil {
			t.Fatalf("workers --json: %v: %q", err, out)
		}
		if len(listed) == 1 {
			break
		}
	}
	if len(listed) != 1 || listed[0].Worker != "cli-1" || listed[0].Segment != "seg-a" {
		t.Fatalf("listed %+v, want the one worker cli-1 of seg-a (worker log: %s)", listed, werr.String())
	}
	code, out, _ := run(t, ws, "workers", "--nats", co.URL())
	if code != exitOK || !strings.Contains(out, "cli-1") || !strings.Contains(out, "IN FLIGHT") {
		t.Errorf("workers table: exit %d: %q", code, out)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("worker exit %d after cancel: %s", code, werr.String())
	}
}
