package inventory

import (
	"fmt"
	"sort"
	"strings"
)

// Azure network security groups: reading their rules.

// azureDefaultRules are the inbound rules every NSG has; used when a file leaves
// defaultSecurityRules out.
var azureDefaultRules = []azRule{
	{Name: "AllowVnetInBound", Access: "Allow", Direction: "Inbound", Priority: ptr(65000), Protocol: "*",
		SourceAddressPrefix: "VirtualNetwork", DestinationAddressPrefix: "VirtualNetwork", DestinationPortRange: "*"},
	{Name: "AllowAzureLoadBalancerInBound", Access: "Allow", Direction: "Inbound", Priority: ptr(65001), Protocol: "*",
		SourceAddressPrefix: "AzureLoadBalancer", DestinationAddressPrefix: "*", DestinationPortRange: "*"},
	{Name: "DenyAllInBound", Access: "Deny", Direction: "Inbound", Priority: ptr(65500), Protocol: "*",
		SourceAddressPrefix: "*", DestinationAddressPrefix: "*", DestinationPortRange: "*"},
}

func ptr[T any](v T) *T { return &v }

func (s *azureState) addNSGs(doc *jsonDoc, sum *FileSummary) error {
	var nsgs []azNSG
	if err := doc.decode(&nsgs); err != nil {
		return err
	}
	parsed := map[string]azNSGRec{}
	for i, n := range nsgs {
		path := jpath{i}
		if n.ID == "" {
			return doc.missing(path.at("id"), "the NSG's resource id")
		}
		rec := azNSGRec{id: n.ID, file: doc.file}
		defaults, defaultsPath := n.DefaultSecurityRules, path.at("defaultSecurityRules")
		if len(defaults) == 0 {
			defaults = azureDefaultRules
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: NSG %s lists no defaultSecurityRules; assuming Azure's defaults", doc.file, n.Name))
		}
		for _, set := range []struct {
			rules []azRule
			path  jpath
		}{{n.SecurityRules, path.at("securityRules")}, {defaults, defaultsPath}} {
			for ri, r := range set.rules {
				rr, inbound, err := azureRule(doc, set.path.at(ri), r)
				if err != nil {
					return err
				}
				if inbound {
					rec.rules = append(rec.rules, rr)
					sum.Rules += rr.entries
				}
			}
		}
		sort.SliceStable(rec.rules, func(a, b int) bool { return rec.rules[a].priority < rec.rules[b].priority })
		for _, r := range n.NetworkInterfaces {
			rec.nics = appendUnique(rec.nics, s.key(r.ID))
		}
		for _, r := range n.Subnets {
			rec.subnets = appendUnique(rec.subnets, strings.ToLower(r.ID))
		}
		parsed[s.key(n.ID)] = rec
	}
	if s.nsgs == nil {
		s.nsgs = map[string]azNSGRec{}
	}
	for id, r := range parsed {
		s.nsgs[id] = r
	}
	s.nsgFiles++
	return nil
}

// azureRule checks one security rule and converts it; inbound is false for outbound rules.
func azureRule(doc *jsonDoc, path jpath, r azRule) (rec azRuleRec, inbound bool, err error) {
	switch {
	case strings.EqualFold(r.Direction, "Inbound"):
	case strings.EqualFold(r.Direction, "Outbound"):
		return rec, false, nil
	default:
		return rec, false, doc.missing(path.at("direction"), "Inbound or Outbound")
	}
	switch {
	case strings.EqualFold(r.Access, "Allow"):
		rec.allow = true
	case strings.EqualFold(r.Access, "Deny"):
	default:
		return rec, false, doc.missing(path.at("access"), "Allow or Deny")
	}
	if r.Priority == nil {
		return rec, false, doc.missing(path.at("priority"), "the rule's priority, a number (lower is evaluated first)")
	}
	rec.priority = *r.Priority
	switch p := strings.ToLower(strings.TrimSpace(r.Protocol)); p {
	case "":
		return rec, false, doc.missing(path.at("protocol"), "Tcp, Udp, Icmp, Esp, Ah or *")
	case "*", "any":
		rec.proto = protoAll
	default:
		rec.proto = protoName(p)
	}
	ranges := r.DestinationPortRanges
	if r.DestinationPortRange != "" {
		ranges = append([]string{r.DestinationPortRange}, ranges...)
	}
	if len(ranges) == 0 {
		return rec, false, doc.missing(path.at("destinationPortRange"), "\"*\", a port, a range like \"8000-8100\", or destinationPortRanges")
	}
	for i, pr := range ranges {
		sp, ok := parsePortRange(pr)
		if !ok {
			field := path.at("destinationPortRange")
			if r.DestinationPortRange == "" || i > 0 {
				field = path.at("destinationPortRanges")
			}
			return rec, false, doc.errAt(field, ErrValue, "expected \"*\", a port or a range like \"8000-8100\", got %q", pr)
		}
		rec.ports = rec.ports.union(spans{sp})
	}
	for _, src := range append([]string{r.SourceAddressPrefix}, r.SourceAddressPrefixes...) {
		switch src = canonicalSource(src); {
		case src == "":
			continue
		case isUniversal(src):
			rec.sources = appendUnique(rec.sources, srcInternet, srcPrivate)
		default:
			rec.sources = appendUnique(rec.sources, src)
		}
		rec.entries++
	}
	for _, asg := range r.SourceApplicationSecurityGroups {
		rec.sources = appendUnique(rec.sources, asg.ID)
		rec.entries++
	}
	if len(rec.sources) == 0 {
		return rec, false, doc.missing(path.at("sourceAddressPrefix"), "a source: an address prefix, a service tag such as Internet, or *")
	}
	rec.dests = appendUnique(nil, append([]string{r.DestinationAddressPrefix}, r.DestinationAddressPrefixes...)...)
	for _, asg := range r.DestinationApplicationSecurityGroups {
		rec.dests = appendUnique(rec.dests, asg.ID)
	}
	return rec, true, nil
}
