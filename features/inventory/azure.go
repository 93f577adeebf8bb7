package inventory

import (
	"strings"

	"github.com/riskmap/riskmap"
)

// JSON shapes of `az vm list [-d]`, `az network nsg list` and `az network nic list`. The az
// CLI flattens ARM "properties" into each object and prints camelCase keys.
type (
	azVM struct {
		ID             string            `json:"id"`
		Name           string            `json:"name"`
		VMID           string            `json:"vmId"`
		Location       string            `json:"location"`
		Tags           map[string]string `json:"tags"`
		TimeCreated    string            `json:"timeCreated"`
		PowerState     *string           `json:"powerState"` // -d only
		PublicIps      *string           `json:"publicIps"`  // -d only, comma-separated
		PrivateIps     *string           `json:"privateIps"` // -d only, comma-separated
		Fqdns          *string           `json:"fqdns"`      // -d only, comma-separated
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
	subnets []string // as printed
	private []string
	public  []string
	nsg     string // lower-cased
	vm      string // lower-cased
	file    string
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
