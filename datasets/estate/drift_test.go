package estate_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/riskmap/riskmap/datasets/estate"
)

func byID(e *estate.Estate) map[string]estate.Instance {
	m := make(map[string]estate.Instance, len(e.Instances))
	for _, in := range e.Instances {
		m[in.ID] = in
	}
	return m
}

func service(in estate.Instance, port int) (estate.Service, bool) {
	i := slices.IndexFunc(in.Services, func(s estate.Service) bool { return s.Port == port })
	if i < 0 {
		return estate.Service{}, false
	}
	return in.Services[i], true
}

// allowedBy reports whether any of in's security groups in e has a rule for tcp/port.
func allowedBy(e *estate.Estate, in estate.Instance, port int) bool {
	for _, sg := range e.SecurityGroups {
		if !slices.Contains(in.SecurityGroups, sg.ID) {
			continue
		}
		for _, r := range sg.Ingress {
			if r.Covers("tcp", port) {
				return true
			}
		}
	}
	return false
}

// TestDriftDoesWhatItSays checks, over a few epochs, that every kind of drift happens and that
// each event is visible in the epochs before and after it.
func TestDriftDoesWhatItSays(t *testing.T) {
	prev := estate.Generate(estate.DefaultConfig())
	everHeld := map[string][]string{} // lab IP -> the instances that held it, in order
	record := func(e *estate.Estate) {
		for _, in := range e.Instances {
			if h := everHeld[in.LabIP]; len(h) == 0 || h[len(h)-1] != in.ID {
				everHeld[in.LabIP] = append(h, in.ID)
			}
		}
	}
	record(prev)
	counts := map[string]int{}
	for epoch := 1; epoch <= 4; epoch++ {
		next := prev.Advance()
		before, after := byID(prev), byID(next)
		for _, ev := range next.Events {
			counts[ev.Kind]++
			t.Run(ev.Kind, func(t *testing.T) {
				switch ev.Kind {
				case estate.EventLaunch:
					if _, was := before[ev.InstanceID]; was {
						t.Errorf("epoch %d: launched %s already ran", epoch, ev.InstanceID)
					}
				case estate.EventTerminate:
					if _, was := before[ev.InstanceID]; !was {
						t.Errorf("epoch %d: terminated %s did not run", epoch, ev.InstanceID)
					}
					if _, is := after[ev.InstanceID]; is {
						t.Errorf("epoch %d: terminated %s still runs", epoch, ev.InstanceID)
					}
					if !slices.ContainsFunc(next.Terminated, func(in estate.Instance) bool { return in.ID == ev.InstanceID }) {
						t.Errorf("epoch %d: terminated %s not listed as terminated", epoch, ev.InstanceID)
					}
				case estate.EventIPReassigned:
					held := everHeld[ev.IP]
					if !slices.Contains(held, ev.Before) || ev.Before == ev.After {
						t.Errorf("epoch %d: %s was never held by %s (held by %v)", epoch, ev.IP, ev.Before, held)
					}
				case estate.EventPortOpened:
					in := after[ev.InstanceID]
					s, ok := service(in, ev.Port)
					if _, had := service(before[ev.InstanceID], ev.Port); had || !ok || s.Origin != estate.OriginManual {
						t.Errorf("epoch %d: %s:%d was not newly opened by hand (%+v)", epoch, ev.InstanceID, ev.Port, s)
					}
					if allowedBy(next, in, ev.Port) {
						t.Errorf("epoch %d: a security group allows the hand-opened %s:%d", epoch, ev.InstanceID, ev.Port)
					}
				case estate.EventDebugService:
					s, ok := service(after[ev.InstanceID], ev.Port)
					if _, had := service(before[ev.InstanceID], ev.Port); had || !ok || s.Origin != estate.OriginDebug {
						t.Errorf("epoch %d: no new debug service on %s:%d (%+v)", epoch, ev.InstanceID, ev.Port, s)
					}
				case estate.EventVersionChanged:
					was, ok1 := service(before[ev.InstanceID], ev.Port)
					now, ok2 := service(after[ev.InstanceID], ev.Port)
					if !ok1 || !ok2 || was.Kind != now.Kind || (was.Version == now.Version && was.Banner == now.Banner) {
						t.Errorf("epoch %d: %s:%d did not change version: %+v -> %+v", epoch, ev.InstanceID, ev.Port, was, now)
					}
				}
			})
		}
		record(next)
		prev = next
	}
	for _, k := range []string{estate.EventLaunch, estate.EventTerminate, estate.EventIPReassigned, estate.EventPortOpened,
		estate.EventDebugService, estate.EventVersionChanged} {
		if counts[k] == 0 {
			t.Errorf("no %s event in four epochs", k)
		}
	}
}

// TestDriftChangesWhatAScanSees checks the drift against the observations: a new port, a
// changed version, an address answering for another instance.
func TestDriftChangesWhatAScanSees(t *testing.T) {
	e0 := estate.Generate(estate.DefaultConfig())
	e1 := e0.Advance()
	key := func(ip string, port int) string { return fmt.Sprintf("%s:%d", ip, port) }
	obs := func(e *estate.Estate) map[string]string {
		m := map[string]string{}
		for _, o := range e.Observations("x", e.Time) {
			m[key(o.IP, o.Port)] = o.AssetID + " " + o.Product + " " + o.Version
		}
		return m
	}
	o0, o1 := obs(e0), obs(e1)
	for _, ev := range e1.Events {
		switch ev.Kind {
		case estate.EventPortOpened, estate.EventDebugService:
			if _, ok := o0[key(ev.IP, ev.Port)]; ok {
				t.Errorf("%s:%d seen open before it was opened", ev.IP, ev.Port)
			}
			if _, ok := o1[key(ev.IP, ev.Port)]; !ok {
				t.Errorf("%s:%d opened but not seen", ev.IP, ev.Port)
			}
		}
	}
	changed := 0
	for k, v := range o1 {
		if w, ok := o0[k]; ok && w != v {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no port answers differently after a drift")
	}
}
