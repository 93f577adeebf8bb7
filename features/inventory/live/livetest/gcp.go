package livetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// GCPServer speaks the Compute Engine REST API (v1) as Google documents it: JSON lists with
// "items" and a nextPageToken, aggregatedList keyed by "zones/ZONE", and errors as
// {"error": {"code", "message", "errors": [{"reason"}]}}. Throttling is HTTP 429 with
// Retry-After and the reason rateLimitExceeded.
type GCPServer struct {
	mu        sync.Mutex
	Project   string
	Instances []map[string]any // as gcloud prints them
	Firewalls []map[string]any
	Policies  map[string][]any // network -> effective firewall policies
	PageSize  int
	// throttle, when set, is asked before each request (numbered from 1) for a Retry-After
	// in seconds; "" means answer normally.
	Throttle  func(n int) string
	Requests  int
	Throttled int
	Paths     map[string]int
}

func NewGCPServer(t testing.TB, project, instances, firewalls string) *GCPServer {
	t.Helper()
	s := &GCPServer{Project: project, PageSize: 1, Paths: map[string]int{}, Policies: map[string][]any{}}
	for path, dst := range map[string]*[]map[string]any{instances: &s.Instances, firewalls: &s.Firewalls} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return s
}

func (s *GCPServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	if s.Throttle != nil {
		if after := s.Throttle(s.Requests); after != "" {
			s.Throttled++
			w.Header().Set("Retry-After", after)
			gcpError(w, http.StatusTooManyRequests, "rateLimitExceeded", "Rate Limit Exceeded")
			return
		}
	}
	prefix := "/compute/v1/projects/" + s.Project + "/"
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, prefix) {
		gcpError(w, http.StatusNotFound, "notFound", "The resource '"+r.URL.Path+"' was not found")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	s.Paths[rest]++
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("pageToken"))
	size := s.PageSize
	if m, err := strconv.Atoi(q.Get("maxResults")); err == nil {
		size = m
	}
	var body map[string]any
	switch {
	case rest == "aggregated/instances":
		end := min(start+size, len(s.Instances))
		zones := map[string]any{}
		for _, in := range s.Instances[start:end] {
			z := "zones/" + last(in["zone"].(string))
			l, _ := zones[z].(map[string]any)
			if l == nil {
				l = map[string]any{"instances": []any{}}
				zones[z] = l
			}
			l["instances"] = append(l["instances"].([]any), in)
		}
		// Zones without instances carry a warning instead, as the API sends them.
		zones["zones/asia-east1-a"] = map[string]any{"warning": map[string]any{"code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/asia-east1-a' on this page."}}
		body = map[string]any{"kind": "compute#instanceAggregatedList", "id": "projects/" + s.Project + "/aggregated/instances", "items": zones}
		if end < len(s.Instances) {
			body["nextPageToken"] = strconv.Itoa(end)
		}
	case rest == "global/firewalls":
		end := min(start+size, len(s.Firewalls))
		body = map[string]any{"kind": "compute#firewallList", "id": "projects/" + s.Project + "/global/firewalls", "items": s.Firewalls[start:end]}
		if end < len(s.Firewalls) {
			body["nextPageToken"] = strconv.Itoa(end)
		}
	case strings.HasPrefix(rest, "global/networks/") && strings.HasSuffix(rest, "/getEffectiveFirewalls"):
		network := strings.TrimSuffix(strings.TrimPrefix(rest, "global/networks/"), "/getEffectiveFirewalls")
		var fws []any
		for _, f := range s.Firewalls {
			if last(f["network"].(string)) == network {
				fws = append(fws, f)
			}
		}
		body = map[string]any{"firewalls": fws, "firewallPolicys": s.Policies[network]}
	default:
		gcpError(w, http.StatusNotFound, "notFound", "The resource '"+r.URL.Path+"' was not found")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(body)
}

func gcpError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error": {"code": %d, "message": %q, "errors": [{"message": %q, "domain": "usageLimits", "reason": %q}]}}`, code, msg, msg, reason)
}

func last(url string) string { return url[strings.LastIndex(url, "/")+1:] }

func sortedPaths(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
