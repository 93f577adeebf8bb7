package live

import (
	"errors"
	"fmt"
	"time"
)

// Config is one provider's live sync: which accounts and regions, the request rate and the
// retries. It is riskmap.yaml's `inventory: [{provider: P, sync: {...}}]` entry and the
// flags of `riskmap inventory sync`. Zero fields mean DefaultConfig's values.
type Config struct {
	// Provider is aws, azure or gcp.
	Provider string `yaml:"provider" json:"provider"`

	// AWS: Regions to read ("" or empty: every region DescribeRegions says is enabled for
	// the account); Profile a shared-config profile ("" the default chain: environment,
	// shared files, SSO, web identity, ECS/EC2 roles); RoleARN a role to assume (with
	// ExternalID) from those credentials.
	Regions    []string `yaml:"regions,omitempty" json:"regions,omitempty"`
	Profile    string   `yaml:"profile,omitempty" json:"profile,omitempty"`
	RoleARN    string   `yaml:"role_arn,omitempty" json:"role_arn,omitempty"`
	ExternalID string   `yaml:"external_id,omitempty" json:"external_id,omitempty"`

	// Azure: the subscriptions to read (required). Credentials come from azidentity's
	// DefaultAzureCredential (environment, workload identity, managed identity, az login).
	Subscriptions []string `yaml:"subscriptions,omitempty" json:"subscriptions,omitempty"`

	// GCP: the projects to read (required). Credentials are Application Default
	// Credentials with the compute.readonly scope.
	Projects []string `yaml:"projects,omitempty" json:"projects,omitempty"`

	// Endpoint overrides the provider's API endpoint (a VPC endpoint, a sovereign cloud, a
	// test server): AWS BaseEndpoint, Azure's Resource Manager endpoint, GCP's compute
	// endpoint ("https://host/compute/v1/").
	Endpoint string `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`

	// Rate is the requests a second riskmap sends per scope (an AWS region, an Azure
	// subscription, a GCP project), Burst how many it may send at once.
	Rate  float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
	Burst int     `yaml:"burst,omitempty" json:"burst,omitempty"`
	// MaxAttempts is how often the SDK sends one request before giving up (throttled or
	// failed); MaxBackoff caps the jittered exponential wait between attempts.
	MaxAttempts int           `yaml:"max_attempts,omitempty" json:"max_attempts,omitempty"`
	MaxBackoff  time.Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
	// Deadline bounds the whole sync of this provider. A throttled sync slows down and keeps
	// going until then.
	Deadline time.Duration `yaml:"deadline,omitempty" json:"deadline,omitempty"`
	// PageSize asks for this many items per page where the API takes a size (EC2
	// MaxResults 5-1000, GCP maxResults up to 500); 0 leaves it to the provider.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`
}

// Default request rates, per scope, each well below the provider's published limit:
//   - AWS: EC2 "non-mutating" (Describe*) actions refill at 20 requests/s per account and
//     region (bucket 100); riskmap uses 10/s, burst 20.
//   - Azure: Resource Manager reads refill at 25/s per subscription and principal (bucket
//     250); riskmap uses 10/s, burst 20.
//   - GCP: Compute Engine read requests are 1,500 a minute (25/s) per project by default;
//     riskmap uses 10/s, burst 10.
const (
	DefaultRate        = 10
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = 20 * time.Second
	DefaultDeadline    = 30 * time.Minute
)

// DefaultConfig is provider's defaults.
func DefaultConfig(provider string) Config {
	burst := 20
	if provider == "gcp" {
		burst = 10
	}
	return Config{Provider: provider, Rate: DefaultRate, Burst: burst, MaxAttempts: DefaultMaxAttempts,
		MaxBackoff: DefaultMaxBackoff, Deadline: DefaultDeadline}
}

// WithDefaults fills c's zero fields from DefaultConfig(c.Provider).
func (c Config) WithDefaults() Config {
	d := DefaultConfig(c.Provider)
	if c.Rate == 0 {
		c.Rate = d.Rate
	}
	if c.Burst == 0 {
		c.Burst = d.Burst
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = d.MaxAttempts
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.Deadline == 0 {
		c.Deadline = d.Deadline
	}
	return c
}

// Validate names the field that cannot work. It checks c as given, zero values included, so
// call it on c.WithDefaults().
func (c Config) Validate() error {
	var errs []error
	switch c.Provider {
	case "aws":
		if len(c.Subscriptions) > 0 || len(c.Projects) > 0 {
			errs = append(errs, errors.New("sync: subscriptions and projects are for azure and gcp, not aws"))
		}
	case "azure":
		if len(c.Subscriptions) == 0 {
			errs = append(errs, errors.New("sync.subscriptions: empty; want the Azure subscription ids to read"))
		}
	case "gcp":
		if len(c.Projects) == 0 {
			errs = append(errs, errors.New("sync.projects: empty; want the GCP project ids to read"))
		}
	default:
		errs = append(errs, fmt.Errorf("provider: %q, want aws, azure or gcp", c.Provider))
	}
	if c.Provider != "aws" && (len(c.Regions) > 0 || c.Profile != "" || c.RoleARN != "") {
		errs = append(errs, errors.New("sync: regions, profile and role_arn are for aws"))
	}
	if c.Rate <= 0 {
		errs = append(errs, fmt.Errorf("sync.rate: %g, want > 0 requests a second", c.Rate))
	}
	if c.Burst < 1 {
		errs = append(errs, fmt.Errorf("sync.burst: %d, want >= 1", c.Burst))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("sync.max_attempts: %d, want >= 1", c.MaxAttempts))
	}
	if c.MaxBackoff <= 0 {
		errs = append(errs, fmt.Errorf("sync.max_backoff: %s, want > 0", c.MaxBackoff))
	}
	if c.Deadline <= 0 {
		errs = append(errs, fmt.Errorf("sync.deadline: %s, want > 0", c.Deadline))
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		errs = append(errs, fmt.Errorf("sync.page_size: %d, want 0 (the provider's default) to 1000", c.PageSize))
	}
	return errors.Join(errs...)
}
