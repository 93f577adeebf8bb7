package estate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Generate makes epoch 0 of the estate cfg describes. It is New for a config known to be valid
// (DefaultConfig with fields changed in code): it panics, as regexp.MustCompile does, when cfg
// fails Validate. Use New for a config that comes from input.
func Generate(cfg Config) *Estate {
	e, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return e
}

// New makes epoch 0 of the estate cfg describes, or says which field of cfg is out of range.
func New(cfg Config) (*Estate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &gen{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6573746174650000)),
		e:   &Estate{Epoch: 0, Time: cfg.Start.UTC(), Config: cfg},
		st: &state{
			subnets: map[string]*subnetState{}, public: newPool(publicPoolSize()),
			images: map[string]*imageMeta{}, groups: map[string]*groupMeta{}, owner: map[string]string{},
			names: map[string]int{}, vpcEnv: map[string]string{}, shared: map[string]string{}, groupSG: map[string]string{},
		},
	}
	g.index()
	g.layout()
	g.buildImages()
	g.sharedGroups()
	g.populate(cfg.Hosts, g.e.Time, false)
	g.unlistedAtStart()
	return g.finish(), nil
}

// gen builds one epoch: Generate's epoch 0, or Advance's next one from a copy of the last.
type gen struct {
	cfg Config
	rng *rand.Rand
	e   *Estate
	st  *state

	sgIdx    map[string]int // security group id -> index in e.SecurityGroups
	groupIdx map[string]int // group name -> index in e.Groups
	imgIdx   map[string]int // AMI id -> index in e.Images
	subIdx   map[string]int // subnet id -> index in e.Subnets
}

func (g *gen) index() {
	g.sgIdx = make(map[string]int, len(g.e.SecurityGroups))
	for i, sg := range g.e.SecurityGroups {
		g.sgIdx[sg.ID] = i
	}
	g.groupIdx = make(map[string]int, len(g.e.Groups))
	for i, gr := range g.e.Groups {
		g.groupIdx[gr.Name] = i
	}
	g.imgIdx = make(map[string]int, len(g.e.Images))
	for i, img := range g.e.Images {
		g.imgIdx[img.ID] = i
	}
	g.subIdx = make(map[string]int, len(g.e.Subnets))
	for i, s := range g.e.Subnets {
		g.subIdx[s.ID] = i
	}
}

func (g *gen) finish() *Estate {
	slices.SortFunc(g.e.Instances, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	g.e.st = g.st
	return g.e
}

// layout makes the accounts, VPCs and subnets.
func (g *gen) layout() {
	seen := map[string]bool{}
	for a := range g.cfg.Accounts {
		id := fmt.Sprintf("%012d", 100000000000+g.rng.Int64N(899999999999))
		for seen[id] {
			id = fmt.Sprintf("%012d", 100000000000+g.rng.Int64N(899999999999))
		}
		seen[id] = true
		env := envs[a%3]
		name := "acme-" + env
		if a >= 3 {
			name = fmt.Sprintf("acme-%s-%d", env, a/3+1)
		}
		g.e.Accounts = append(g.e.Accounts, Account{ID: id, Name: name, Env: env})
	}
	nSub := subnetsPerVPC(g.cfg)
	for v := range g.cfg.VPCs {
		acct := g.e.Accounts[v%g.cfg.Accounts]
		region := regions[(v/g.cfg.Accounts)%len(regions)]
		vpc := VPC{ID: awsID("vpc", g.cfg.Seed, spaceVPC, uint64(v)), Account: acct.ID, Region: region,
			CIDR: fmt.Sprintf("127.%d.0.0/16", 10+v)}
		g.e.VPCs = append(g.e.VPCs, vpc)
		env := acct.Env
		if g.cfg.Accounts < 3 {
			env = envs[v%3]
		}
		g.st.vpcEnv[vpc.ID] = env
		for s := range nSub {
			sub := Subnet{ID: awsID("subnet", g.cfg.Seed, spaceSubnet, uint64(v*maxSubnetsPerVPC+s)), VPC: vpc.ID,
				AZ: region + string(rune('a'+(s/2)%3)), CIDR: fmt.Sprintf("127.%d.%d.0/24", 10+v, s), Public: s%2 == 0}
			g.subIdx[sub.ID] = len(g.e.Subnets)
			g.e.Subnets = append(g.e.Subnets, sub)
			g.st.subnets[sub.ID] = &subnetState{vpc: v, idx: s, public: sub.Public, pool: newPool(hostsPerSubnet)}
		}
	}
}

// buildImages makes three AMI builds of every family, oldest first.
func (g *gen) buildImages() {
	for fi := range families {
		for b := range 3 {
			g.newImage(fi, b, g.e.Time.Add(-time.Duration(120-50*b+g.rng.IntN(10))*24*time.Hour))
		}
	}
}

func (g *gen) newImage(fi, b int, created time.Time) Image {
	f := &families[fi]
	distro := f.distros[g.rng.IntN(len(f.distros))]
	risk := clamp01(f.risk + 0.22*g.rng.NormFloat64() + 0.08*float64(2-min(b, 2)))
	m := &imageMeta{fam: fi, distro: distro, risk: risk, build: b}
	for _, c := range f.comps {
		ic := imageComp{comp: c, present: g.rng.Float64() < c.p}
		ic.b = g.pickBuild(c, distro, b, risk)
		if c.authP > 0 {
			ic.auth = g.rng.Float64() < c.authP*(1-0.8*risk)
		}
		m.comps = append(m.comps, ic)
	}
	id := awsID("ami", g.cfg.Seed, spaceImage, g.st.nImage)
	g.st.nImage++
	img := Image{ID: id, Name: fmt.Sprintf("%s-%s-%s", f.name, distro, created.Format("20060102")),
		Family: f.name, OS: osNames[distro], Platform: platformOf(distro), Created: created}
	g.st.images[id] = m
	g.imgIdx[id] = len(g.e.Images)
	g.e.Images = append(g.e.Images, img)
	return img
}

// pickBuild chooses the version a build of age b (0 oldest) carries: newer builds take newer
// packages; risky builds more often compile an old release from source.
func (g *gen) pickBuild(c component, distro string, b int, risk float64) build {
	if c.source > 0 && g.rng.Float64() < c.source*(0.5+risk) {
		src := sourceBuilds(c.kind)
		if len(src) == 1 {
			return src[0]
		}
		if g.rng.Float64() < 0.3+0.5*risk {
			return src[1+g.rng.IntN(2)] // the vulnerable releases
		}
		if b >= 2 {
			return src[len(src)-1]
		}
		return src[0]
	}
	list := buildsFor(c.kind, distro)
	i := int(math.Round(float64(min(b, 2))/2*float64(len(list)-1))) + g.rng.IntN(3) - 1
	return list[max(0, min(len(list)-1, i))]
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

// sharedGroups makes the security groups every VPC has besides the per-group ones.
func (g *gen) sharedGroups() {
	for _, v := range g.e.VPCs {
		def := g.newSG(v, "default", "default VPC security group", nil)
		g.addRule(def, Rule{Proto: "all", From: 0, To: 65535, Source: def})
		g.st.shared[v.ID+"/default"] = def
		g.st.shared[v.ID+"/ops-bastion"] = g.newSG(v, "ops-bastion", "SSH to bastions",
			[]Rule{{Proto: "tcp", From: 22, To: 22, Source: "0.0.0.0/0", Description: "ssh from anywhere"}})
		g.st.shared[v.ID+"/office-admin"] = g.newSG(v, "office-admin", "admin access from the office VPN", []Rule{
			{Proto: "tcp", From: 22, To: 22, Source: officeCIDR, Description: "office vpn"},
			{Proto: "tcp", From: 3389, To: 3389, Source: officeCIDR, Description: "office vpn"},
		})
		g.st.shared[v.ID+"/legacy-admin"] = g.newSG(v, "legacy-admin", "old admin rules, do not use", []Rule{
			{Proto: "tcp", From: 22, To: 22, Source: "0.0.0.0/0"},
			{Proto: "tcp", From: 23, To: 23, Source: "0.0.0.0/0"},
			{Proto: "tcp", From: 3389, To: 3389, Source: "0.0.0.0/0"},
			{Proto: "tcp", From: 5900, To: 5900, Source: "0.0.0.0/0"},
		})
		g.st.shared[v.ID+"/debug-wide-open"] = g.newSG(v, "debug-wide-open", "temporary, for debugging",
			[]Rule{{Proto: "all", From: 0, To: 65535, Source: "0.0.0.0/0"}})
	}
}

// officeCIDR is the office VPN, a documentation range: restricted, not the internet.
const officeCIDR = "192.0.2.0/24"

func (g *gen) newSG(v VPC, name, desc string, rules []Rule) string {
	id := awsID("sg", g.cfg.Seed, spaceSG, g.st.nSG)
	g.st.nSG++
	g.sgIdx[id] = len(g.e.SecurityGroups)
	g.e.SecurityGroups = append(g.e.SecurityGroups, SecurityGroup{ID: id, Name: name, VPC: v.ID, Account: v.Account,
		Description: desc, Ingress: rules})
	return id
}

func (g *gen) addRule(sg string, r Rule) {
	i := g.sgIdx[sg]
	s := &g.e.SecurityGroups[i]
	s.Ingress = append(slices.Clip(s.Ingress), r)
}

// pickFamily draws a family for env, among pets or among groups.
func (g *gen) pickFamily(env string, pet bool) int {
	ei := slices.Index(envs[:], env)
	total := 0.0
	for _, f := range families {
		if f.pet == pet {
			total += f.weight[ei]
		}
	}
	x := g.rng.Float64() * total
	for i, f := range families {
		if f.pet != pet {
			continue
		}
		if x -= f.weight[ei]; x < 0 {
			return i
		}
	}
	return len(families) - 1
}

// populate adds groups and pets until n more instances run at time now, or the estate's
// subnets are full.
func (g *gen) populate(n int, now time.Time, drift bool) {
	for fails := 0; n > 0 && fails < 100; {
		v := g.e.VPCs[g.rng.IntN(len(g.e.VPCs))]
		env := g.st.vpcEnv[v.ID]
		made := 0
		if g.rng.Float64() < 0.15 {
			if _, ok := g.launchPet(v, g.pickFamily(env, true), now, drift); ok {
				made = 1
			}
		} else {
			size := min(n, 1+int(g.rng.ExpFloat64()*groupMean[env]), 20)
			made = g.newGroup(v, g.pickFamily(env, false), size, now, drift)
		}
		if made == 0 {
			fails++
		}
		n -= made
	}
}

var groupMean = map[string]float64{"prod": 4, "staging": 3, "dev": 2}
var envSloppy = map[string]float64{"prod": 0.7, "staging": 1, "dev": 1.5}

func (g *gen) sloppiness(env string) float64 {
	return clamp01(0.35 * envSloppy[env] * math.Exp(0.7*g.rng.NormFloat64()))
}

func (g *gen) criticality(env string) string {
	x := g.rng.Float64()
	switch env {
	case "prod":
		return pick3(x, 0.5, 0.9, "high", "medium", "low")
	case "staging":
		return pick3(x, 0.1, 0.7, "high", "medium", "low")
	}
	return pick3(x, 0.02, 0.3, "high", "medium", "low")
}

func pick3(x, a, b float64, p, q, r string) string {
	switch {
	case x < a:
		return p
	case x < b:
		return q
	}
	return r
}

// imageFor picks one of a family's builds: careless owners run older ones.
func (g *gen) imageFor(fi int, sloppy float64) string {
	var ids []string
	for _, img := range g.e.Images {
		if g.st.images[img.ID].fam == fi {
			ids = append(ids, img.ID)
		}
	}
	if g.rng.Float64() < 0.6-0.4*sloppy {
		return ids[len(ids)-1]
	}
	return ids[g.rng.IntN(len(ids))]
}

func (g *gen) name(prefix string) string {
	g.st.names[prefix]++
	return fmt.Sprintf("%s-%02d", prefix, g.st.names[prefix])
}

// newGroup makes an auto-scaling group of family fi in VPC v and launches size instances.
func (g *gen) newGroup(v VPC, fi, size int, now time.Time, drift bool) int {
	f := &families[fi]
	env := g.st.vpcEnv[v.ID]
	sloppy := g.sloppiness(env)
	public := g.rng.Float64() < f.public*(0.8+0.6*sloppy)
	gr := Group{Name: g.name(env + "-" + f.name), Account: v.Account, VPC: v.ID, Family: f.name, Env: env,
		Criticality: g.criticality(env), Team: f.team, Image: g.imageFor(fi, sloppy)}
	gr.Subnets = g.pickSubnets(v, public, 1+g.rng.IntN(3))
	if len(gr.Subnets) == 0 {
		return 0
	}
	gr.SecurityGroups = g.securityGroupsFor(v, gr.Name, fi, sloppy, false)
	g.st.groups[gr.Name] = &groupMeta{sloppy: sloppy, fam: fi}
	g.groupIdx[gr.Name] = len(g.e.Groups)
	g.e.Groups = append(g.e.Groups, gr)
	made := 0
	for range size {
		if _, ok := g.launch(gr.Name, now, drift); ok {
			made++
		}
	}
	g.e.Groups[g.groupIdx[gr.Name]].Desired = made
	return made
}

// pickSubnets returns up to n subnets of v, public or private, in different zones.
func (g *gen) pickSubnets(v VPC, public bool, n int) []string {
	var cand []string
	for _, s := range g.e.Subnets {
		if s.VPC == v.ID && s.Public == public && g.st.subnets[s.ID].pool.low < hostsPerSubnet {
			cand = append(cand, s.ID)
		}
	}
	g.rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	return cand[:min(n, len(cand))]
}
