package inventory

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// WriteCSV writes assets as the CSV table that Add reads back: a header of Columns, then one
// row per asset. Lists are joined with ';' and tags written k=v, with '\' before any ';', '='
// or '\' inside a value. InternetExposedPorts and SnapshotTime are not written: the first is
// derived from exposed, the second is the importer's.
func WriteCSV(w io.Writer, assets []riskmap.Asset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	for _, a := range assets {
		tags := make([]string, len(a.Tags))
		for i, t := range a.Tags {
			tags[i] = escape(t.Key) + "=" + escape(t.Value)
		}
		exposed := make([]string, len(a.Exposed))
		for i, e := range a.Exposed {
			exposed[i] = formatExposure(e)
		}
		rec := []string{a.ID, a.Provider, a.Account, a.Region, a.Network, a.Subnet, a.Kind, a.State,
			a.Image, a.Group, joinEscaped(a.PrivateIPs), joinEscaped(a.PublicIPs), joinEscaped(a.DNSNames),
			strings.Join(tags, ";"), formatTime(a.LaunchedAt), a.OSFamily, joinEscaped(a.SecurityGroups),
			joinEscaped(exposed)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv row for asset %s: %w", a.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// jsonlRow is one JSON Lines object; field order follows Columns.
type jsonlRow struct {
	AssetID        string            `json:"asset_id"`
	Provider       string            `json:"provider,omitempty"`
	Account        string            `json:"account,omitempty"`
	Region         string            `json:"region,omitempty"`
	Network        string            `json:"network,omitempty"`
	Subnet         string            `json:"subnet,omitempty"`
	Kind           string            `json:"kind,omitempty"`
	State          string            `json:"state,omitempty"`
	Image          string            `json:"image,omitempty"`
	Group          string            `json:"group,omitempty"`
	PrivateIPs     []string          `json:"private_ips,omitempty"`
	PublicIPs      []string          `json:"public_ips,omitempty"`
	DNSNames       []string          `json:"dns_names,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	LaunchedAt     string            `json:"launched_at,omitempty"`
	OSFamily       string            `json:"os_family,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Exposed        []string          `json:"exposed,omitempty"`
}

// WriteJSONL writes assets as JSON Lines that Add reads back: lists as arrays of strings,
// tags as an object (a later tag with the same key replaces an earlier one), exposed as
// "proto:ports:source" strings.
func WriteJSONL(w io.Writer, assets []riskmap.Asset) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, a := range assets {
		row := jsonlRow{AssetID: a.ID, Provider: a.Provider, Account: a.Account, Region: a.Region,
			Network: a.Network, Subnet: a.Subnet, Kind: a.Kind, State: a.State, Image: a.Image,
			Group: a.Group, PrivateIPs: a.PrivateIPs, PublicIPs: a.PublicIPs, DNSNames: a.DNSNames,
			LaunchedAt: formatTime(a.LaunchedAt), OSFamily: a.OSFamily, SecurityGroups: a.SecurityGroups}
		if len(a.Tags) > 0 {
			row.Tags = make(map[string]string, len(a.Tags))
			for _, t := range a.Tags {
				row.Tags[t.Key] = t.Value
			}
		}
		for _, e := range a.Exposed {
			row.Exposed = append(row.Exposed, formatExposure(e))
		}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("write jsonl row for asset %s: %w", a.ID, err)
		}
	}
	return nil
}

func joinEscaped(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = escape(s)
	}
	return strings.Join(out, ";")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
