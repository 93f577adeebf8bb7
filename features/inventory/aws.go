package inventory

import (
	"fmt"
	"strings"

	"github.com/riskmap/riskmap"
)

// JSON shapes of `aws ec2 describe-instances` and `aws ec2 describe-security-groups`. CLI v1
// and v2 print the same keys (v2 prints timestamps as ISO 8601 with an offset; newer API
// versions add keys, which are ignored).
type (
	awsInstancesDoc struct {
		Reservations []struct {
			OwnerId   string
			Instances []awsInstance
		}
	}
	awsInstance struct {
		InstanceId        string
		ImageId           string
		State             *struct{ Name string }
		PrivateDnsName    string
		PublicDnsName     string
		PrivateIpAddress  string
		PublicIpAddress   string
		Ipv6Address       string
		LaunchTime        string
		Placement         *struct{ AvailabilityZone string }
		SubnetId          string
		VpcId             string
		Platform          string
		PlatformDetails   string
		Tags              []struct{ Key, Value string }
		SecurityGroups    []awsGroupRef
		NetworkInterfaces []struct {
			SubnetId           string
			VpcId              string
			PrivateIpAddress   string
			PrivateDnsName     string
			Association        *awsAssociation
			PrivateIpAddresses []struct {
				PrivateIpAddress string
				PrivateDnsName   string
				Association      *awsAssociation
			}
			Ipv6Addresses []struct{ Ipv6Address string }
			Groups        []awsGroupRef
		}
	}
	awsAssociation struct{ PublicIp, PublicDnsName string }
	awsGroupRef    struct{ GroupId, GroupName string }

	awsGroupsDoc struct {
		SecurityGroups []struct {
			GroupId       string
			GroupName     string
			IpPermissions []awsPermission
		}
	}
	awsPermission struct {
		IpProtocol       string
		FromPort         *int
		ToPort           *int
		IpRanges         []struct{ CidrIp string }
		Ipv6Ranges       []struct{ CidrIpv6 string }
		UserIdGroupPairs []struct{ GroupId, GroupName string }
		PrefixListIds    []struct{ PrefixListId string }
	}
)

// awsState is what AWS files described: instances (already assets, lacking exposure) and the
// ingress rules of each security group.
type awsState struct {
	instances  []awsRec
	groups     map[string]awsGroupRec
	groupFiles int
}

type awsRec struct {
	built
	groups []string
}

type awsGroupRec struct {
	rules ruleSet
	file  string
}

func (s *awsState) addInstances(doc *jsonDoc, seq int, sum *FileSummary) error {
	var d awsInstancesDoc
	if err := doc.decode(&d); err != nil {
		return err
	}
	var recs []awsRec
	version := ""
	for ri, r := range d.Reservations {
		for ii, in := range r.Instances {
			path := jpath{"Reservations", ri, "Instances", ii}
			rec, err := awsAsset(doc, path, r.OwnerId, in)
			if err != nil {
				return err
			}
			rec.seq = seq
			recs = append(recs, rec)
			if version == "" {
				version = cliVersion(in.LaunchTime)
			}
		}
	}
	if version != "" {
		sum.Shape += " " + version
	}
	s.instances = append(s.instances, recs...)
	sum.Assets = len(recs)
	return nil
}

// cliVersion tells CLI v1 output (timestamps as the API sends them, "...000Z") from v2
// (ISO 8601 with an offset, "...+00:00").
func cliVersion(ts string) string {
	switch {
	case ts == "":
		return ""
	case strings.HasSuffix(ts, "Z"):
		return "v1"
	default:
		return "v2"
	}
}

func awsAsset(doc *jsonDoc, path jpath, owner string, in awsInstance) (awsRec, error) {
	if in.InstanceId == "" {
		return awsRec{}, doc.missing(path.at("InstanceId"), "the instance id, a string like \"i-0abc123\"")
	}
	a := riskmap.Asset{
		ID: in.InstanceId, Provider: "aws", Account: owner, Kind: riskmap.KindVM,
		Network: in.VpcId, Subnet: in.SubnetId, Image: in.ImageId,
	}
	if in.Placement != nil {
		a.Region = in.Placement.AvailabilityZone
	}
	if in.State != nil {
		a.State = in.State.Name
	}
	if in.LaunchTime != "" {
		t, ok := parseTime(in.LaunchTime)
		if !ok {
			return awsRec{}, doc.errAt(path.at("LaunchTime"), ErrValue, "expected an ISO 8601 time, got %q", in.LaunchTime)
		}
		a.LaunchedAt = t
	}
	a.OSFamily = osFamily(in.Platform, in.PlatformDetails)
	if a.OSFamily == "" {
		// EC2 leaves Platform blank for everything that is not Windows.
		a.OSFamily = "linux"
	}
	for ti, t := range in.Tags {
		if t.Key == "" {
			return awsRec{}, doc.missing(path.at("Tags", ti, "Key"), "a tag key")
		}
		a.Tags = append(a.Tags, riskmap.Tag{Key: t.Key, Value: t.Value})
		if t.Key == "aws:autoscaling:groupName" {
			a.Group = t.Value
		}
	}
	sortTags(a.Tags)

	ips := ipCollector{doc: doc}
	ips.private(path.at("PrivateIpAddress"), in.PrivateIpAddress)
	ips.public(path.at("PublicIpAddress"), in.PublicIpAddress)
	ips.auto(path.at("Ipv6Address"), in.Ipv6Address)
	a.DNSNames = appendUnique(a.DNSNames, in.PrivateDnsName, in.PublicDnsName)
	groups := refs(nil, in.SecurityGroups)
	for ni, n := range in.NetworkInterfaces {
		np := path.at("NetworkInterfaces", ni)
		ips.private(np.at("PrivateIpAddress"), n.PrivateIpAddress)
		a.DNSNames = appendUnique(a.DNSNames, n.PrivateDnsName)
		if n.Association != nil {
			ips.public(np.at("Association", "PublicIp"), n.Association.PublicIp)
			a.DNSNames = appendUnique(a.DNSNames, n.Association.PublicDnsName)
		}
		for pi, p := range n.PrivateIpAddresses {
			pp := np.at("PrivateIpAddresses", pi)
			ips.private(pp.at("PrivateIpAddress"), p.PrivateIpAddress)
			a.DNSNames = appendUnique(a.DNSNames, p.PrivateDnsName)
			if p.Association != nil {
				ips.public(pp.at("Association", "PublicIp"), p.Association.PublicIp)
				a.DNSNames = appendUnique(a.DNSNames, p.Association.PublicDnsName)
			}
		}
		for vi, v := range n.Ipv6Addresses {
			ips.auto(np.at("Ipv6Addresses", vi, "Ipv6Address"), v.Ipv6Address)
		}
		groups = refs(groups, n.Groups)
		if a.Network == "" {
			a.Network, a.Subnet = n.VpcId, n.SubnetId
		}
	}
	if ips.err != nil {
		return awsRec{}, ips.err
	}
	a.PrivateIPs, a.PublicIPs = ips.priv, ips.pub
	a.SecurityGroups = groups
	return awsRec{built: built{asset: a, file: doc.file}, groups: groups}, nil
}

func refs(list []string, gs []awsGroupRef) []string {
	for _, g := range gs {
		if g.GroupId != "" {
			list = appendUnique(list, g.GroupId)
		} else {
			list = appendUnique(list, g.GroupName)
		}
	}
	return list
}

// ipCollector gathers an asset's addresses in canonical form, keeping the first bad one as
// an error that names its JSON path.
type ipCollector struct {
	doc       *jsonDoc
	priv, pub []string
	err       error
}

func (c *ipCollector) add(list *[]string, path jpath, s string) {
	if strings.TrimSpace(s) == "" || c.err != nil {
		return
	}
	ip, ok := canonicalIP(s)
	if !ok {
		c.err = c.doc.errAt(path, ErrValue, "expected an IP address, got %q", s)
		return
	}
	*list = appendUnique(*list, ip)
}

func (c *ipCollector) private(path jpath, s string) { c.add(&c.priv, path, s) }
func (c *ipCollector) public(path jpath, s string)  { c.add(&c.pub, path, s) }

// auto files an address by what it is: a global IPv6 address on an EC2 interface is public.
func (c *ipCollector) auto(path jpath, s string) {
	if ip, ok := canonicalIP(s); ok && isPublicIP(ip) {
		c.public(path, s)
		return
	}
	c.private(path, s)
}

func (s *awsState) resolve() ([]built, []string) {
	var out []built
	var warns []string
	if len(s.instances) > 0 && s.groupFiles == 0 {
		warns = append(warns, fmt.Sprintf("no aws ec2 describe-security-groups file was added; the exposure of %d AWS instances is unknown", len(s.instances)))
	}
	for _, in := range s.instances {
		rules := ruleSet{}
		for _, g := range in.groups {
			rec, ok := s.groups[g]
			if !ok {
				if s.groupFiles > 0 {
					warns = append(warns, fmt.Sprintf("instance %s (%s) refers to security group %s, which no file described", in.asset.ID, in.file, g))
				}
				continue
			}
			rules.merge(rec.rules)
		}
		b := in.built
		b.asset = cloneAsset(b.asset)
		b.asset.Exposed = rules.exposures()
		out = append(out, b)
	}
	return out, warns
}
