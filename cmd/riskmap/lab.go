package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/riskmap/riskmap/datasets/estate"
	"github.com/riskmap/riskmap/datasets/lab"
	"github.com/riskmap/riskmap/datasets/lab/netns"
	"github.com/riskmap/riskmap/demo"
)

// labState is what `lab up` leaves in the workspace so that `lab down` and `lab advance`
// can find it.
type labState struct {
	PID   int    `json:"pid"`
	Hosts int    `json:"hosts"`
	Seed  int64  `json:"seed"`
	Epoch int    `json:"epoch"`
	NetNS string `json:"netns"`
}

func (m *Main) runLab(ctx context.Context, args []string) error {
	fs := m.flags("lab", "up|down|advance|export [--hosts N] [--seed N] [--epoch N] [-o DIR]",
		"Run the lab by hand: a simulated cloud estate whose hosts answer as real services\ndo, on 127.0.0.0/8 inside a private network namespace.\n\n  up       serve it (until down or Ctrl-C) and write its AWS inventory export to\n           <workspace>/lab/inventory; prints how to run riskmap inside its namespace\n  advance  move the running lab to the next epoch's drift (and re-export)\n  down     stop it\n  export   write an epoch's AWS export (describe-instances, describe-security-groups)\n           without serving anything")
	hosts := fs.Int("hosts", 200, "estate size")
	seed := fs.Int64("seed", 1, "estate seed")
	epoch := fs.Int("epoch", 0, "export: the epoch")
	out := fs.String("o", "", "export: output directory (default <workspace>/lab/inventory)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("lab up, down, advance or export")
	}
	stateFile := filepath.Join(m.workspace, "lab", "lab.json")
	invDir := *out
	if invDir == "" {
		invDir = filepath.Join(m.workspace, "lab", "inventory")
	}
	cfg := estate.DefaultConfig()
	cfg.Hosts, cfg.Seed = *hosts, *seed
	switch fs.Arg(0) {
	case "export":
		e, err := estate.New(cfg)
		if err != nil {
			return err
		}
		for i := 0; i < *epoch; i++ {
			e = e.Advance()
		}
		if err := exportAWS(invDir, e); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "wrote epoch %d (%d instances) to %s\n", e.Epoch, len(e.Instances), invDir)
		return nil
	case "down", "advance":
		st, err := readLabState(stateFile)
		if err != nil {
			return err
		}
		sig := syscall.SIGTERM
		if fs.Arg(0) == "advance" {
			sig = syscall.SIGUSR1
		}
		// A stale state file could name a pid the kernel has since given to another
		// program: signal it only if it is this riskmap's lab.
		if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.PID)); err != nil || !strings.Contains(string(cmdline), "lab\x00up") {
			os.Remove(stateFile)
			return fmt.Errorf("no lab is running as pid %d (stale %s removed)", st.PID, stateFile)
		}
		if err := syscall.Kill(st.PID, sig); err != nil {
			return fmt.Errorf("lab (pid %d): %w; is it still up?", st.PID, err)
		}
		fmt.Fprintf(m.Stdout, "sent %s to the lab (pid %d)\n", sig, st.PID)
		return nil
	case "up":
		if !netns.Private() {
			code, err := netns.Reexec()
			if err != nil {
				return fmt.Errorf("the lab needs a private network namespace: %w", err)
			}
			if code != 0 && code != 128+int(syscall.SIGTERM) {
				return errReported
			}
			return nil
		}
		return m.serveLab(ctx, cfg, stateFile, invDir)
	}
	return usageError("lab %q: want up, down, advance or export", fs.Arg(0))
}

func (m *Main) serveLab(ctx context.Context, cfg estate.Config, stateFile, invDir string) error {
	if err := netns.LoopbackUp(); err != nil {
		return err
	}
	e, err := estate.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	lb, err := lab.Start(ctx, e)
	if err != nil {
		return err
	}
	defer lb.Close()
	if err := exportAWS(invDir, e); err != nil {
		return err
	}
	st := labState{PID: os.Getpid(), Hosts: cfg.Hosts, Seed: cfg.Seed, NetNS: fmt.Sprintf("/proc/%d/ns/net", os.Getpid())}
	if err := writeLabState(stateFile, st); err != nil {
		return err
	}
	defer os.Remove(stateFile)
	fmt.Fprintf(m.Stdout, "lab up: %d hosts, %d listeners on 127.0.0.0/8 in a private network namespace (epoch 0)\n", len(e.Instances), len(lb.Addrs()))
	fmt.Fprintf(m.Stdout, "inventory: %s\nrun riskmap inside the lab's namespace, e.g.\n  nsenter --net=%s riskmap --workspace %s ingest inventory --provider aws %s\n  nsenter --net=%s riskmap --workspace %s cycle --once\n",
		invDir, st.NetNS, m.workspace, invDir, st.NetNS, m.workspace)
	adv := make(chan os.Signal, 1)
	signal.Notify(adv, syscall.SIGUSR1)
	defer signal.Stop(adv)
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(m.Stdout, "lab down")
			return nil
		case <-adv:
			e = e.Advance()
			if err := lb.Apply(ctx, e); err != nil {
				return err
			}
			if err := exportAWS(invDir, e); err != nil {
				return err
			}
			st.Epoch = e.Epoch
			if err := writeLabState(stateFile, st); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s lab at epoch %d: %d instances, %d drift events\n", time.Now().Format(time.TimeOnly), e.Epoch, len(e.Instances), len(e.Events))
		}
	}
}

func exportAWS(dir string, e *estate.Estate) error {
	return demo.WriteInventory(dir, e)
}

func writeLabState(path string, st labState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	return os.WriteFile(path, b, 0o644)
}

func readLabState(path string) (labState, error) {
	var st labState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("no lab is up in this workspace (%s missing): start one with riskmap lab up", path)
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil || st.PID <= 0 {
		return st, fmt.Errorf("%s: not a lab state file (want {\"pid\": N, ...}): %v", path, err)
	}
	return st, nil
}
