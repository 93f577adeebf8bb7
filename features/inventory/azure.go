package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/riskmap/riskmap"
)

// JSON shapes of `az vm list [-d]`, `az network nsg list` and `az network nic list`. The az
// CLI flattens ARM "properties" into each object and prints camelCase keys.
type (
	azVM struct {
		ID            string            `json:"id"`
		Name          string            `json:"name"`
		VMID          string            `json:"vmId"`
		Location      string            `json:"location"`
		Tags          map[string]string `json:"tags"`
		TimeCreated   string            `json:"timeCreated"`
		PowerState    *string           `json:"powerState"` // -d only
		PublicIps     *string           `json:"publicIps"`  // -d only, comma-separated
		PrivateIps    *string           `json:"privateIps"` // -d only, comma-separated
		Fqdns         *string           `json:"fqdns"`      // -d only, comma-separated
		NetworkProfile *struct {
			NetworkInterfaces []struct {
				ID string `json:"id"`
			} `json:"networkInterfaces"`
		} `json:"networkProfile"`
		StorageProfile *struct {
			ImageReference *struct {
				ID, Publisher, Offer, Sku, Version string
			} `json:"imageReference"`
			OsDisk *struct {
				OsType string `json:"osType"`
			} `json:"osDisk"`
		} `json:"storageProfile"`
		VirtualMachineScaleSet *struct {
			ID string `json:"id"`
		} `json:"virtualMachineScaleSet"`
	}

	azNSG struct {
		ID                   string   `json:"id"`
		Name                 string   `json:"name"`
		SecurityRules        []azRule `json:"securityRules"`
		DefaultSecurityRules []azRule `json:"defaultSecurityRules"`
		NetworkInterfaces    []azRef  `json:"networkInterfaces"`
		Subnets              []azRef  `json:"subnets"`
	}
	azRule struct {
		Name                                 string   `json:"name"`
		Access                               string   `json:"access"`
		Direction                            string   `json:"direction"`
		Priority                             *int     `json:"priority"`
		Protocol                             string   `json:"protocol"`
		SourceAddressPrefix                  string   `json:"sourceAddressPrefix"`
		SourceAddressPrefixes                []string `json:"sourceAddressPrefixes"`
		SourceApplicationSecurityGroups      []azRef  `json:"sourceApplicationSecurityGroups"`
		DestinationAddressPrefix             string   `json:"destinationAddressPrefix"`
		DestinationAddressPrefixes           []string `json:"destinationAddressPrefixes"`
		DestinationApplicationSecurityGroups []azRef  `json:"destinationApplicationSecurityGroups"`
		DestinationPortRange                 string   `json:"destinationPortRange"`
		DestinationPortRanges                []string `json:"destinationPortRanges"`
	}
	azRef struct {
		ID string `json:"id"`
	}

	azNIC struct {
		ID               string `json:"id"`
		IPConfigurations []struct {
			PrivateIPAddress string `json:"privateIPAddress"`
			Subnet           *azRef `json:"subnet"`
			PublicIPAddress  *struct {
				IPAddress string `json:"ipAddress"`
			} `json:"publicIPAddress"`
		} `json:"ipConfigurations"`
		NetworkSecurityGroup *azRef `json:"networkSecurityGroup"`
		VirtualMachine       *azRef `json:"virtualMachine"`
	}
)

// azureState is what Azure files described. Azure resource ids are case-insensitive (and az
// prints resource group names in either case), so every map is keyed by the lower-cased id.
type azureState struct {
	vms      []azVMRec
	nsgs     map[string]azNSGRec
	nics     map[string]azNICRec
	nsgFiles int
	names    map[string]string // lower-cased id -> the id as first printed, for warnings
}

// key lower-cases an ARM id for joins and remembers how it was printed.
func (s *azureState) key(id string) string {
	k := strings.ToLower(id)
	if s.names == nil {
		s.names = map[string]string{}
	}
	if _, ok := s.names[k]; !ok {
		s.names[k] = id
	}
	return k
}

func (s *azureState) name(key string) string {
	if n, ok := s.names[key]; ok {
		return n
	}
	return key
}

type azVMRec struct {
	built
	armID string   // lower-cased ARM id
	nics  []string // lower-cased NIC ids
}

type azNSGRec struct {
	id      string
	rules   []azRuleRec // inbound only, by priority
	nics    []string
	subnets []string
	file    string
}

type azRuleRec struct {
	orderedRule
	priority int
	entries  int      // sources as the rule lists them, for FileSummary.Rules
	dests    []string // destination prefixes, service tags or ASG ids
}

type azNICRec struct {
	subnets   []string // as printed
	private   []string
	public    []string
	nsg       string // lower-cased
	vm        string // lower-cased
	file      string
}

func (s *azureState) addVMs(doc *jsonDoc, seq int, sum *FileSummary) error {
	var vms []azVM
	if err := doc.decode(&vms); err != nil {
		return err
	}
	detailed := false
	var recs []azVMRec
	for i, vm := range vms {
		path := jpath{i}
		if vm.ID == "" {
			return doc.missing(path.at("id"), "the VM's resource id, \"/subscriptions/.../virtualMachines/NAME\"")
		}
		if vm.PowerState != nil || vm.PrivateIps != nil {
			detailed = true
		}
		a := riskmap.Asset{ID: vm.VMID, Provider: "azure", Account: armPart(vm.ID, "subscriptions"),
			Region: vm.Location, Kind: riskmap.KindVM, Tags: tagsFromMap(vm.Tags)}
		if a.ID == "" {
			a.ID = vm.ID
		}
		if vm.PowerState != nil {
			a.State = *vm.PowerState
		}
		if vm.TimeCreated != "" {
			t, ok := parseTime(vm.TimeCreated)
			if !ok {
				return doc.errAt(path.at("timeCreated"), ErrValue, "expected an ISO 8601 time, got %q", vm.TimeCreated)
			}
			a.LaunchedAt = t
		}
		if sp := vm.StorageProfile; sp != nil {
			if ir := sp.ImageReference; ir != nil {
				a.Image = ir.ID
				if a.Image == "" && ir.Offer != "" {
					a.Image = strings.Join([]string{ir.Publisher, ir.Offer, ir.Sku, ir.Version}, ":")
				}
			}
			if sp.OsDisk != nil {
				a.OSFamily = osFamily(sp.OsDisk.OsType)
			}
		}
		if vm.VirtualMachineScaleSet != nil {
			a.Group = vm.VirtualMachineScaleSet.ID
		}
		ips := ipCollector{doc: doc}
		if vm.PrivateIps != nil {
			for _, ip := range splitList(*vm.PrivateIps) {
				ips.private(path.at("privateIps"), ip)
			}
		}
		if vm.PublicIps != nil {
			for _, ip := range splitList(*vm.PublicIps) {
				ips.public(path.at("publicIps"), ip)
			}
		}
		if ips.err != nil {
			return ips.err
		}
		a.PrivateIPs, a.PublicIPs = ips.priv, ips.pub
		if vm.Fqdns != nil {
			a.DNSNames = splitList(*vm.Fqdns)
		}
		rec := azVMRec{built: built{asset: a, file: doc.file, seq: seq}, armID: strings.ToLower(vm.ID)}
		if vm.NetworkProfile != nil {
			for ni, n := range vm.NetworkProfile.NetworkInterfaces {
				if n.ID == "" {
					return doc.missing(path.at("networkProfile", "networkInterfaces", ni, "id"), "the NIC's resource id")
				}
				rec.nics = appendUnique(rec.nics, s.key(n.ID))
			}
		}
		recs = append(recs, rec)
	}
	if detailed {
		sum.Shape = "az vm list -d"
	} else if len(vms) > 0 {
		sum.Warnings = append(sum.Warnings, doc.file+": az vm list without -d (--show-details) prints no IP addresses, FQDNs or power state; "+
			"add `az vm list -d` output, or `az network nic list` for the private addresses")
	}
	s.vms = append(s.vms, recs...)
	sum.Assets = len(recs)
	return nil
}

// armPart returns the segment after key in an ARM resource id
// (/subscriptions/SUB/resourceGroups/RG/...).
func armPart(id, key string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], key) {
			return parts[i+1]
		}
	}
	return ""
}

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

func (s *azureState) addNICs(doc *jsonDoc, sum *FileSummary) error {
	var nics []azNIC
	if err := doc.decode(&nics); err != nil {
		return err
	}
	parsed := map[string]azNICRec{}
	for i, n := range nics {
		path := jpath{i}
		if n.ID == "" {
			return doc.missing(path.at("id"), "the NIC's resource id")
		}
		rec := azNICRec{file: doc.file}
		ips := ipCollector{doc: doc}
		for ci, c := range n.IPConfigurations {
			cp := path.at("ipConfigurations", ci)
			ips.private(cp.at("privateIPAddress"), c.PrivateIPAddress)
			if c.PublicIPAddress != nil {
				ips.public(cp.at("publicIPAddress", "ipAddress"), c.PublicIPAddress.IPAddress)
			}
			if c.Subnet != nil {
				rec.subnets = appendUnique(rec.subnets, c.Subnet.ID)
			}
		}
		if ips.err != nil {
			return ips.err
		}
		rec.private, rec.public = ips.priv, ips.pub
		if n.NetworkSecurityGroup != nil {
			rec.nsg = s.key(n.NetworkSecurityGroup.ID)
		}
		if n.VirtualMachine != nil {
			rec.vm = strings.ToLower(n.VirtualMachine.ID)
		}
		parsed[s.key(n.ID)] = rec
	}
	if s.nics == nil {
		s.nics = map[string]azNICRec{}
	}
	for id, r := range parsed {
		s.nics[id] = r
	}
	return nil
}
