package inventory

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// resolve joins VMs to NICs and NICs to NSGs and computes each VM's exposure. A NIC is
// governed by the NSG on the NIC and the NSG on its subnet; when both exist a packet must
// pass both, so their results are intersected. Exposure is the union over the VM's NICs.
func (s *azureState) resolve() ([]built, []string) {
	var out []built
	var warns []string
	if len(s.vms) > 0 && s.nsgFiles == 0 {
		warns = append(warns, fmt.Sprintf("no az network nsg list file was added; the exposure of %d Azure VMs is unknown", len(s.vms)))
	}
	nicNSG := map[string]string{}
	subnetNSGs := map[string][]string{}
	vmNICs := map[string][]string{}
	for _, id := range sortedKeys(s.nics) {
		n := s.nics[id]
		if n.nsg != "" {
			nicNSG[id] = n.nsg
		}
		if n.vm != "" {
			vmNICs[n.vm] = append(vmNICs[n.vm], id)
		}
	}
	for _, id := range sortedKeys(s.nsgs) {
		for _, nic := range s.nsgs[id].nics {
			nicNSG[nic] = id
		}
		for _, sub := range s.nsgs[id].subnets {
			subnetNSGs[sub] = appendUnique(subnetNSGs[sub], id)
		}
	}
	for _, vm := range s.vms {
		b := vm.built
		b.asset = cloneAsset(b.asset)
		a := &b.asset
		nics := appendUnique(append([]string(nil), vm.nics...), vmNICs[vm.armID]...)
		rules := ruleSet{}
		governed, referenced := false, false
		for _, nicID := range nics {
			nic, haveNIC := s.nics[nicID]
			a.PrivateIPs = appendUnique(a.PrivateIPs, nic.private...)
			a.PublicIPs = appendUnique(a.PublicIPs, nic.public...)
			if haveNIC && a.Subnet == "" && len(nic.subnets) > 0 {
				a.Subnet = nic.subnets[0]
				if i := strings.Index(strings.ToLower(a.Subnet), "/subnets/"); i >= 0 {
					a.Network = a.Subnet[:i]
				}
			}
			dests := nic.private
			if !haveNIC && len(nics) == 1 {
				dests = a.PrivateIPs
			}
			var nsgIDs []string
			if id, ok := nicNSG[nicID]; ok {
				nsgIDs = append(nsgIDs, id)
			}
			for _, sub := range nic.subnets {
				nsgIDs = appendUnique(nsgIDs, subnetNSGs[strings.ToLower(sub)]...)
			}
			var sets []ruleSet
			for _, id := range nsgIDs {
				nsg, ok := s.nsgs[id]
				if !ok {
					warns = append(warns, fmt.Sprintf("vm %s (%s): NIC %s uses NSG %s, which no file described",
						a.ID, vm.file, s.name(nicID), s.name(id)))
					referenced = true
					continue
				}
				a.SecurityGroups = appendUnique(a.SecurityGroups, nsg.id)
				sets = append(sets, nsg.eval(dests))
			}
			if len(sets) == 0 {
				continue
			}
			governed = true
			eff := sets[0]
			for _, other := range sets[1:] {
				eff = intersect(eff, other)
			}
			rules.merge(eff)
		}
		switch {
		case len(nics) == 0:
			warns = append(warns, fmt.Sprintf("vm %s (%s) lists no network interfaces; its exposure is unknown", a.ID, vm.file))
		case !governed && !referenced && s.nsgFiles > 0:
			warns = append(warns, fmt.Sprintf("vm %s (%s): no NSG in the files applies to its NICs or their subnets (add `az network nic list` to join subnets); "+
				"its exposure is left empty, though Azure allows all inbound traffic to a NIC without an NSG", a.ID, vm.file))
		}
		if len(a.PrivateIPs) == 0 && len(a.PublicIPs) == 0 {
			warns = append(warns, fmt.Sprintf("vm %s (%s) has no IP address in any file", a.ID, vm.file))
		}
		a.Exposed = rules.exposures()
		out = append(out, b)
	}
	return out, warns
}

// eval returns what the NSG allows in to a NIC with the given private addresses.
func (n azNSGRec) eval(dests []string) ruleSet {
	var addrs []netip.Addr
	for _, d := range dests {
		if a, err := netip.ParseAddr(d); err == nil {
			addrs = append(addrs, a)
		}
	}
	var rules []orderedRule
	for _, r := range n.rules {
		if r.appliesTo(addrs) {
			rules = append(rules, r.orderedRule)
		}
	}
	return evalOrdered(rules)
}

// appliesTo reports whether the rule's destination covers a NIC with addrs. Where that is
// unknown (an application security group, a tag other than VirtualNetwork, or no known
// address), an Allow is taken to apply and a Deny not, so that exposure is never hidden.
func (r azRuleRec) appliesTo(addrs []netip.Addr) bool {
	if len(r.dests) == 0 {
		return true
	}
	for _, d := range r.dests {
		if isUniversal(d) || strings.EqualFold(d, "VirtualNetwork") || d == "0.0.0.0/0" || d == "::/0" {
			return true
		}
		if p, ok := parsePrefix(d); ok {
			if len(addrs) == 0 {
				if r.allow {
					return true
				}
				continue
			}
			for _, a := range addrs {
				if p.Contains(a) {
					return true
				}
			}
			continue
		}
		if r.allow && !strings.EqualFold(d, "Internet") {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
