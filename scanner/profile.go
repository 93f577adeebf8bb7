package scanner

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/riskmap/riskmap"
)

// Profile is how one tier scans a host. Ports are TCP unless named UDP.
//
// Factor is the probes one host-port costs on average, used to turn a port list into the
// probe count the planner budgets. The defaults, and why:
//
//	light    1.0  a SYN scan sends one probe per port; a RST or SYN/ACK answers it
//	standard 1.2  +20%: retransmissions to silent ports, and -sV --version-light probes on
//	              the few open ports spread over the list
//	deep     1.5  +50%: full-intensity -sV, -sC scripts and OS detection (about 16 probes a
//	              host) on top of the one probe per port
//
// Detection is a prior: the share, in (0, 1], of an asset's serious findings on the scanned
// ports that this profile surfaces (light sees open ports only; standard adds versions, so
// vulnerable releases; deep adds scripts). The planner multiplies it by the ports' coverage.
type Profile struct {
	// TopPorts adds nmap's N most often open TCP ports (from nmap-services).
	TopPorts int `yaml:"top_ports" json:"top_ports"`
	// AllPorts scans every TCP port, 1-65535.
	AllPorts bool `yaml:"all_ports" json:"all_ports"`
	// Predicted adds the ports the models predict for the asset. nmap's top-1000 leaves out
	// many risky cloud ports (6379, 11211, 27017, 2375, 10250, 2379, 6443, 9092, 5601, 15672,
	// 2181, 5985): predicted ports are how riskmap sees them.
	Predicted bool `yaml:"predicted_ports" json:"predicted_ports"`
	// Version is service detection: "" or "none" (off), "light" (-sV --version-light),
	// "normal" (-sV), "all" (-sV --version-all).
	Version string `yaml:"version" json:"version"`
	// DefaultScripts runs nmap's default scripts (-sC).
	DefaultScripts bool `yaml:"default_scripts" json:"default_scripts"`
	// Scripts adds NSE scripts by name (--script). The categories dos, exploit, brute,
	// intrusive and all are refused: riskmap runs unattended.
	Scripts []string `yaml:"scripts" json:"scripts"`
	// OSDetection asks for -O, which nmap only does as root; without root it is left out and
	// the batch notes why.
	OSDetection bool `yaml:"os_detection" json:"os_detection"`
	// UDPTopPorts adds nmap's N most often open UDP ports (-sU, root only).
	UDPTopPorts int     `yaml:"udp_top_ports" json:"udp_top_ports"`
	Factor      float64 `yaml:"factor" json:"factor"`
	Detection   float64 `yaml:"detection" json:"detection"`
}

// ProfileConfig is the per-tier profiles and the port table they read.
type ProfileConfig struct {
	// ServicesPath is nmap-services; "" means DefaultServicesPath.
	ServicesPath string  `yaml:"services_path" json:"services_path"`
	Light        Profile `yaml:"light" json:"light"`
	Standard     Profile `yaml:"standard" json:"standard"`
	Deep         Profile `yaml:"deep" json:"deep"`
}

// DefaultProfileConfig returns the documented defaults: light is the predicted ports plus the
// top 100 without version detection; standard the top 1000 plus predicted ports with
// -sV --version-light and the Checks (unauthenticated access to the risky cloud services);
// deep every TCP port with -sV -sC, OS detection, the Checks and a few more safe scripts.
func DefaultProfileConfig() ProfileConfig {
	return ProfileConfig{
		Light:    Profile{TopPorts: 100, Predicted: true, Factor: 1.0, Detection: 0.4},
		Standard: Profile{TopPorts: 1000, Predicted: true, Version: "light", Scripts: Checks(), Factor: 1.2, Detection: 0.75},
		Deep: Profile{AllPorts: true, Predicted: true, Version: "normal", DefaultScripts: true,
			Scripts:     append(Checks(), "rdp-enum-encryption", "ssh2-enum-algos"),
			OSDetection: true, Factor: 1.5, Detection: 1.0},
	}
}

var forbiddenScripts = map[string]bool{"dos": true, "exploit": true, "brute": true, "intrusive": true, "all": true}

// Validate checks every profile.
func (c ProfileConfig) Validate() error {
	for _, t := range []riskmap.Tier{riskmap.TierLight, riskmap.TierStandard, riskmap.TierDeep} {
		if err := c.profile(t).validate(); err != nil {
			return fmt.Errorf("%w: profiles.%s: %w", ErrBadConfig, t, err)
		}
	}
	return nil
}

func (p Profile) validate() error {
	if p.TopPorts < 0 {
		return fmt.Errorf("top_ports %d: want >= 0", p.TopPorts)
	}
	if p.UDPTopPorts < 0 {
		return fmt.Errorf("udp_top_ports %d: want >= 0", p.UDPTopPorts)
	}
	if p.TopPorts == 0 && !p.AllPorts && !p.Predicted {
		return fmt.Errorf("no ports: set top_ports, all_ports or predicted_ports")
	}
	switch p.Version {
	case "", "none", "light", "normal", "all":
	default:
		return fmt.Errorf("version %q: want none, light, normal or all", p.Version)
	}
	if !(p.Factor > 0) || math.IsInf(p.Factor, 0) {
		return fmt.Errorf("factor %v: want a number > 0 (probes per host and port)", p.Factor)
	}
	if !(p.Detection > 0 && p.Detection <= 1) {
		return fmt.Errorf("detection %v: want a number in (0, 1]", p.Detection)
	}
	for i, s := range p.Scripts {
		if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
			return fmt.Errorf("scripts[%d] %q: want a script or category name (letters, digits, - _ .)", i, s)
		}
		if forbiddenScripts[strings.ToLower(s)] {
			return fmt.Errorf("scripts[%d] %q: this category is refused, riskmap scans unattended", i, s)
		}
	}
	return nil
}

func (c ProfileConfig) profile(t riskmap.Tier) Profile {
	switch t {
	case riskmap.TierLight:
		return c.Light
	case riskmap.TierStandard:
		return c.Standard
	case riskmap.TierDeep:
		return c.Deep
	}
	return Profile{}
}

// Load validates c, reads its nmap-services file and resolves every tier's port lists.
func (c ProfileConfig) Load() (*Profiles, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	path := c.ServicesPath
	if path == "" {
		path = DefaultServicesPath
	}
	svc, err := LoadServices(path)
	if err != nil {
		return nil, err
	}
	return NewProfiles(c, svc)
}

// Profiles is a ProfileConfig resolved against a port table: the exact port lists of every
// tier. It is read-only and safe for concurrent use.
type Profiles struct {
	cfg  ProfileConfig
	base [riskmap.TierDeep + 1]PortList
	udp  [riskmap.TierDeep + 1]PortList
	mass [riskmap.TierDeep + 1]float64
	// order is every TCP port, most often open first (nmap-services' frequency), then the
	// ports nmap-services does not rank, ascending: the order in which the sweep takes them.
	order []int
}

// NewProfiles resolves c against svc.
func NewProfiles(c ProfileConfig, svc *Services) (*Profiles, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := &Profiles{cfg: c}
	all := make(PortList, 65535)
	for i := range all {
		all[i] = i + 1
	}
	for t := riskmap.TierLight; t <= riskmap.TierDeep; t++ {
		pr := c.profile(t)
		if pr.AllPorts {
			p.base[t] = all
			p.mass[t] = 1
		} else {
			p.base[t] = svc.Top("tcp", pr.TopPorts)
			p.mass[t] = svc.Mass("tcp", p.base[t])
		}
		p.udp[t] = svc.Top("udp", pr.UDPTopPorts)
	}
	p.order = svc.Order("tcp")
	return p, nil
}

// Order returns every port of 1-65535 of proto, the ones svc knows first, most often open
// first, then the rest ascending.
func (s *Services) Order(proto string) []int {
	out := make([]int, 0, 65535)
	seen := make([]bool, 65536)
	for _, e := range s.byProto[proto] {
		if e.freq > 0 {
			out = append(out, e.port)
			seen[e.port] = true
		}
	}
	for port := 1; port <= 65535; port++ {
		if !seen[port] {
			out = append(out, port)
		}
	}
	return out
}

// Config returns the configuration p was built from.
func (p *Profiles) Config() ProfileConfig { return p.cfg }

// Profile returns the profile of tier t (the zero Profile for skip).
func (p *Profiles) Profile(t riskmap.Tier) Profile { return p.cfg.profile(t) }

func scans(t riskmap.Tier) bool { return t >= riskmap.TierLight && t <= riskmap.TierDeep }

// Ports returns the TCP ports tier t scans on an asset with these predicted ports. Invalid
// predicted ports (outside 1-65535) are left out. Skip scans nothing. The result may share
// memory with p's own lists: do not modify it.
func (p *Profiles) Ports(t riskmap.Tier, predicted []int) PortList {
	extra := p.extra(t, predicted)
	if len(extra) == 0 {
		return p.base[t]
	}
	// A linear merge of two sorted lists: deep's 65,535 ports are not sorted again per asset.
	slices.Sort(extra)
	base := p.base[t]
	out := make(PortList, 0, len(base)+len(extra))
	i, j := 0, 0
	for i < len(base) || j < len(extra) {
		if j == len(extra) || i < len(base) && base[i] < extra[j] {
			out = append(out, base[i])
			i++
		} else {
			out = append(out, extra[j])
			j++
		}
	}
	return out
}

// PortCount is len(p.Ports(t, predicted)) without building the list.
func (p *Profiles) PortCount(t riskmap.Tier, predicted []int) int {
	return len(p.base[t]) + len(p.extra(t, predicted))
}

// extra returns the valid predicted ports that tier t's own list lacks, unique.
func (p *Profiles) extra(t riskmap.Tier, predicted []int) []int {
	if !scans(t) || !p.cfg.profile(t).Predicted {
		return nil
	}
	var out []int
	for _, port := range predicted {
		if port < 1 || port > 65535 || slices.Contains(out, port) {
			continue
		}
		if _, found := slices.BinarySearch(p.base[t], port); !found {
			out = append(out, port)
		}
	}
	return out
}

// UDPPorts returns the UDP ports tier t scans.
func (p *Profiles) UDPPorts(t riskmap.Tier) PortList {
	if !scans(t) {
		return nil
	}
	return p.udp[t]
}

// Coverage returns the share of nmap's open-frequency that tier t's own TCP list covers,
// before predicted ports are added: about 0.6 for the top 100, 0.93 for the top 1000.
func (p *Profiles) Coverage(t riskmap.Tier) float64 {
	if !scans(t) {
		return 0
	}
	return p.mass[t]
}

// Probes is the planned cost of scanning hosts hosts on tcp TCP and udp UDP ports at tier t:
// hosts x ports x the profile's factor, rounded up.
func (p *Profiles) Probes(t riskmap.Tier, hosts, tcp, udp int) int {
	if !scans(t) || hosts <= 0 {
		return 0
	}
	return int(math.Ceil(float64(hosts) * float64(tcp+udp) * p.cfg.profile(t).Factor))
}
