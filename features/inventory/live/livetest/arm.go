package livetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// ARMServer speaks Azure Resource Manager as documented: GET
// /subscriptions/S/providers/Microsoft.X/TYPE?api-version=..., bearer tokens, answers
// {"value": [...], "nextLink": URL} with each resource's fields under "properties", and
// throttling as HTTP 429 with Retry-After. Its estate is an az CLI export (az flattens
// "properties"), put back into ARM's shape on the way out.
type ARMServer struct {
	mu        sync.Mutex
	URL       string
	Sub       string
	Lists     map[string][]any // "Microsoft.Compute/virtualMachines" -> ARM resources
	PageSize  int
	Throttle  func(n int) string // Retry-After for request n, "" for none
	Requests  int
	Throttled int
	Paths     map[string]int
}

// azOnly are keys az adds that ARM does not send.
var azOnly = map[string]bool{"resourceGroup": true, "powerState": true, "publicIps": true, "privateIps": true, "fqdns": true, "macAddresses": true}

// envelope are the keys ARM sends beside "properties".
var envelope = map[string]bool{"id": true, "name": true, "type": true, "location": true, "tags": true, "etag": true,
	"zones": true, "plan": true, "identity": true, "extendedLocation": true, "managedBy": true, "sku": true, "kind": true}

// subResources are lists whose items are resources with their own "properties".
var subResources = map[string]bool{"securityRules": true, "defaultSecurityRules": true, "ipConfigurations": true}

// Unflatten puts az's flattened keys back under "properties".
func Unflatten(m map[string]any) map[string]any {
	out, props := map[string]any{}, map[string]any{}
	for k, v := range m {
		switch {
		case azOnly[k]:
		case envelope[k]:
			out[k] = v
		default:
			if list, ok := v.([]any); ok && subResources[k] {
				items := make([]any, len(list))
				for i, it := range list {
					items[i] = Unflatten(it.(map[string]any))
				}
				v = items
			}
			props[k] = v
		}
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	return out
}

func ReadJSONList(t testing.TB, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// NewARMServer serves the VMs, NICs and NSGs of az exports; each VM's -d fields become
// what ARM has instead: an instance view with the power state, and public IP address
// resources for the NICs' public IP references.
func NewARMServer(sub string, vms, nics, nsgs []map[string]any) *ARMServer {
	s := &ARMServer{Sub: sub, PageSize: 2, Lists: map[string][]any{}, Paths: map[string]int{}}
	var pips []any
	for _, vm := range vms {
		a := Unflatten(vm)
		if ps, _ := vm["powerState"].(string); ps != "" {
			words := strings.Fields(ps)
			a["properties"].(map[string]any)["instanceView"] = map[string]any{"statuses": []any{
				map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
				map[string]any{"code": "PowerState/" + words[len(words)-1], "level": "Info", "displayStatus": ps},
			}}
		}
		s.Lists["Microsoft.Compute/virtualMachines"] = append(s.Lists["Microsoft.Compute/virtualMachines"], a)
	}
	publicOf := map[string]string{} // NIC id -> the public address its VM lists
	for _, vm := range vms {
		pub, _ := vm["publicIps"].(string)
		refs := vm["networkProfile"].(map[string]any)["networkInterfaces"].([]any)
		if pub != "" && len(refs) > 0 {
			publicOf[strings.ToLower(refs[0].(map[string]any)["id"].(string))] = pub
		}
	}
	for _, n := range nics {
		for _, c := range n["ipConfigurations"].([]any) {
			ref, _ := c.(map[string]any)["publicIPAddress"].(map[string]any)
			if ref == nil {
				continue
			}
			addr := publicOf[strings.ToLower(n["id"].(string))]
			id := ref["id"].(string)
			pips = append(pips, map[string]any{"id": id, "name": last(id), "type": "Microsoft.Network/publicIPAddresses",
				"location": n["location"], "properties": map[string]any{"ipAddress": addr, "publicIPAllocationMethod": "Static",
					"ipConfiguration": map[string]any{"id": c.(map[string]any)["id"]}}})
		}
		s.Lists["Microsoft.Network/networkInterfaces"] = append(s.Lists["Microsoft.Network/networkInterfaces"], Unflatten(n))
	}
	s.Lists["Microsoft.Network/publicIPAddresses"] = pips
	for _, g := range nsgs {
		s.Lists["Microsoft.Network/networkSecurityGroups"] = append(s.Lists["Microsoft.Network/networkSecurityGroups"], Unflatten(g))
	}
	return s
}

func (s *ARMServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	if r.Header.Get("Authorization") != "Bearer riskmap-test-token" {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is missing or invalid.")
		return
	}
	if s.Throttle != nil {
		if after := s.Throttle(s.Requests); after != "" {
			s.Throttled++
			w.Header().Set("Retry-After", after)
			armError(w, http.StatusTooManyRequests, "TooManyRequests", "The request is being throttled.")
			return
		}
	}
	prefix := "/subscriptions/" + s.Sub + "/providers/"
	kind := strings.TrimPrefix(r.URL.Path, prefix)
	items, ok := s.Lists[kind]
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, prefix) || r.URL.Query().Get("api-version") == "" {
		ok = false
	}
	if !ok && strings.HasPrefix(r.URL.Path, prefix) {
		items, ok = []any{}, r.URL.Query().Get("api-version") != ""
	}
	if !ok {
		armError(w, http.StatusNotFound, "ResourceNotFound", "no list at "+r.URL.String())
		return
	}
	s.Paths[kind]++
	start, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(start+s.PageSize, len(items))
	body := map[string]any{"value": items[start:end]}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		body["nextLink"] = s.URL + r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "11999")
	_ = json.NewEncoder(w).Encode(body)
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error": {"code": %q, "message": %q}}`, code, msg)
}
