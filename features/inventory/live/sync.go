package live

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/inventory"
)

// Doc is one document a sync made from API responses, in the shape of the provider's CLI
// export (aws ec2 describe-instances, az vm list -d, gcloud's JSON), so that the export
// importer maps it to assets exactly as it maps a file.
type Doc struct {
	Name string
	Data []byte
}

// Scope is what one region (AWS), subscription (Azure) or project (GCP) gave.
type Scope struct {
	Scope     string   `json:"scope"`
	Instances int      `json:"instances"` // instances or VMs listed
	Other     int      `json:"other"`     // network interfaces of other resources (AWS)
	Rules     int      `json:"rule_sets"` // security groups, NSGs or firewall rules listed
	Elapsed   Duration `json:"elapsed"`
	Counts
}

// Duration prints as a Go duration string in JSON.
type Duration time.Duration

// MarshalJSON writes d as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// Result is one provider's sync.
type Result struct {
	Provider    string          `json:"provider"`
	Started     time.Time       `json:"started"`
	Elapsed     Duration        `json:"elapsed"`
	Scopes      []Scope         `json:"scopes"`
	Total       Counts          `json:"total"`
	Assets      []riskmap.Asset `json:"-"`
	AssetCount  int             `json:"assets"`
	Docs        []Doc           `json:"-"`
	Warnings    []string        `json:"warnings"`
	Fingerprint string          `json:"fingerprint"`
	// Changed is true when the assets differ from the ledger's last sync: only then is a
	// snapshot worth writing.
	Changed bool    `json:"changed"`
	Changes Changes `json:"changes"`
	Ledger  Ledger  `json:"-"` // the ledger to save once the snapshot is written
}

// Syncer reads one provider's estate through its SDK. Set Config; the other fields are
// optional.
type Syncer struct {
	Config Config
	// Now stamps the sync; nil means time.Now.
	Now func() time.Time
	// Transport is the HTTP transport under riskmap's rate limiter; nil means
	// http.DefaultTransport. Tests hand in their TLS test server's.
	Transport http.RoundTripper
	// Progress, when set, gets one line per page and per scope.
	Progress io.Writer
	// Credentials, when set, replace the provider's default chain: an
	// aws.CredentialsProvider, an azcore.TokenCredential, or Anonymous for GCP (no
	// credentials: a test server).
	Credentials any
}

// Anonymous as Syncer.Credentials sends GCP requests without credentials.
type Anonymous struct{}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) progress(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, format+"\n", args...)
	}
}

// fetched is what a provider's reader returns: documents in CLI shapes, asset kinds that
// differ from vm (load balancers, NAT gateways), and per-scope figures.
type fetched struct {
	docs     []Doc
	warnings []string
	kinds    map[string]string
	scopes   []Scope
}

// Sync lists the provider's estate, maps it with the export importer, and compares it with
// prev (the ledger of the previous syncs; an empty Ledger for the first). It fails only when
// the estate could not be read completely within Config.Deadline: a partial listing would
// mark live assets gone.
func (s *Syncer) Sync(ctx context.Context, prev Ledger) (Result, error) {
	cfg := s.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("inventory sync %s: %w", cfg.Provider, err)
	}
	start := s.now()
	res := Result{Provider: cfg.Provider, Started: start.UTC()}
	ctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()
	lim := newLimiter(cfg.Rate, cfg.Burst, s.Transport, nil)
	var f fetched
	var err error
	switch cfg.Provider {
	case "aws":
		f, err = s.fetchAWS(ctx, cfg, lim)
	case "azure":
		f, err = s.fetchAzure(ctx, cfg, lim)
	case "gcp":
		f, err = s.fetchGCP(ctx, cfg, lim)
	}
	counts := lim.counts()
	for i := range f.scopes {
		sc := &f.scopes[i]
		sc.Counts = counts[cfg.Provider+"/"+sc.Scope]
		res.Total = res.Total.Add(sc.Counts)
	}
	res.Scopes = f.scopes
	res.Elapsed = Duration(s.now().Sub(start))
	if err != nil {
		return res, fmt.Errorf("inventory sync %s: %w", cfg.Provider, err)
	}
	res.Docs = f.docs
	res.Warnings = append(res.Warnings, f.warnings...)
	im := &inventory.Importer{Provider: cfg.Provider, SnapshotTime: start.UTC()}
	for _, d := range f.docs {
		sum, err := im.Add(d.Name, d.Data)
		if err != nil {
			return res, fmt.Errorf("inventory sync %s: the API's answer does not map: %w", cfg.Provider, err)
		}
		res.Warnings = append(res.Warnings, sum.Warnings...)
	}
	assets, warns, err := im.Assets()
	if err != nil {
		return res, fmt.Errorf("inventory sync %s: %w", cfg.Provider, err)
	}
	for i := range assets {
		if k, ok := f.kinds[assets[i].ID]; ok {
			// Not a machine: the importer's operating system guess (linux for AWS) is wrong.
			assets[i].Kind, assets[i].OSFamily = k, ""
		}
	}
	res.Warnings = append(res.Warnings, warns...)
	if res.Warnings == nil {
		res.Warnings = []string{}
	}
	res.Assets, res.AssetCount = assets, len(assets)
	if prev.Provider == "" {
		prev.Provider = cfg.Provider
	}
	res.Ledger, res.Changes = prev.Apply(assets, start)
	res.Fingerprint = res.Ledger.Fingerprint
	res.Changed = res.Fingerprint != prev.Fingerprint
	return res, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
