package findings

import (
	"fmt"
	"strings"

	"github.com/riskmap/riskmap"
)

// Remedy is what to change so that a port stops being reachable from the internet, for one
// cloud: the console-free commands, in order, and the rule (security group, NSG, firewall
// rule) they change.
type Remedy struct {
	Provider string   // aws, azure or gcp
	Rule     string   // the security group, network security group or firewall rule
	Commands []string // shell commands, one step each
}

// Remedies returns, for each internet-open rule of asset a that covers proto/port, the change
// that closes it in the asset's cloud: for AWS the revoke-security-group-ingress command, for
// Azure the NSG rule to find and restrict (az network nsg rule list/update), for GCP the
// firewall rule to restrict (gcloud compute firewall-rules update). It returns nil when a is
// nil, or when no rule of a opens the port to the internet.
func Remedies(a *riskmap.Asset, proto string, port int) []Remedy {
	if a == nil {
		return nil
	}
	if proto == "" {
		proto = "tcp"
	}
	var out []Remedy
	seen := map[string]bool{}
	add := func(r Remedy) {
		k := r.Provider + "|" + r.Rule + "|" + strings.Join(r.Commands, "|")
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	for _, e := range a.Exposed {
		if !e.Internet() || !e.Covers(proto, port) {
			continue
		}
		rng := fmt.Sprint(e.FromPort)
		if e.ToPort != e.FromPort {
			rng = fmt.Sprintf("%d-%d", e.FromPort, e.ToPort)
		}
		switch a.Provider {
		case "aws":
			for _, sg := range a.SecurityGroups {
				flag := "--cidr"
				if strings.Contains(e.Source, ":") {
					flag = "--ipv6-cidr"
				}
				p := e.Proto
				if p == "all" {
					p = "-1"
				}
				add(Remedy{Provider: "aws", Rule: sg, Commands: []string{
					fmt.Sprintf("aws ec2 revoke-security-group-ingress --group-id %s --protocol %s --port %s %s %s", sg, p, rng, flag, e.Source)}})
			}
		case "azure":
			for _, id := range a.SecurityGroups {
				rg, nsg := azureNSG(id)
				query := fmt.Sprintf("[?direction=='Inbound' && access=='Allow' && (sourceAddressPrefix=='%s' || sourceAddressPrefix=='*' || sourceAddressPrefix=='Internet')].name", e.Source)
				add(Remedy{Provider: "azure", Rule: nsg, Commands: []string{
					fmt.Sprintf("az network nsg rule list --resource-group %s --nsg-name %s --query \"%s\" -o tsv", rg, nsg, query),
					fmt.Sprintf("az network nsg rule update --resource-group %s --nsg-name %s --name <rule from above> --source-address-prefixes <trusted CIDR>", rg, nsg),
				}})
			}
		case "gcp":
			for _, fw := range a.SecurityGroups {
				add(Remedy{Provider: "gcp", Rule: fw, Commands: []string{
					fmt.Sprintf("gcloud compute firewall-rules update %s --source-ranges=<trusted CIDR>", fw)}})
			}
		default:
			add(Remedy{Provider: a.Provider, Rule: e.Source, Commands: []string{
				fmt.Sprintf("remove the rule allowing %s/%s from %s to %s", e.Proto, rng, e.Source, a.ID)}})
		}
	}
	return out
}

// azureNSG returns the resource group and name of an NSG resource id
// (/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/NAME),
// or "<resource group>" and the id itself when it is not one.
func azureNSG(id string) (string, string) {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	rg, name := "<resource group>", id
	for i := 0; i+1 < len(parts); i++ {
		switch strings.ToLower(parts[i]) {
		case "resourcegroups":
			rg = parts[i+1]
		case "networksecuritygroups":
			name = parts[i+1]
		}
	}
	return rg, name
}

// Action is one sentence a person can act on for finding f of asset a: the remedies'
// commands joined, or what to do when riskmap cannot name the rule.
func Action(f riskmap.Finding, a *riskmap.Asset) string {
	rs := Remedies(a, f.Proto, f.Port)
	if len(rs) == 0 {
		switch {
		case f.Port == 0:
			return "fix the host's configuration (see the evidence)"
		case a == nil:
			return fmt.Sprintf("close %s/%d or restrict who can reach it", orTCP(f.Proto), f.Port)
		}
		return fmt.Sprintf("no internet-open rule of %s covers %s/%d: require authentication on the service, or close the port on the host", a.ID, orTCP(f.Proto), f.Port)
	}
	var steps []string
	for _, r := range rs {
		steps = append(steps, strings.Join(r.Commands, " && "))
	}
	return "restrict the source to known networks: " + strings.Join(steps, "; ")
}

func orTCP(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}
