package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// fetchGCP lists instances (aggregatedList), firewall rules and each network's effective
// firewalls of every project.
func (s *Syncer) fetchGCP(ctx context.Context, cfg Config, lim *limiter) (fetched, error) {
	if _, anon := s.Credentials.(Anonymous); !anon {
		creds, err := google.FindDefaultCredentials(ctx, compute.ComputeReadonlyScope)
		if err != nil {
			return fetched{}, fmt.Errorf("gcp credentials: %w", err)
		}
		// The token is fetched under the limiter's transport: only compute calls count.
		lim.base = &oauth2.Transport{Source: creds.TokenSource, Base: lim.base}
	}
	var f fetched
	var errs []error
	for _, p := range cfg.Projects {
		docs, sc, warns, err := s.gcpProject(ctx, cfg, lim, p)
		f.scopes = append(f.scopes, sc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.docs = append(f.docs, docs...)
		f.warnings = append(f.warnings, warns...)
	}
	return f, errors.Join(errs...)
}

func (s *Syncer) gcpProject(ctx context.Context, cfg Config, lim *limiter, project string) ([]Doc, Scope, []string, error) {
	start := time.Now()
	sc := Scope{Scope: project}
	defer func() { sc.Elapsed = Duration(time.Since(start)) }()
	opts := []option.ClientOption{option.WithHTTPClient(lim.client("gcp/" + project))}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint))
	}
	svc, err := compute.NewService(ctx, opts...)
	if err != nil {
		return nil, sc, nil, fmt.Errorf("gcp project %s: %w", project, err)
	}

	zones := map[string]*compute.InstancesScopedList{}
	token := ""
	for page := 1; ; page++ {
		call := svc.Instances.AggregatedList(project).PageToken(token)
		if cfg.PageSize > 0 {
			call = call.MaxResults(int64(min(cfg.PageSize, 500)))
		}
		var out *compute.InstanceAggregatedList
		err := gcpRetry(ctx, cfg, func() error {
			var err error
			out, err = call.Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, sc, nil, fmt.Errorf("instances.aggregatedList of project %s, page %d: %w", project, page, err)
		}
		for zone, l := range out.Items {
			if len(l.Instances) == 0 {
				continue
			}
			z := zones[zone]
			if z == nil {
				z = &compute.InstancesScopedList{}
				zones[zone] = z
			}
			z.Instances = append(z.Instances, l.Instances...)
			sc.Instances += len(l.Instances)
		}
		s.progress("gcp %s: instances.aggregatedList page %d, %d instances so far", project, page, sc.Instances)
		if token = out.NextPageToken; token == "" {
			break
		}
	}

	var firewalls []*compute.Firewall
	token = ""
	for page := 1; ; page++ {
		call := svc.Firewalls.List(project).PageToken(token)
		if cfg.PageSize > 0 {
			call = call.MaxResults(int64(min(cfg.PageSize, 500)))
		}
		var out *compute.FirewallList
		err := gcpRetry(ctx, cfg, func() error {
			var err error
			out, err = call.Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, sc, nil, fmt.Errorf("firewalls.list of project %s, page %d: %w", project, page, err)
		}
		firewalls = append(firewalls, out.Items...)
		if token = out.NextPageToken; token == "" {
			break
		}
	}
	sc.Rules = len(firewalls)

	// Hierarchical and network firewall policies go around the VPC's rules: each network the
	// instances use is read with networks.getEffectiveFirewalls, whose answer is what
	// `gcloud compute networks get-effective-firewalls` prints, and the importer evaluates.
	networks := map[string]bool{}
	for _, z := range zones {
		for _, in := range z.Instances {
			for _, n := range in.NetworkInterfaces {
				if p := gcpPathProject(n.Network); p == "" || p == project {
					networks[lastSegment(n.Network)] = true
				}
			}
		}
	}
	var effective []Doc
	for _, n := range sortedKeys(networks) {
		var out *compute.NetworksGetEffectiveFirewallsResponse
		err := gcpRetry(ctx, cfg, func() error {
			var err error
			out, err = svc.Networks.GetEffectiveFirewalls(project, n).Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, sc, nil, fmt.Errorf("networks.getEffectiveFirewalls of %s/%s: %w", project, n, err)
		}
		if len(out.Firewalls)+len(out.FirewallPolicys) == 0 {
			continue
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, sc, nil, fmt.Errorf("gcp project %s network %s: %w", project, n, err)
		}
		effective = append(effective, Doc{Name: "gcp/" + project + "/effective-firewalls-" + n + ".json", Data: b})
	}
	s.progress("gcp %s: %d instances, %d firewall rules, %d networks", project, sc.Instances, len(firewalls), len(networks))

	var docs []Doc
	if len(zones) > 0 {
		for _, z := range zones {
			sort.SliceStable(z.Instances, func(i, j int) bool { return z.Instances[i].Id < z.Instances[j].Id })
		}
		b, err := json.Marshal(map[string]any{"kind": "compute#instanceAggregatedList", "items": zones})
		if err != nil {
			return nil, sc, nil, fmt.Errorf("gcp project %s: %w", project, err)
		}
		docs = append(docs, Doc{Name: "gcp/" + project + "/instances-aggregated.json", Data: b})
	}
	if len(firewalls) > 0 {
		sort.SliceStable(firewalls, func(i, j int) bool { return firewalls[i].Name < firewalls[j].Name })
		b, err := json.Marshal(map[string]any{"kind": "compute#firewallList", "items": firewalls})
		if err != nil {
			return nil, sc, nil, fmt.Errorf("gcp project %s: %w", project, err)
		}
		docs = append(docs, Doc{Name: "gcp/" + project + "/firewalls.json", Data: b})
	}
	return append(docs, effective...), sc, nil, nil
}

// gcpRetry runs call until it succeeds, fails for good, or MaxAttempts pass. The generated
// compute client sends each call once, so riskmap retries what Google asks to be retried
// (429, 5xx, 403 rateLimitExceeded) with full-jitter exponential backoff, waiting at least
// the Retry-After the answer gave.
func gcpRetry(ctx context.Context, cfg Config, call func() error) error {
	backoff := min(500*time.Millisecond, cfg.MaxBackoff)
	for attempt := 1; ; attempt++ {
		err := call()
		var ge *googleapi.Error
		if err == nil || attempt >= cfg.MaxAttempts || !errors.As(err, &ge) || !gcpRetryable(ge) {
			return err
		}
		wait := time.Duration(rand.Int64N(int64(backoff) + 1))
		if ge.Header != nil {
			wait = max(wait, retryAfter(ge.Header.Get("Retry-After"), time.Now()))
		}
		backoff = min(2*backoff, cfg.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %d attempts: %v)", ctx.Err(), attempt, err)
		case <-t.C:
		}
	}
}

func gcpRetryable(e *googleapi.Error) bool {
	if e.Code == http.StatusTooManyRequests || e.Code >= 500 {
		return true
	}
	for _, it := range e.Errors {
		if strings.Contains(it.Reason, "RateLimitExceeded") || strings.Contains(it.Reason, "rateLimitExceeded") {
			return true
		}
	}
	return false
}

func lastSegment(url string) string { return url[strings.LastIndex(url, "/")+1:] }

// gcpPathProject returns P of ".../projects/P/...".
func gcpPathProject(url string) string {
	parts := strings.Split(url, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "projects" {
			return parts[i+1]
		}
	}
	return ""
}
