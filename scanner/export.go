package scanner

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/riskmap/riskmap"
)

// Export formats for WriteTargets.
const (
	FormatNmap    = "nmap"    // one address per line, for nmap -iL (IPv6 lines need nmap -6: export each family apart)
	FormatMasscan = "masscan" // addresses for masscan -iL, ports in a comment header
	FormatNaabu   = "naabu"   // host:port lines (host alone when a target has no ports)
	FormatNuclei  = "nuclei"  // host:port lines, as nuclei -l reads them
	FormatCSV     = "csv"     // asset_id,ip,tier,priority,ports,why
	FormatJSONL   = "jsonl"   // one JSON object per target
)

// Formats lists the export formats.
func Formats() []string {
	return []string{FormatNmap, FormatMasscan, FormatNaabu, FormatNuclei, FormatCSV, FormatJSONL}
}

// WriteTargets writes ranked targets in format, in the order given (the caller ranks them),
// keeping only addresses inside scope: a target whose IP is not an address (a name could
// resolve anywhere later), is out of scope or excluded is left out and listed in refused.
// An address listed twice is written once, at its first (highest-ranked) place. Ports outside
// 1-65535 are an error naming the target.
//
// This takes the scope, beyond the signature first sketched for it, because an export is
// handed to other scanners that have no guard of their own.
func WriteTargets(w io.Writer, format string, scope Scope, targets []riskmap.Target) (refused []Refusal, err error) {
	if scope.Empty() {
		return nil, ErrNoScope
	}
	switch format {
	case FormatNmap, FormatMasscan, FormatNaabu, FormatNuclei, FormatCSV, FormatJSONL:
	default:
		return nil, fmt.Errorf("export format %q: want one of %s", format, strings.Join(Formats(), ", "))
	}
	type row struct {
		t     riskmap.Target
		addr  netip.Addr
		ports PortList
	}
	var rows []row
	seen := map[netip.Addr]bool{}
	for i, t := range targets {
		a, perr := netip.ParseAddr(strings.TrimSpace(t.IP))
		if perr != nil {
			refused = append(refused, Refusal{Spec: t.AssetID, Reason: fmt.Sprintf("%q is not an IP address: exports carry addresses only", t.IP), Err: ErrBadTarget})
			continue
		}
		if cerr := scope.Check(a); cerr != nil {
			refused = append(refused, refuse(t.AssetID, a, cerr))
			continue
		}
		ports, perr := NewPortList(t.Ports)
		if perr != nil {
			return refused, fmt.Errorf("target %d (asset %q, %s): %w", i, t.AssetID, a, perr)
		}
		a = a.Unmap()
		if seen[a] {
			continue
		}
		seen[a] = true
		rows = append(rows, row{t, a, ports})
	}
	bw := bufio.NewWriter(w)
	switch format {
	case FormatNmap:
		for _, r := range rows {
			fmt.Fprintln(bw, r.addr)
		}
	case FormatMasscan:
		var all [][]int
		for _, r := range rows {
			all = append(all, r.ports)
		}
		union := mergePorts(all...)
		fmt.Fprintf(bw, "# riskmap targets for masscan: %d addresses, ranked\n", len(rows))
		if len(union) > 0 {
			fmt.Fprintf(bw, "# ports: %s\n# run: masscan -iL <this file> -p%s\n", union, union)
		} else {
			fmt.Fprintf(bw, "# ports: none predicted; choose them with -p\n")
		}
		for _, r := range rows {
			fmt.Fprintln(bw, r.addr)
		}
	case FormatNaabu, FormatNuclei:
		for _, r := range rows {
			if len(r.ports) == 0 {
				fmt.Fprintln(bw, r.addr)
				continue
			}
			for _, p := range r.ports {
				fmt.Fprintln(bw, netip.AddrPortFrom(r.addr, uint16(p)))
			}
		}
	case FormatCSV:
		cw := csv.NewWriter(bw)
		_ = cw.Write([]string{"asset_id", "ip", "tier", "priority", "ports", "why"})
		for _, r := range rows {
			_ = cw.Write([]string{r.t.AssetID, r.addr.String(), r.t.Tier.String(),
				strconv.FormatFloat(float64(r.t.Priority), 'g', -1, 32), r.ports.String(), strings.Join(r.t.Why, "; ")})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return refused, fmt.Errorf("write %s targets: %w", format, err)
		}
	case FormatJSONL:
		enc := json.NewEncoder(bw)
		for _, r := range rows {
			ports := []int(r.ports)
			if ports == nil {
				ports = []int{}
			}
			if err := enc.Encode(struct {
				AssetID  string       `json:"asset_id"`
				IP       string       `json:"ip"`
				Tier     riskmap.Tier `json:"tier"`
				Priority float32      `json:"priority"`
				Ports    []int        `json:"ports"`
				Why      []string     `json:"why,omitempty"`
			}{r.t.AssetID, r.addr.String(), r.t.Tier, r.t.Priority, ports, r.t.Why}); err != nil {
				return refused, fmt.Errorf("write %s targets: %w", format, err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return refused, fmt.Errorf("write %s targets: %w", format, err)
	}
	return refused, nil
}
