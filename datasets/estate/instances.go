package estate

import (
	"slices"
	"time"
)

// launch starts one more instance of group name at time now. drift says whether it happens
// between epochs (and so is recorded as events) or while epoch 0 is made.
func (g *gen) launch(name string, now time.Time, drift bool) (Instance, bool) {
	gr := g.e.Groups[g.groupIdx[name]]
	subs := slices.Clone(gr.Subnets)
	g.rng.Shuffle(len(subs), func(i, j int) { subs[i], subs[j] = subs[j], subs[i] })
	tags := map[string]string{
		"Name": gr.Name, "env": gr.Env, "criticality": gr.Criticality, "team": gr.Team,
		"service": gr.Family, "managed-by": "terraform",
	}
	for _, sub := range subs {
		if in, ok := g.newInstance(sub, gr.Image, gr.Name, gr.SecurityGroups, tags, now, drift); ok {
			return in, true
		}
	}
	return Instance{}, false
}

// launchPet starts a standalone instance of family fi in VPC v, with its own security group
// (made in the console, so named launch-wizard-N).
func (g *gen) launchPet(v VPC, fi int, now time.Time, drift bool) (Instance, bool) {
	f := &families[fi]
	env := g.st.vpcEnv[v.ID]
	sloppy := g.sloppiness(env)
	public := g.rng.Float64() < f.public*(0.8+0.6*sloppy)
	subs := g.pickSubnets(v, public, 1)
	if len(subs) == 0 {
		if subs = g.pickSubnets(v, !public, 1); len(subs) == 0 {
			return Instance{}, false
		}
	}
	name := g.name(f.name + "-" + env)
	image := g.imageFor(fi, sloppy)
	sgs := g.securityGroupsFor(v, name, fi, sloppy, true)
	tags := map[string]string{
		"Name": name, "env": env, "criticality": g.criticality(env), "team": f.team,
		"service": f.name, "managed-by": "manual",
	}
	in, ok := g.newInstance(subs[0], image, "", sgs, tags, now, drift)
	if !ok {
		return Instance{}, false
	}
	g.st.groups[in.ID] = &groupMeta{sloppy: sloppy, fam: fi}
	g.st.groupSG[in.ID] = sgs[0]
	return in, true
}

func (g *gen) newInstance(sub, image, group string, sgs []string, tags map[string]string, now time.Time, drift bool) (Instance, bool) {
	ss := g.st.subnets[sub]
	h := ss.pool.take()
	if h < 0 {
		return Instance{}, false
	}
	meta := g.st.images[image]
	f := &families[meta.fam]
	img := g.image(image)
	in := Instance{
		ID: awsID("i", g.cfg.Seed, spaceInstance, g.st.nInst), Group: group, Image: image,
		Subnet: sub, SecurityGroups: sgs, LabIP: labAddr(ss.vpc, ss.idx, h),
		Tags: tags, OS: img.OS, Platform: img.Platform, InstanceType: f.types[g.rng.IntN(len(f.types))],
	}
	g.st.nInst++
	vpc := g.e.VPCs[ss.vpc]
	in.VPC, in.Account, in.Region = vpc.ID, vpc.Account, vpc.Region
	in.AZ = g.subnet(sub).AZ
	if ss.public {
		if i := g.st.public.take(); i >= 0 {
			in.PublicIP = publicAddr(i)
		}
	}
	if drift {
		in.LaunchedAt = now.Add(-time.Duration(g.rng.Int64N(int64(g.cfg.EpochEvery))))
		if prev := g.st.owner[in.LabIP]; prev != "" {
			g.event(Event{Kind: EventIPReassigned, InstanceID: in.ID, IP: in.LabIP, Before: prev, After: in.ID,
				Detail: "private address " + in.LabIP + " handed from " + prev + " to " + in.ID})
		}
		g.event(Event{Kind: EventLaunch, InstanceID: in.ID, IP: in.LabIP, After: image, Detail: "launched in " + groupOr(group, tags["Name"])})
	} else {
		back := time.Duration(g.rng.Int64N(int64(60 * 24 * time.Hour)))
		if group == "" {
			back = time.Duration(30*24*time.Hour) + time.Duration(g.rng.Int64N(int64(870*24*time.Hour)))
		}
		in.LaunchedAt = now.Add(-back)
		if earliest := img.Created.Add(time.Hour); in.LaunchedAt.Before(earliest) {
			in.LaunchedAt = earliest.Add(time.Duration(g.rng.Int64N(int64(now.Sub(earliest)) + 1)))
		}
	}
	in.LaunchedAt = in.LaunchedAt.Truncate(time.Second)
	g.st.owner[in.LabIP] = in.ID
	in.Services = g.servicesFor(meta)
	g.e.Instances = append(g.e.Instances, in)
	return in, true
}

func groupOr(group, name string) string {
	if group != "" {
		return "group " + group
	}
	return "standalone " + name
}

func (g *gen) image(id string) Image { return g.e.Images[g.imgIdx[id]] }

func (g *gen) subnet(id string) Subnet { return g.e.Subnets[g.subIdx[id]] }

// servicesFor returns the services an instance of image m runs: what the build baked in, with
// an occasional instance whose configuration drifted from its image's (auth flipped).
func (g *gen) servicesFor(m *imageMeta) []Service {
	var out []Service
	for _, ic := range m.comps {
		if !ic.present {
			continue
		}
		port := ic.comp.port
		if port == 0 {
			port = DefaultPort(ic.b.kind)
		}
		auth := ic.auth
		if kinds[ic.b.kind].authed && g.rng.Float64() < 0.08 {
			auth = !auth
		}
		s := newService(ic.b, port, auth, OriginImage)
		if port == 443 {
			s.TLS = true
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Service) int { return a.Port - b.Port })
	return out
}

// securityGroupsFor makes owner's own security group, with rules for the ports its family
// serves (some too wide, some stale), and returns it with the shared groups it also gets.
func (g *gen) securityGroupsFor(v VPC, owner string, fi int, sloppy float64, pet bool) []string {
	f := &families[fi]
	name, desc := owner+"-sg", "managed by terraform for "+owner
	if pet {
		name = g.name("launch-wizard")
		desc = name + " created " + g.e.Time.Format("2006-01-02T15:04:05.000Z")
	}
	own := g.newSG(v, name, desc, nil)
	seen := map[int]bool{}
	for _, c := range f.comps {
		port := c.port
		if port == 0 {
			port = DefaultPort(c.kind)
		}
		if seen[port] {
			continue
		}
		seen[port] = true
		src, note := g.sourceFor(v, own, c.kind, f, port, sloppy)
		g.addRule(own, Rule{Proto: "tcp", From: port, To: port, Source: src, Description: note})
	}
	if g.rng.Float64() < 0.2+0.3*sloppy {
		port := stalePorts[g.rng.IntN(len(stalePorts))]
		src := v.CIDR
		if g.rng.Float64() < sloppy+0.2 {
			src = "0.0.0.0/0"
		}
		g.addRule(own, Rule{Proto: "tcp", From: port, To: port, Source: src, Description: "old app port"})
	}
	sgs := []string{own}
	attach := func(p float64, name string) {
		if g.rng.Float64() < p {
			sgs = append(sgs, g.st.shared[v.ID+"/"+name])
		}
	}
	if f.name == "bastion" {
		attach(1, "ops-bastion")
	}
	attach(0.5, "office-admin")
	attach(0.25, "default")
	attach(0.3*sloppy, "legacy-admin")
	attach(0.15*sloppy, "debug-wide-open")
	g.st.groupSG[owner] = own
	return sgs
}

// stalePorts are ports a security group may still open long after anything listened there.
var stalePorts = []int{8080, 8443, 9000, 3000, 9090, 5000, 8000, 3389, 5432, 9200, 8888}

// sourceFor chooses who may reach port: the internet for public-facing services, the VPC, the
// office or the group itself for the rest, and, with the owners' carelessness, 0.0.0.0/0 where
// it should not be.
func (g *gen) sourceFor(v VPC, own, kind string, f *family, port int, sloppy float64) (string, string) {
	x := g.rng.Float64()
	switch kind {
	case KindNginx, KindApache, KindPostfix, KindExim, KindVsftpd:
		if f.public >= 0.3 || x < 0.5 {
			return "0.0.0.0/0", "public " + kind
		}
		return v.CIDR, "from the load balancers"
	case KindOpenSSH:
		switch {
		case f.name == "bastion" || x < 0.7*sloppy:
			return "0.0.0.0/0", "ssh"
		case x < 0.6:
			return g.st.shared[v.ID+"/ops-bastion"], "ssh from bastions"
		}
		return officeCIDR, "office vpn"
	case KindTelnet:
		if x < 0.5 {
			return "0.0.0.0/0", ""
		}
		return officeCIDR, "office vpn"
	case KindRDP, KindWinRM, KindVNC, KindJupyter:
		if x < 0.8*sloppy {
			return "0.0.0.0/0", "remote access"
		}
		return officeCIDR, "office vpn"
	}
	if slices.Contains(f.internal, port) {
		switch {
		case x < 0.8*sloppy:
			return "0.0.0.0/0", "clients"
		case x < 0.5:
			return v.CIDR, "clients in the vpc"
		case x < 0.75:
			return own, "cluster peers"
		}
		return "10.0.0.0/8", "corporate network"
	}
	return v.CIDR, ""
}

// event records a drift event of the epoch being made.
func (g *gen) event(ev Event) { g.e.Events = append(g.e.Events, ev) }
