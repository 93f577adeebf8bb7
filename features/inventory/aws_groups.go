package inventory

import (
	"fmt"
	"strings"
)

// AWS security groups: reading their ingress permissions.

func (s *awsState) addGroups(doc *jsonDoc, sum *FileSummary) error {
	var d awsGroupsDoc
	if err := doc.decode(&d); err != nil {
		return err
	}
	parsed := map[string]awsGroupRec{}
	for gi, g := range d.SecurityGroups {
		gp := jpath{"SecurityGroups", gi}
		if g.GroupId == "" {
			return doc.missing(gp.at("GroupId"), "the group id, a string like \"sg-0abc123\"")
		}
		rules := ruleSet{}
		for pi, p := range g.IpPermissions {
			n, err := awsPermissionRules(doc, gp.at("IpPermissions", pi), p, rules)
			if err != nil {
				return err
			}
			sum.Rules += n
		}
		if _, dup := parsed[g.GroupId]; dup {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s: security group %s is listed twice; keeping the last", doc.file, g.GroupId))
		}
		parsed[g.GroupId] = awsGroupRec{rules: rules, file: doc.file}
	}
	if s.groups == nil {
		s.groups = map[string]awsGroupRec{}
	}
	for id, g := range parsed {
		s.groups[id] = g
	}
	s.groupFiles++
	return nil
}

// awsPermissionRules adds one IpPermission to rules and returns how many rule entries
// (permission x source) it holds.
func awsPermissionRules(doc *jsonDoc, path jpath, p awsPermission, rules ruleSet) (int, error) {
	proto, ok := awsProto(p.IpProtocol)
	if !ok {
		return 0, doc.missing(path.at("IpProtocol"), "a protocol: tcp, udp, icmp, icmpv6, a protocol number, or -1 for all")
	}
	ports := fullSpans()
	if hasPorts(proto) {
		if p.FromPort == nil || p.ToPort == nil {
			field := "FromPort"
			if p.FromPort != nil {
				field = "ToPort"
			}
			return 0, doc.missing(path.at(field), "a port number for protocol "+p.IpProtocol)
		}
		from, to := *p.FromPort, *p.ToPort
		if from == -1 && to == -1 {
			from, to = 0, maxPort
		}
		if from < 0 || to > maxPort || from > to {
			return 0, doc.errAt(path.at("FromPort"), ErrValue, "expected 0 <= FromPort <= ToPort <= 65535, got %d..%d", from, to)
		}
		ports = spans{{from, to}}
	}
	var sources []string
	for i, r := range p.IpRanges {
		if _, ok := parsePrefix(r.CidrIp); !ok {
			return 0, doc.errAt(path.at("IpRanges", i, "CidrIp"), ErrValue, "expected an IPv4 CIDR, got %q", r.CidrIp)
		}
		sources = append(sources, canonicalSource(r.CidrIp))
	}
	for i, r := range p.Ipv6Ranges {
		if _, ok := parsePrefix(r.CidrIpv6); !ok {
			return 0, doc.errAt(path.at("Ipv6Ranges", i, "CidrIpv6"), ErrValue, "expected an IPv6 CIDR, got %q", r.CidrIpv6)
		}
		sources = append(sources, canonicalSource(r.CidrIpv6))
	}
	for i, g := range p.UserIdGroupPairs {
		id := g.GroupId
		if id == "" {
			id = g.GroupName
		}
		if id == "" {
			return 0, doc.missing(path.at("UserIdGroupPairs", i, "GroupId"), "the referenced security group id")
		}
		sources = append(sources, id)
	}
	for i, pl := range p.PrefixListIds {
		if pl.PrefixListId == "" {
			return 0, doc.missing(path.at("PrefixListIds", i, "PrefixListId"), "a prefix list id like \"pl-0abc123\"")
		}
		sources = append(sources, pl.PrefixListId)
	}
	for _, src := range sources {
		rules.add(proto, src, ports)
	}
	return len(sources), nil
}

// awsProto maps IpProtocol to a bucket: names or IANA numbers, "-1" for every protocol.
func awsProto(p string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "":
		return "", false
	case "-1", "all":
		return protoAll, true
	case "tcp", "6":
		return protoTCP, true
	case "udp", "17":
		return protoUDP, true
	case "icmp", "1", "icmpv6", "58":
		return protoICMP, true
	}
	return protoName(p), true
}

// protoName names the protocols that AWS gives by number and Azure and GCP by name, so that
// all three write the same Exposure.Proto.
func protoName(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	switch p {
	case "4":
		return "ipip"
	case "47":
		return "gre"
	case "50":
		return "esp"
	case "51":
		return "ah"
	case "132":
		return "sctp"
	}
	return p
}
