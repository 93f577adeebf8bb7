package estate_test

import (
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/riskmap/riskmap/datasets/estate"
)

// ruleNames reports whether a tcp rule of any group in e names port explicitly (an all-traffic
// rule names no port).
func ruleNames(e *estate.Estate, port int) bool {
	for _, sg := range e.SecurityGroups {
		for _, r := range sg.Ingress {
			if r.Proto == "tcp" && r.Covers("tcp", port) {
				return true
			}
		}
	}
	return false
}

func TestUnlistedHardCases(t *testing.T) {
	cfg := estate.DefaultConfig()
	plain := estate.Generate(cfg)
	cfg.Unlisted = 4
	e := estate.Generate(cfg)
	unlisted := estate.UnlistedPorts()

	t.Run("epoch 0", func(t *testing.T) {
		if len(e.Instances) != len(plain.Instances) {
			t.Fatalf("%d instances with the hard cases, %d without: want the same estate", len(e.Instances), len(plain.Instances))
		}
		touched := 0
		before := byID(plain)
		for _, in := range e.Instances {
			if reflect.DeepEqual(in, before[in.ID]) {
				continue
			}
			touched++
			var extra []estate.Service
			for _, s := range in.Services {
				if _, ok := service(before[in.ID], s.Port); !ok {
					extra = append(extra, s)
				}
			}
			if len(extra) != 1 || !slices.Contains(unlisted, extra[0].Port) {
				t.Errorf("%s: new services %v: want one on an unlisted port", in.ID, extra)
			}
		}
		if touched != cfg.Unlisted {
			t.Errorf("%d instances differ from the plain estate, want %d", touched, cfg.Unlisted)
		}
		serious := 0
		for _, x := range e.Serious() {
			if slices.Contains(unlisted, x.Port) {
				serious++
				if !x.Internet {
					t.Errorf("%s:%d serious but not internet-reachable", x.IP, x.Port)
				}
				if ruleNames(e, x.Port) {
					t.Errorf("port %d is named by a tcp rule: want only the all-traffic rule to allow it", x.Port)
				}
			}
		}
		if serious != cfg.Unlisted {
			t.Errorf("%d serious exposures on unlisted ports, want %d", serious, cfg.Unlisted)
		}
		if !reflect.DeepEqual(plain.Advance().Events, estate.Generate(estate.DefaultConfig()).Advance().Events) {
			t.Error("the plain estate's drift is not reproducible")
		}
	})

	t.Run("drift", func(t *testing.T) {
		cur := e
		for epoch := 1; epoch <= 6; epoch++ {
			cur = cur.Advance()
			serious := map[string]bool{}
			for _, x := range cur.Serious() {
				serious[x.IP+"|"+strconv.Itoa(x.Port)] = true
			}
			var wide, quiet int
			for _, ev := range cur.Events {
				if ev.Kind != estate.EventPortOpened || !slices.Contains(unlisted, ev.Port) {
					continue
				}
				if serious[ev.IP+"|"+strconv.Itoa(ev.Port)] {
					wide++
				} else {
					quiet++
				}
			}
			if wide != 1 || quiet != 1 {
				t.Errorf("epoch %d: %d serious and %d quiet unlisted ports opened, want 1 and 1", epoch, wide, quiet)
			}
		}
	})

	t.Run("validate", func(t *testing.T) {
		bad := estate.DefaultConfig()
		bad.Unlisted = -1
		if err := bad.Validate(); err == nil {
			t.Error("Unlisted -1 validated")
		}
	})
}

// TestNovelDrift checks Config.NovelDrift: each epoch's serious hand-started service listens
// on a port in 30000-59999 that is none of UnlistedPorts and that no instance used before,
// and the ground truth calls it serious.
func TestNovelDrift(t *testing.T) {
	cfg := estate.DefaultConfig()
	cfg.Unlisted, cfg.NovelDrift = 3, true
	e := estate.Generate(cfg)
	used := map[int]bool{}
	for _, in := range e.Instances {
		for _, s := range in.Services {
			used[s.Port] = true
		}
	}
	novel := 0
	for epoch := 1; epoch <= 5; epoch++ {
		e = e.Advance()
		for _, ev := range e.Events {
			if ev.Kind != estate.EventPortOpened || !slices.ContainsFunc(e.Serious(), func(x estate.Exposure) bool { return x.IP == ev.IP && x.Port == ev.Port }) {
				continue
			}
			if ev.Port < 30000 || ev.Port > 59999 || slices.Contains(estate.UnlistedPorts(), ev.Port) || used[ev.Port] {
				t.Errorf("epoch %d: serious drift on port %d: want a port in 30000-59999 never used before", epoch, ev.Port)
			}
			novel++
		}
		for _, in := range e.Instances {
			for _, s := range in.Services {
				used[s.Port] = true
			}
		}
	}
	if novel < 3 {
		t.Errorf("%d serious drift events on novel ports in 5 epochs, want at least 3", novel)
	}
}
