package estate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// unlistedPorts are the hard cases of Config.Unlisted: services that listen on ports that no
// list names. None of these ports is in nmap-services (so no --top-ports list holds them), no
// security group rule names them, and no image serves them, so neither rules nor siblings
// predict them. Each kind announces itself in a banner (nmap's NULL probe), so nmap -sV names
// it at once on any port, even at --version-light.
var unlistedPorts = []struct {
	kind string
	port int
}{{KindTelnet, 42323}, {KindVNC, 45900}, {KindTelnet, 52323}, {KindVNC, 38900}, {KindMySQL, 33023}, {KindOpenSSH, 39901}}

// UnlistedPorts returns the ports Config.Unlisted's hard cases listen on, sorted.
func UnlistedPorts() []int {
	out := make([]int, 0, len(unlistedPorts))
	for _, u := range unlistedPorts {
		out = append(out, u.port)
	}
	slices.Sort(out)
	return out
}

// unlistedRNG is the hard cases' own random stream: turning them on leaves every other draw of
// the estate, and so every other instance, service and rule, exactly as it was.
func (g *gen) unlistedRNG(epoch int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x756e6c6973746564+uint64(epoch)))
}

// wideOpen reports whether in has a public address and a security group whose rule allows all
// traffic from anywhere (IpProtocol -1 from 0.0.0.0/0).
func (g *gen) wideOpen(in Instance) bool {
	if in.PublicIP == "" {
		return false
	}
	for _, id := range in.SecurityGroups {
		for _, r := range g.e.SecurityGroups[g.sgIdx[id]].Ingress {
			if r.Proto == "all" && r.Source == "0.0.0.0/0" {
				return true
			}
		}
	}
	return false
}

// unlistedAtStart makes epoch 0's hard cases: cfg.Unlisted public Linux instances behind the
// debug-wide-open group (attached by hand where an instance lacks it, as people do "for a
// moment"), each with a service on an unlisted high port. VNC without a password and telnet
// from the internet are critical in the ground truth.
func (g *gen) unlistedAtStart() {
	if g.cfg.Unlisted == 0 {
		return
	}
	rng := g.unlistedRNG(0)
	var open, public []int
	for i, in := range g.e.Instances {
		switch {
		case in.Platform != "linux" || in.PublicIP == "":
		case g.wideOpen(in):
			open = append(open, i)
		default:
			public = append(public, i)
		}
	}
	rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	rng.Shuffle(len(public), func(i, j int) { public[i], public[j] = public[j], public[i] })
	hosts := append(open, public...)
	for n := 0; n < g.cfg.Unlisted && n < len(hosts); n++ {
		i := hosts[n]
		in := &g.e.Instances[i]
		if !g.wideOpen(*in) {
			in.SecurityGroups = append(slices.Clip(in.SecurityGroups), g.st.shared[in.VPC+"/debug-wide-open"])
		}
		u := unlistedPorts[n%4] // telnet and VNC: the serious ones
		if listens(*in, u.port) {
			continue
		}
		g.addUnlisted(i, u.kind, u.port, rng)
	}
}

// addUnlisted starts kind on port of instance i, without credentials where the kind can run
// either way.
func (g *gen) addUnlisted(i int, kind string, port int, rng *rand.Rand) Service {
	in := g.e.Instances[i]
	list := buildsFor(kind, g.st.images[in.Image].distro)
	s := newService(list[rng.IntN(len(list))], port, false, OriginManual)
	svcs := append(slices.Clone(in.Services), s)
	slices.SortFunc(svcs, func(a, b Service) int { return a.Port - b.Port })
	g.e.Instances[i].Services = svcs
	return s
}

// novelPort draws a port in 30000-59999 that no instance of the estate listens on now, none
// of UnlistedPorts, and none drawn before (the estate's instances keep the ports they were
// given, so a port they listen on now covers every earlier draw still running).
func (g *gen) novelPort(rng *rand.Rand) int {
	used := map[int]bool{}
	for _, u := range unlistedPorts {
		used[u.port] = true
	}
	for _, in := range g.e.Instances {
		for _, s := range in.Services {
			used[s.Port] = true
		}
	}
	for {
		if p := 30000 + rng.IntN(30000); !used[p] {
			return p
		}
	}
}

// unlistedDrift is one epoch's hard cases of drift, when cfg.Unlisted is set: a service started
// by hand on an unlisted port of an existing wide-open instance (serious: the all-traffic rule
// lets the internet reach it, though no rule names the port), and one on an instance whose
// groups allow no such port (info: only a scan from inside sees it).
func (g *gen) unlistedDrift() {
	if g.cfg.Unlisted == 0 {
		return
	}
	rng := g.unlistedRNG(g.e.Epoch)
	var open, closed []int
	for i, in := range g.e.Instances {
		if in.Platform != "linux" {
			continue
		}
		if g.wideOpen(in) {
			open = append(open, i)
		} else {
			closed = append(closed, i)
		}
	}
	try := func(cands []int, serious bool) {
		for tries := 0; tries < 20 && len(cands) > 0; tries++ {
			i := cands[rng.IntN(len(cands))]
			u := unlistedPorts[rng.IntN(len(unlistedPorts))]
			if serious && g.cfg.NovelDrift {
				u.port = g.novelPort(rng)
			}
			in := g.e.Instances[i]
			if serious && u.kind != KindTelnet && u.kind != KindVNC {
				continue
			}
			if listens(in, u.port) || (!serious && g.allowed(in, u.port)) {
				continue
			}
			s := g.addUnlisted(i, u.kind, u.port, rng)
			detail := "opened by hand on an unlisted port; no security group allows tcp/" + strconv.Itoa(u.port)
			if serious {
				detail = fmt.Sprintf("opened by hand on unlisted port %d of a host whose security group allows all traffic from anywhere", u.port)
			}
			g.event(Event{Kind: EventPortOpened, InstanceID: in.ID, IP: in.LabIP, Port: u.port, After: s.Kind + " " + s.Version, Detail: detail})
			return
		}
	}
	try(open, true)
	try(closed, false)
}
