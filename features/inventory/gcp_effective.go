package inventory

import (
	"sort"
	"strings"
)

// GCP effective firewalls: what `gcloud compute networks get-effective-firewalls NETWORK
// --format=json` prints (the API's networks.getEffectiveFirewalls response): the network's
// VPC firewall rules ("firewalls", the same objects as firewall-rules list) and the firewall
// policies that apply to it ("firewallPolicys": hierarchical policies of the organisation
// and folders, and global network firewall policies), each with its rules.
//
// GCP evaluates ingress in this order, the first matching rule deciding: hierarchical
// policies from the organisation down, then the VPC firewall rules, then network firewall
// policies. Within a policy the lowest priority number goes first; "allow" and "deny" decide,
// "goto_next" sends the packet to the next level (the rest of that policy is skipped for it),
// and "apply_security_profile_group" lets it through after inspection (read as allow).

type (
	gcpEffective struct {
		Firewalls       []gcpFirewall        `json:"firewalls"`
		FirewallPolicys []gcpEffectivePolicy `json:"firewallPolicys"`
	}
	gcpEffectivePolicy struct {
		Name        string          `json:"name"`
		ShortName   string          `json:"shortName"`
		DisplayName string          `json:"displayName"`
		Type        string          `json:"type"`
		Rules       []gcpPolicyRule `json:"rules"`
	}
	gcpPolicyRule struct {
		Priority              *int     `json:"priority"`
		Action                string   `json:"action"`
		Direction             string   `json:"direction"`
		Disabled              bool     `json:"disabled"`
		TargetResources       []string `json:"targetResources"`
		TargetServiceAccounts []string `json:"targetServiceAccounts"`
		TargetSecureTags      []struct {
			Name string `json:"name"`
		} `json:"targetSecureTags"`
		Match *struct {
			SrcIPRanges    []string                `json:"srcIpRanges"`
			Layer4Configs  []gcpL4                 `json:"layer4Configs"`
			SrcSecureTags  []struct{ Name string } `json:"srcSecureTags"`
			SrcFqdns       []string                `json:"srcFqdns"`
			SrcRegionCodes []string                `json:"srcRegionCodes"`
		} `json:"match"`
	}
	gcpL4 struct {
		IPProtocol string   `json:"ipProtocol"`
		Ports      []string `json:"ports"`
	}
)

// Policy rule actions.
const (
	actAllow = iota
	actDeny
	actGotoNext
)

// gcpPolicyRec is one firewall policy, ready to apply.
type gcpPolicyRec struct {
	name      string
	hierarchy bool     // HIERARCHY: evaluated before the VPC rules; else after them
	networks  []string // the networks it was read for ("" in none: every instance)
	order     int      // position among the policies read, for a stable evaluation order
	rules     []gcpPolicyRuleRec
}

type gcpPolicyRuleRec struct {
	priority       int
	action         int
	rules          []orderedRule // one per layer-4 config, allow set from the action
	targetAccounts []string
	targetNetworks []string
	secureTargets  bool // targets secure tags, which instance lists do not show
}

func (s *gcpState) addEffective(doc *jsonDoc, sum *FileSummary) error {
	var eff gcpEffective
	if err := doc.decode(&eff); err != nil {
		return err
	}
	var networks []string
	if s.firewalls == nil {
		s.firewalls = map[string]gcpFirewallRec{}
	}
	for i, fw := range eff.Firewalls {
		rec, n, err := gcpFirewallRule(doc, jpath{"firewalls", i}, fw)
		if err != nil {
			return err
		}
		sum.Rules += n
		key := gcpPath(fw.SelfLink)
		if key == "" {
			key = armPart(gcpPath(fw.Network), "projects") + "/" + fw.Name
		}
		s.firewalls[key] = rec
		networks = appendUnique(networks, gcpPath(fw.Network))
	}
	for pi, pol := range eff.FirewallPolicys {
		pp := jpath{"firewallPolicys", pi}
		rec := gcpPolicyRec{name: firstNonEmpty(pol.DisplayName, pol.ShortName, pol.Name), order: len(s.policies),
			hierarchy: strings.EqualFold(pol.Type, "HIERARCHY"), networks: networks}
		if rec.name == "" {
			return doc.missing(pp.at("name"), "the policy name")
		}
		for ri, r := range pol.Rules {
			rr, n, err := readPolicyRule(doc, pp.at("rules", ri), r)
			if err != nil {
				return err
			}
			if rr == nil {
				continue // egress or disabled
			}
			sum.Rules += n
			rec.rules = append(rec.rules, *rr)
		}
		sort.SliceStable(rec.rules, func(i, j int) bool { return rec.rules[i].priority < rec.rules[j].priority })
		s.policies = append(s.policies, rec)
	}
	if len(networks) == 0 && len(eff.FirewallPolicys) > 0 {
		sum.Warnings = append(sum.Warnings, doc.file+": no VPC firewall rule names the network these firewall policies were read for; they are applied to every GCP instance")
	}
	s.fwFiles++
	return nil
}

// readPolicyRule checks one firewall-policy rule and converts it; it returns nil for a rule
// that never decides ingress (egress, disabled), and n counts its entries x sources.
func readPolicyRule(doc *jsonDoc, path jpath, r gcpPolicyRule) (*gcpPolicyRuleRec, int, error) {
	switch strings.ToUpper(r.Direction) {
	case "", "INGRESS":
	case "EGRESS":
		return nil, 0, nil
	default:
		return nil, 0, doc.errAt(path.at("direction"), ErrValue, "expected INGRESS or EGRESS, got %q", r.Direction)
	}
	if r.Priority == nil {
		return nil, 0, doc.missing(path.at("priority"), "the rule priority, 0..2147483647")
	}
	if *r.Priority < 0 {
		return nil, 0, doc.errAt(path.at("priority"), ErrValue, "expected 0..2147483647, got %d", *r.Priority)
	}
	rec := &gcpPolicyRuleRec{priority: *r.Priority, targetAccounts: r.TargetServiceAccounts,
		targetNetworks: r.TargetResources, secureTargets: len(r.TargetSecureTags) > 0}
	switch strings.ToLower(r.Action) {
	case "allow", "apply_security_profile_group":
		rec.action = actAllow
	case "deny":
		rec.action = actDeny
	case "goto_next":
		rec.action = actGotoNext
	case "":
		return nil, 0, doc.missing(path.at("action"), "allow, deny, goto_next or apply_security_profile_group")
	default:
		return nil, 0, doc.errAt(path.at("action"), ErrValue, "expected allow, deny, goto_next or apply_security_profile_group, got %q", r.Action)
	}
	if r.Disabled {
		return nil, 0, nil
	}
	if r.Match == nil {
		return nil, 0, doc.missing(path.at("match"), "the match: srcIpRanges and layer4Configs")
	}
	var sources []string
	for i, src := range r.Match.SrcIPRanges {
		if _, ok := parsePrefix(src); !ok {
			return nil, 0, doc.errAt(path.at("match", "srcIpRanges", i), ErrValue, "expected a CIDR, got %q", src)
		}
		sources = appendUnique(sources, canonicalSource(src))
	}
	for _, t := range r.Match.SrcSecureTags {
		sources = appendUnique(sources, "secureTag:"+t.Name)
	}
	for _, f := range r.Match.SrcFqdns {
		sources = appendUnique(sources, "fqdn:"+f)
	}
	if len(sources) == 0 {
		if len(r.Match.SrcRegionCodes) > 0 {
			sources = []string{"0.0.0.0/0"} // a country is somewhere on the Internet
		} else {
			return nil, 0, doc.missing(path.at("match", "srcIpRanges"), "srcIpRanges (or srcSecureTags, srcFqdns): where ingress comes from")
		}
	}
	if len(r.Match.Layer4Configs) == 0 {
		return nil, 0, doc.missing(path.at("match", "layer4Configs"), "layer4Configs: a list of {ipProtocol, ports}")
	}
	for ci, c := range r.Match.Layer4Configs {
		cp := path.at("match", "layer4Configs", ci)
		proto, ok := gcpProto(c.IPProtocol)
		if !ok {
			return nil, 0, doc.missing(cp.at("ipProtocol"), "tcp, udp, icmp, esp, ah, sctp, ipip, all or a protocol number")
		}
		ports := fullSpans()
		if len(c.Ports) > 0 {
			ports = nil
			for pi, p := range c.Ports {
				sp, ok := parsePortRange(p)
				if !ok || p == "*" {
					return nil, 0, doc.errAt(cp.at("ports", pi), ErrValue, "expected a port or a range like \"8000-9000\", got %q", p)
				}
				ports = ports.union(spans{sp})
			}
		}
		rec.rules = append(rec.rules, orderedRule{allow: rec.action == actAllow, proto: proto, ports: ports, sources: sources})
	}
	return rec, len(r.Match.Layer4Configs) * len(sources), nil
}

// appliesTo reports whether the policy was read for one of the instance's networks.
func (p *gcpPolicyRec) appliesTo(in gcpRec) bool {
	if len(p.networks) == 0 {
		return true
	}
	for _, n := range p.networks {
		for _, net := range in.networks {
			if sameNetwork(net, n) {
				return true
			}
		}
	}
	return false
}

// targets reports whether rule r of a policy applies to in. A rule that targets secure tags
// (which instance lists do not carry) is taken to apply when it allows and not when it
// denies, so that exposure is over-stated rather than hidden.
func (r *gcpPolicyRuleRec) targets(in gcpRec) bool {
	if len(r.targetNetworks) > 0 {
		hit := false
		for _, t := range r.targetNetworks {
			for _, net := range in.networks {
				hit = hit || sameNetwork(net, t)
			}
		}
		if !hit {
			return false
		}
	}
	if len(r.targetAccounts) > 0 {
		for _, sa := range r.targetAccounts {
			for _, isa := range in.serviceAccounts {
				if sa == isa {
					return true
				}
			}
		}
		return false
	}
	if r.secureTargets {
		return r.action == actAllow
	}
	return true
}

// orderedFor flattens the policy, for one instance, into first-match rules. A goto_next rule
// decides nothing itself, but the packets it matches skip the rest of the policy: its ports
// are taken out of every later rule of the policy whose source it contains.
func (p *gcpPolicyRec) orderedFor(in gcpRec) []orderedRule {
	var skips []orderedRule
	var out []orderedRule
	for i := range p.rules {
		r := &p.rules[i]
		if !r.targets(in) {
			continue
		}
		if r.action == actGotoNext {
			skips = append(skips, r.rules...)
			continue
		}
		if len(skips) == 0 {
			out = append(out, r.rules...)
			continue
		}
		// Split by protocol bucket and source, so that a skip for tcp/22 can be carved out
		// of a later deny for every protocol.
		for _, or := range r.rules {
			for _, b := range buckets(or.proto) {
				base := or.ports
				if !hasPorts(b) {
					if or.proto == protoAll && !base.full() {
						continue
					}
					base = fullSpans()
				}
				for _, src := range or.sources {
					ports := base
					for _, sk := range skips {
						if skipCovers(sk, b) && sourcesContain(sk.sources, src) {
							skipped := sk.ports
							if !hasPorts(b) {
								skipped = fullSpans()
							}
							ports = ports.minus(skipped)
						}
					}
					if len(ports) > 0 {
						out = append(out, orderedRule{allow: or.allow, proto: b, ports: ports, sources: []string{src}})
					}
				}
			}
		}
	}
	return out
}

// skipCovers reports whether goto_next rule sk matches packets of protocol bucket b.
func skipCovers(sk orderedRule, b string) bool {
	if sk.proto == protoAll {
		return hasPorts(b) || sk.ports.full()
	}
	return protoCovers(sk.proto, b) || (sk.proto == b)
}

func sourcesContain(outer []string, inner string) bool {
	for _, o := range outer {
		if sourceContains(o, inner) {
			return true
		}
	}
	return false
}

// policyRules returns, for one instance, the first-match rules of the policies evaluated
// before (hierarchy) or after the VPC rules, in evaluation order, and the policy names.
func (s *gcpState) policyRules(in gcpRec, hierarchy bool) ([]orderedRule, []string) {
	var rules []orderedRule
	var names []string
	for i := range s.policies {
		p := &s.policies[i]
		if p.hierarchy != hierarchy || !p.appliesTo(in) {
			continue
		}
		if r := p.orderedFor(in); len(r) > 0 {
			rules = append(rules, r...)
			names = append(names, p.name)
		}
	}
	return rules, names
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
