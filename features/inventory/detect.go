package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

type shapeKind int

const (
	shapeEmpty shapeKind = iota
	shapeAWSInstances
	shapeAWSGroups
	shapeAzureVMs
	shapeAzureNSGs
	shapeAzureNICs
	shapeGCPInstances
	shapeGCPFirewalls
	shapeGCPEffective
	shapeCSV
	shapeJSONL
)

// GCP list layouts: gcloud prints a bare array, the REST API wraps it in {"items": [...]},
// and aggregatedList keys it by zone.
const (
	layoutArray = iota
	layoutItems
	layoutAggregated
)

type shape struct {
	kind     shapeKind
	provider string
	name     string
	layout   int
}

// detect decides what a file is from its name, the importer's Provider and its first bytes
// and keys. It reads only the top of the document (the first element of a list).
func detect(doc *jsonDoc, provider string) (shape, error) {
	ext := strings.ToLower(filepath.Ext(doc.file))
	switch {
	case provider == "csv" || (provider == "" && ext == ".csv"):
		return shape{kind: shapeCSV, provider: "csv", name: "csv"}, nil
	case provider == "jsonl" || (provider == "" && (ext == ".jsonl" || ext == ".ndjson")):
		return shape{kind: shapeJSONL, provider: "jsonl", name: "jsonl"}, nil
	}
	trimmed := bytes.TrimLeft(doc.data, " \t\r\n")
	if len(trimmed) == 0 {
		return shape{}, &ParseError{File: doc.file, Line: 1, Column: 1,
			Err: fmt.Errorf("%w: the file is empty; expected JSON from a cloud CLI, CSV or JSON Lines", ErrSyntax)}
	}
	switch trimmed[0] {
	case '[':
		var list []json.RawMessage
		if err := doc.decode(&list); err != nil {
			return shape{}, err
		}
		if len(list) == 0 {
			return shape{kind: shapeEmpty, name: "empty list"}, nil
		}
		return classifyElement(doc, list[0], jpath{0}, layoutArray, "")
	case '{':
		return detectObject(doc)
	}
	first, _, _ := bytes.Cut(trimmed, []byte{'\n'})
	if bytes.Contains(bytes.ToLower(first), []byte("asset_id")) {
		return shape{kind: shapeCSV, provider: "csv", name: "csv"}, nil
	}
	line, col := lineCol(doc.data, int64(len(doc.data)-len(trimmed)))
	return shape{}, &ParseError{File: doc.file, Line: line, Column: col, Err: fmt.Errorf(
		"%w: expected JSON (an object or array from a cloud CLI), JSON Lines, or CSV with an asset_id header", ErrSyntax)}
}

// detectObject handles documents that start with '{': AWS responses, GCP REST lists, and
// JSON Lines (several objects, or one with asset_id).
func detectObject(doc *jsonDoc) (shape, error) {
	dec := json.NewDecoder(bytes.NewReader(doc.data))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return shape{}, doc.wrap(err)
	}
	_, isRow := top["asset_id"]
	if isRow {
		return shape{kind: shapeJSONL, provider: "jsonl", name: "jsonl"}, nil
	}
	if _, err := dec.Token(); err == nil {
		line, col := lineCol(doc.data, dec.InputOffset())
		return shape{}, &ParseError{File: doc.file, Line: line, Column: col, Err: fmt.Errorf(
			"%w: unexpected data after the JSON value (JSON Lines rows need an asset_id)", ErrSyntax)}
	}
	switch {
	case top["Reservations"] != nil:
		return shape{kind: shapeAWSInstances, provider: "aws", name: "aws describe-instances"}, nil
	case top["SecurityGroups"] != nil:
		return shape{kind: shapeAWSGroups, provider: "aws", name: "aws describe-security-groups"}, nil
	case top["firewalls"] != nil || top["firewallPolicys"] != nil:
		return shape{kind: shapeGCPEffective, provider: "gcp", name: "gcloud compute networks get-effective-firewalls"}, nil
	case top["items"] == nil && isComputeList(top["kind"]):
		// The compute API leaves items out of an empty list: a valid, empty inventory.
		kind := ""
		_ = json.Unmarshal(top["kind"], &kind)
		if kind == "compute#instanceAggregatedList" {
			return shape{kind: shapeGCPInstances, provider: "gcp", name: "gcp compute instances aggregatedList", layout: layoutAggregated}, nil
		}
		return classifyByListKind(doc, kind, layoutItems)
	case top["items"] != nil:
		items := bytes.TrimSpace(top["items"])
		kind := ""
		_ = json.Unmarshal(top["kind"], &kind)
		if len(items) > 0 && items[0] == '{' {
			return classifyAggregated(doc, items, kind)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(items, &list); err != nil {
			return shape{}, doc.errAt(jpath{"items"}, ErrValue, "expected an array or an object of zones")
		}
		if len(list) == 0 {
			return classifyByListKind(doc, kind, layoutItems)
		}
		return classifyElement(doc, list[0], jpath{"items", 0}, layoutItems, kind)
	}
	return shape{}, &ParseError{File: doc.file, Line: 1, Column: 1, Err: fmt.Errorf(
		"%w: a JSON object with keys %s; expected Reservations (aws ec2 describe-instances), SecurityGroups (aws ec2 describe-security-groups), items (GCP compute API list), or firewalls and firewallPolicys (gcloud compute networks get-effective-firewalls)",
		ErrShape, keyList(top))}
}

// isComputeList reports whether a kind field names a GCP compute list ("compute#...List").
func isComputeList(raw json.RawMessage) bool {
	var kind string
	if json.Unmarshal(raw, &kind) != nil {
		return false
	}
	return strings.HasPrefix(kind, "compute#") && strings.HasSuffix(kind, "List")
}

// classifyAggregated reads {"items": {"zones/...": {"instances": [...]}}}.
func classifyAggregated(doc *jsonDoc, items json.RawMessage, kind string) (shape, error) {
	var zones map[string]map[string]json.RawMessage
	if err := json.Unmarshal(items, &zones); err != nil {
		return shape{}, doc.errAt(jpath{"items"}, ErrValue, "expected an object mapping scopes to {\"instances\": [...]}")
	}
	if kind != "" && kind != "compute#instanceAggregatedList" {
		return shape{}, doc.errAt(jpath{"kind"}, ErrShape, "expected compute#instanceAggregatedList, got %q", kind)
	}
	return shape{kind: shapeGCPInstances, provider: "gcp", name: "gcp compute instances aggregatedList", layout: layoutAggregated}, nil
}

func classifyByListKind(doc *jsonDoc, kind string, layout int) (shape, error) {
	switch kind {
	case "compute#instanceList":
		return shape{kind: shapeGCPInstances, provider: "gcp", name: "gcp compute instances list (API)", layout: layout}, nil
	case "compute#firewallList":
		return shape{kind: shapeGCPFirewalls, provider: "gcp", name: "gcp compute firewalls list (API)", layout: layout}, nil
	}
	return shape{kind: shapeEmpty, name: "empty list"}, nil
}

// classifyElement recognises a list by its first element.
func classifyElement(doc *jsonDoc, raw json.RawMessage, path jpath, layout int, listKind string) (shape, error) {
	var el map[string]json.RawMessage
	if err := json.Unmarshal(raw, &el); err != nil {
		return shape{}, doc.errAt(path, ErrShape, "expected an object describing a VM, instance, NSG, NIC or firewall rule")
	}
	var typ, kind string
	_ = json.Unmarshal(el["type"], &typ)
	_ = json.Unmarshal(el["kind"], &kind)
	has := func(k string) bool { _, ok := el[k]; return ok }
	gcpName := func(what string) string {
		if layout == layoutItems {
			return "gcp compute " + what + " list (API)"
		}
		return "gcloud compute " + what + " list"
	}
	switch {
	case strings.EqualFold(typ, "Microsoft.Compute/virtualMachines") || has("vmId") || has("hardwareProfile"):
		return shape{kind: shapeAzureVMs, provider: "azure", name: "az vm list"}, nil
	case strings.EqualFold(typ, "Microsoft.Network/networkSecurityGroups") || has("securityRules") || has("defaultSecurityRules"):
		return shape{kind: shapeAzureNSGs, provider: "azure", name: "az network nsg list"}, nil
	case strings.EqualFold(typ, "Microsoft.Network/networkInterfaces") || has("ipConfigurations"):
		return shape{kind: shapeAzureNICs, provider: "azure", name: "az network nic list"}, nil
	case kind == "compute#instance" || (has("networkInterfaces") && has("machineType")):
		return shape{kind: shapeGCPInstances, provider: "gcp", name: gcpName("instances"), layout: layout}, nil
	case kind == "compute#firewall" || has("allowed") || has("denied") || has("sourceRanges"):
		return shape{kind: shapeGCPFirewalls, provider: "gcp", name: gcpName("firewall-rules"), layout: layout}, nil
	}
	return shape{}, doc.errAt(path, ErrShape,
		"an object with keys %s; expected an az vm list, az network nsg list or az network nic list entry, or a GCP instance or firewall rule",
		keyList(el))
}

func keyList(m map[string]json.RawMessage) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	return "[" + strings.Join(keys, ", ") + "]"
}
