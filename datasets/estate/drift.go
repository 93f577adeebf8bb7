package estate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Advance returns the next epoch of e: the same estate EpochEvery later, after a little drift
// (instances launched, terminated and replaced, an address handed to a new instance, a port
// opened by hand, a debug service left running, versions moved, images rolled out, security
// group rules added and removed). It is deterministic: it depends only on e, which it does not
// change. Next.Events lists what changed. An estate that Generate did not make (Showcase, or
// one built by hand) has no drift to apply: Advance only moves its clock.
func (e *Estate) Advance() *Estate {
	if e.st == nil {
		next := *e
		next.Epoch, next.Time, next.Events, next.Terminated = e.Epoch+1, e.Time.Add(e.Config.EpochEvery), nil, nil
		return &next
	}
	next := &Estate{
		Epoch: e.Epoch + 1, Time: e.Time.Add(e.Config.EpochEvery), Config: e.Config,
		Accounts: e.Accounts, VPCs: e.VPCs, Subnets: e.Subnets,
		Images:         slices.Clone(e.Images),
		Groups:         slices.Clone(e.Groups),
		Instances:      slices.Clone(e.Instances),
		SecurityGroups: slices.Clone(e.SecurityGroups),
	}
	g := &gen{
		cfg: e.Config,
		rng: rand.New(rand.NewPCG(uint64(e.Config.Seed), 0x6472696674000000+uint64(next.Epoch))),
		e:   next,
		st:  e.st.clone(),
	}
	g.index()
	g.drift()
	g.unlistedDrift()
	return g.finish()
}

// drift applies one epoch of change to g.e.
func (g *gen) drift() {
	d := &drifter{gen: g, idx: map[string]int{}}
	for i, in := range g.e.Instances {
		d.idx[in.ID] = i
	}
	n := len(g.e.Instances)
	d.terminate(d.count(n, 0.015))
	d.replace(d.count(n, 0.01))
	d.scaleOut(d.count(n, 0.015))
	d.rollout()
	d.changeVersions(d.count(n, 0.01))
	d.stopServices()
	d.openPorts(d.count(n, 0.004))
	d.debugServices(d.count(n, 0.004))
	d.changeRules(d.count(n, 0.003))
}

type drifter struct {
	*gen
	idx map[string]int // instance id -> index in e.Instances
}

// count is about rate*n, at least 1.
func (d *drifter) count(n int, rate float64) int {
	return max(1, int(rate*float64(n)+d.rng.Float64()))
}

func (d *drifter) remove(id string) Instance {
	i := d.idx[id]
	in := d.e.Instances[i]
	last := len(d.e.Instances) - 1
	d.e.Instances[i] = d.e.Instances[last]
	d.idx[d.e.Instances[i].ID] = i
	d.e.Instances = d.e.Instances[:last]
	delete(d.idx, id)
	d.st.subnets[in.Subnet].pool.free(labHost(in.LabIP))
	if in.PublicIP != "" {
		d.st.public.free(publicIndex(in.PublicIP))
	}
	d.e.Terminated = append(d.e.Terminated, in)
	if in.Group != "" {
		d.e.Groups[d.groupIdx[in.Group]].Desired--
	}
	return in
}

func (d *drifter) terminate(k int) {
	for range k {
		if len(d.e.Instances) <= 1 {
			return
		}
		in := d.e.Instances[d.rng.IntN(len(d.e.Instances))]
		if in.Group == "" && d.rng.Float64() > 0.1 {
			continue // pets are seldom terminated
		}
		d.remove(in.ID)
		d.event(Event{Kind: EventTerminate, InstanceID: in.ID, IP: in.LabIP, Before: in.Image, Detail: "terminated from " + groupOr(in.Group, in.Tags["Name"])})
	}
}

// replace terminates group instances and launches their replacements in the same subnet, the
// way an instance refresh or a failed health check does: the replacement gets the lowest free
// address, often the one just freed. Instances on an outdated image go first.
func (d *drifter) replace(k int) {
	var cand []string
	for _, in := range d.e.Instances {
		if in.Group != "" && in.Image != d.e.Groups[d.groupIdx[in.Group]].Image {
			cand = append(cand, in.ID)
		}
	}
	d.rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	for tries := 0; k > 0 && tries < 20*k; tries++ {
		var in Instance
		if len(cand) > 0 {
			in = d.e.Instances[d.idx[cand[0]]]
			cand = cand[1:]
		} else if in = d.e.Instances[d.rng.IntN(len(d.e.Instances))]; in.Group == "" {
			continue
		}
		d.remove(in.ID)
		d.event(Event{Kind: EventTerminate, InstanceID: in.ID, IP: in.LabIP, Before: in.Image, Detail: "replaced in group " + in.Group})
		gr := d.e.Groups[d.groupIdx[in.Group]]
		tags := map[string]string{"Name": gr.Name, "env": gr.Env, "criticality": gr.Criticality, "team": gr.Team,
			"service": gr.Family, "managed-by": "terraform"}
		if nin, ok := d.newInstance(in.Subnet, gr.Image, gr.Name, gr.SecurityGroups, tags, d.e.Time, true); ok {
			d.idx[nin.ID] = len(d.e.Instances) - 1
			d.e.Groups[d.groupIdx[in.Group]].Desired++
		}
		k--
	}
}

func (d *drifter) scaleOut(k int) {
	for range k {
		if len(d.e.Groups) == 0 {
			break
		}
		gr := d.e.Groups[d.rng.IntN(len(d.e.Groups))]
		if in, ok := d.launch(gr.Name, d.e.Time, true); ok {
			d.idx[in.ID] = len(d.e.Instances) - 1
			d.e.Groups[d.groupIdx[gr.Name]].Desired++
		}
	}
	before := len(d.e.Instances)
	if d.rng.Float64() < 0.3 {
		d.populate(1+d.rng.IntN(3), d.e.Time, true) // a new group, or a pet
	}
	for i := before; i < len(d.e.Instances); i++ {
		d.idx[d.e.Instances[i].ID] = i
	}
}

// rollout moves a group to a newer build of its family, now and then after releasing one.
func (d *drifter) rollout() {
	if len(d.e.Groups) == 0 || d.rng.Float64() > 0.6 {
		return
	}
	gi := d.rng.IntN(len(d.e.Groups))
	gr := &d.e.Groups[gi]
	fi := slices.IndexFunc(families, func(f family) bool { return f.name == gr.Family })
	if d.rng.Float64() < 0.3 {
		d.newImage(fi, 3, d.e.Time.Add(-d.cfg.EpochEvery/2))
	}
	var newer []string
	cur := d.image(gr.Image).Created
	for _, img := range d.e.Images {
		if img.Family == gr.Family && img.Created.After(cur) {
			newer = append(newer, img.ID)
		}
	}
	if len(newer) == 0 {
		return
	}
	to := newer[d.rng.IntN(len(newer))]
	d.event(Event{Kind: EventImageRollout, Before: gr.Image, After: to, Detail: "group " + gr.Name + " now launches " + d.image(to).Name})
	gr.Image = to
}

// setServices replaces an instance's services (copy on write: earlier epochs share the slice).
func (d *drifter) setServices(i int, svcs []Service) {
	slices.SortFunc(svcs, func(a, b Service) int { return a.Port - b.Port })
	d.e.Instances[i].Services = svcs
}

// changeVersions upgrades (mostly) or downgrades one service in place on k instances: a
// package update, a pinned rollback.
func (d *drifter) changeVersions(k int) {
	for tries := 0; k > 0 && tries < 50*k; tries++ {
		i := d.rng.IntN(len(d.e.Instances))
		in := d.e.Instances[i]
		if len(in.Services) == 0 {
			continue
		}
		si := d.rng.IntN(len(in.Services))
		s := in.Services[si]
		alts := alternatives(s, d.st.images[in.Image].distro)
		at := slices.IndexFunc(alts, func(b build) bool { return b.version == s.Version && b.banner == s.Banner })
		if at < 0 || len(alts) < 2 {
			continue
		}
		to := at + 1
		if to >= len(alts) || (at > 0 && d.rng.Float64() < 0.3) {
			to = at - 1
		}
		ns := newService(alts[to], s.Port, s.Auth, s.Origin)
		ns.TLS = s.TLS
		svcs := slices.Clone(in.Services)
		svcs[si] = ns
		d.setServices(i, svcs)
		d.event(Event{Kind: EventVersionChanged, InstanceID: in.ID, IP: in.LabIP, Port: s.Port,
			Before: describe(s), After: describe(ns), Detail: s.Kind + " " + direction(at, to)})
		k--
	}
}

func direction(from, to int) string {
	if to > from {
		return "upgraded"
	}
	return "downgraded"
}

func describe(s Service) string {
	if s.Banner == "" {
		return s.Version
	}
	return s.Version + " (" + s.Banner + ")"
}

// alternatives are the builds s may move between: its distribution's, or the source builds
// when it was compiled.
func alternatives(s Service, distro string) []build {
	for _, list := range [][]build{buildsFor(s.Kind, distro), sourceBuilds(s.Kind), buildsFor(s.Kind, "")} {
		if slices.ContainsFunc(list, func(b build) bool { return b.version == s.Version && b.banner == s.Banner }) {
			return list
		}
	}
	return nil
}

// stopServices lets some services opened by hand or for debugging go away again.
func (d *drifter) stopServices() {
	for i, in := range d.e.Instances {
		var keep []Service
		changed := false
		for _, s := range in.Services {
			if s.Origin != OriginImage && d.rng.Float64() < 0.15 {
				changed = true
				d.event(Event{Kind: EventServiceStopped, InstanceID: in.ID, IP: in.LabIP, Port: s.Port, Before: s.Kind})
				continue
			}
			keep = append(keep, s)
		}
		if changed {
			d.setServices(i, keep)
		}
	}
}

// manualPorts are what people open by hand: each a kind nmap names on that port.
var manualPorts = []struct {
	kind string
	port int
}{{KindOpenSSH, 2222}, {KindNginx, 8080}, {KindTelnet, 23}, {KindVNC, 5901}, {KindMySQL, 3307}}

// debugPorts are the debug servers people forget.
var debugPorts = []struct {
	kind string
	port int
}{{KindWerkzeug, 5000}, {KindSimpleHTTP, 8000}, {KindJupyter, 8888}}

// openPorts starts, on k Linux instances, a service on a port that none of the instance's
// security groups allows: only a scan from inside finds it.
func (d *drifter) openPorts(k int) {
	for tries := 0; k > 0 && tries < 50*k; tries++ {
		i := d.rng.IntN(len(d.e.Instances))
		in := d.e.Instances[i]
		if in.Platform != "linux" {
			continue
		}
		c := manualPorts[d.rng.IntN(len(manualPorts))]
		if listens(in, c.port) || d.allowed(in, c.port) {
			continue
		}
		s := d.addService(i, c.kind, c.port, true, OriginManual)
		d.event(Event{Kind: EventPortOpened, InstanceID: in.ID, IP: in.LabIP, Port: c.port, After: s.Kind + " " + s.Version,
			Detail: "opened by hand; no security group allows tcp/" + strconv.Itoa(c.port)})
		k--
	}
}

// debugServices leaves a debug server running on k Linux instances. Whether anyone outside
// can reach it depends on the security groups: a stale rule can make it serious.
func (d *drifter) debugServices(k int) {
	for tries := 0; k > 0 && tries < 50*k; tries++ {
		i := d.rng.IntN(len(d.e.Instances))
		in := d.e.Instances[i]
		c := debugPorts[d.rng.IntN(len(debugPorts))]
		if in.Platform != "linux" || listens(in, c.port) {
			continue
		}
		s := d.addService(i, c.kind, c.port, false, OriginDebug)
		d.event(Event{Kind: EventDebugService, InstanceID: in.ID, IP: in.LabIP, Port: c.port, After: s.Kind + " " + s.Version,
			Detail: fmt.Sprintf("debug server left running, reachable: %v", d.allowed(in, c.port))})
		k--
	}
}

func (d *drifter) addService(i int, kind string, port int, auth bool, origin string) Service {
	in := d.e.Instances[i]
	list := buildsFor(kind, d.st.images[in.Image].distro)
	s := newService(list[d.rng.IntN(len(list))], port, auth, origin)
	d.setServices(i, append(slices.Clone(in.Services), s))
	return s
}

func listens(in Instance, port int) bool {
	return slices.ContainsFunc(in.Services, func(s Service) bool { return s.Port == port })
}

// allowed reports whether any security group of in has a rule for tcp/port, from anywhere.
func (g *gen) allowed(in Instance, port int) bool {
	for _, id := range in.SecurityGroups {
		for _, r := range g.e.SecurityGroups[g.sgIdx[id]].Ingress {
			if r.Covers("tcp", port) {
				return true
			}
		}
	}
	return false
}

// riskyPorts are what people open to the world "for a moment".
var riskyPorts = []int{22, 3389, 6379, 9200, 27017, 2375, 8080, 5601, 5000, 8888}

// changeRules adds a wide rule to, or removes a rule from, k groups' own security groups.
func (d *drifter) changeRules(k int) {
	owners := make([]string, 0, len(d.st.groupSG))
	for o := range d.st.groupSG {
		owners = append(owners, o)
	}
	slices.Sort(owners)
	if len(owners) == 0 {
		return
	}
	for range k {
		id := d.st.groupSG[owners[d.rng.IntN(len(owners))]]
		sg := &d.e.SecurityGroups[d.sgIdx[id]]
		if d.rng.Float64() < 0.55 || len(sg.Ingress) == 0 {
			port := riskyPorts[d.rng.IntN(len(riskyPorts))]
			r := Rule{Proto: "tcp", From: port, To: port, Source: "0.0.0.0/0", Description: "temporary"}
			sg.Ingress = append(slices.Clip(sg.Ingress), r)
			d.event(Event{Kind: EventRuleAdded, Port: port, After: "tcp/" + strconv.Itoa(port) + " from 0.0.0.0/0", Detail: sg.ID})
			continue
		}
		ri := d.rng.IntN(len(sg.Ingress))
		r := sg.Ingress[ri]
		sg.Ingress = slices.Delete(slices.Clone(sg.Ingress), ri, ri+1)
		d.event(Event{Kind: EventRuleRemoved, Port: r.From, Before: fmt.Sprintf("%s/%d-%d from %s", r.Proto, r.From, r.To, r.Source), Detail: sg.ID})
	}
}
