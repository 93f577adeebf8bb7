package inventory

import (
	"sort"
	"strings"
)

// GCP firewall rules: reading them, and applying them to instances.

func (s *gcpState) addFirewalls(doc *jsonDoc, layout int, sum *FileSummary) error {
	items, paths, err := gcpDecodeList[gcpFirewall](doc, layout, "firewalls")
	if err != nil {
		return err
	}
	parsed := map[string]gcpFirewallRec{}
	for i, fw := range items {
		rec, n, err := gcpFirewallRule(doc, paths[i], fw)
		if err != nil {
			return err
		}
		sum.Rules += n
		key := gcpPath(fw.SelfLink)
		if key == "" {
			key = armPart(gcpPath(fw.Network), "projects") + "/" + fw.Name
		}
		parsed[key] = rec
	}
	if s.firewalls == nil {
		s.firewalls = map[string]gcpFirewallRec{}
	}
	for k, r := range parsed {
		s.firewalls[k] = r
	}
	s.fwFiles++
	return nil
}

// gcpFirewallRule checks one firewall rule and converts it; n counts its ingress rule entries
// (allowed or denied entry x source).
func gcpFirewallRule(doc *jsonDoc, path jpath, fw gcpFirewall) (rec gcpFirewallRec, n int, err error) {
	if fw.Name == "" {
		return rec, 0, doc.missing(path.at("name"), "the rule name")
	}
	if fw.Network == "" {
		return rec, 0, doc.missing(path.at("network"), "the network URL")
	}
	rec = gcpFirewallRec{name: fw.Name, network: fw.Network, priority: 1000, disabled: fw.Disabled,
		targetTags: fw.TargetTags, targetAccount: fw.TargetServiceAccounts}
	switch strings.ToUpper(fw.Direction) {
	case "", "INGRESS":
		rec.ingress = true
	case "EGRESS":
	default:
		return rec, 0, doc.errAt(path.at("direction"), ErrValue, "expected INGRESS or EGRESS, got %q", fw.Direction)
	}
	if fw.Priority != nil {
		if *fw.Priority < 0 || *fw.Priority > 65535 {
			return rec, 0, doc.errAt(path.at("priority"), ErrValue, "expected 0..65535, got %d", *fw.Priority)
		}
		rec.priority = *fw.Priority
	}
	var sources []string
	for i, r := range fw.SourceRanges {
		if _, ok := parsePrefix(r); !ok {
			return rec, 0, doc.errAt(path.at("sourceRanges", i), ErrValue, "expected a CIDR, got %q", r)
		}
		sources = appendUnique(sources, canonicalSource(r))
	}
	for _, t := range fw.SourceTags {
		sources = appendUnique(sources, "tag:"+t)
	}
	for _, sa := range fw.SourceServiceAccounts {
		sources = appendUnique(sources, "serviceAccount:"+sa)
	}
	if len(sources) == 0 {
		// An ingress rule with no source applies to every IPv4 source.
		sources = []string{"0.0.0.0/0"}
	}
	entries, field := fw.Allowed, "allowed"
	if len(fw.Denied) > 0 {
		entries, field, rec.deny = fw.Denied, "denied", true
	}
	if len(fw.Allowed) > 0 && len(fw.Denied) > 0 {
		return rec, 0, doc.errAt(path.at("denied"), ErrValue, "a rule has either allowed or denied, not both")
	}
	if len(entries) == 0 {
		return rec, 0, doc.missing(path.at("allowed"), "allowed or denied: a list of {IPProtocol, ports}")
	}
	for ei, e := range entries {
		ep := path.at(field, ei)
		proto, ok := gcpProto(e.IPProtocol)
		if !ok {
			return rec, 0, doc.missing(ep.at("IPProtocol"), "tcp, udp, icmp, esp, ah, sctp, ipip, all or a protocol number")
		}
		ports := fullSpans()
		if len(e.Ports) > 0 {
			ports = nil
			for pi, p := range e.Ports {
				sp, ok := parsePortRange(p)
				if !ok || p == "*" {
					return rec, 0, doc.errAt(ep.at("ports", pi), ErrValue, "expected a port or a range like \"8000-9000\", got %q", p)
				}
				ports = ports.union(spans{sp})
			}
		}
		rec.rules = append(rec.rules, orderedRule{allow: !rec.deny, proto: proto, ports: ports, sources: sources})
	}
	if rec.ingress {
		n = len(entries) * len(sources)
	}
	return rec, n, nil
}

func gcpProto(p string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "":
		return "", false
	case "all":
		return protoAll, true
	case "tcp", "6":
		return protoTCP, true
	case "udp", "17":
		return protoUDP, true
	case "icmp", "1":
		return protoICMP, true
	}
	return protoName(p), true
}

// resolve applies to each instance the enabled ingress rules of its NICs' networks whose
// targets match it (target tags, target service accounts, or no target: every instance),
// lowest priority number first and deny before allow at equal priority, between the rules
// of the hierarchical and the network firewall policies read (see gcp_effective.go).
func (s *gcpState) resolve() ([]built, []string) {
	var out []built
	var warns []string
	if len(s.instances) > 0 && s.fwFiles == 0 {
		warns = append(warns, "no GCP firewall-rules file was added; the exposure of GCP instances is unknown")
	}
	keys := sortedKeys(s.firewalls)
	for _, in := range s.instances {
		b := in.built
		b.asset = cloneAsset(b.asset)
		var applicable []gcpFirewallRec
		for _, k := range keys {
			fw := s.firewalls[k]
			if !fw.ingress || fw.disabled || !fw.targets(in) {
				continue
			}
			for _, net := range in.networks {
				if sameNetwork(net, fw.network) {
					applicable = append(applicable, fw)
					break
				}
			}
		}
		sort.SliceStable(applicable, func(i, j int) bool {
			if applicable[i].priority != applicable[j].priority {
				return applicable[i].priority < applicable[j].priority
			}
			return applicable[i].deny && !applicable[j].deny
		})
		// Hierarchical firewall policies first, then the VPC rules, then network firewall
		// policies (GCP's default enforcement order).
		rules, names := s.policyRules(in, true)
		for _, n := range names {
			b.asset.SecurityGroups = appendUnique(b.asset.SecurityGroups, n)
		}
		for _, fw := range applicable {
			rules = append(rules, fw.rules...)
			b.asset.SecurityGroups = appendUnique(b.asset.SecurityGroups, fw.name)
		}
		after, names := s.policyRules(in, false)
		rules = append(rules, after...)
		for _, n := range names {
			b.asset.SecurityGroups = appendUnique(b.asset.SecurityGroups, n)
		}
		b.asset.Exposed = evalOrdered(rules).exposures()
		out = append(out, b)
	}
	return out, warns
}

func (fw gcpFirewallRec) targets(in gcpRec) bool {
	if len(fw.targetTags) == 0 && len(fw.targetAccount) == 0 {
		return true
	}
	for _, t := range fw.targetTags {
		for _, it := range in.tags {
			if t == it {
				return true
			}
		}
	}
	for _, sa := range fw.targetAccount {
		for _, isa := range in.serviceAccounts {
			if sa == isa {
				return true
			}
		}
	}
	return false
}
