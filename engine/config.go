package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/riskmap/riskmap/features/inventory"
	"github.com/riskmap/riskmap/features/inventory/live"
	"github.com/riskmap/riskmap/scanner"
	"github.com/riskmap/riskmap/workers"
)

// ConfigFile is the name of the workspace configuration file.
const ConfigFile = "riskmap.yaml"

// Config is riskmap.yaml: what may be scanned and how (the scanner's scope, profiles, planner
// and runner sections), where inventory comes from, how often the loop runs and retrains, and
// where alerts go.
//
//	scope:
//	  allow: [10.0.0.0/8]
//	  exclude: [10.0.5.0/24]
//	planner: {budget: 2000000, exploration: 0.1}
//	inventory:
//	  - provider: aws
//	    paths: [exports/aws/]
//	schedule: {every: 1h, retrain_every: 5}
//	alerts: {jsonl: alerts.jsonl, webhook: "https://soar.example/hooks/riskmap"}
type Config struct {
	scanner.Config `yaml:",inline"`
	Inventory      []InventorySource `yaml:"inventory"`
	Schedule       Schedule          `yaml:"schedule"`
	Models         ModelChoice       `yaml:"models"`
	Alerts         AlertConfig       `yaml:"alerts"`
	// Rules is a findings rules file merged over the defaults ("" means the defaults).
	Rules string `yaml:"rules"`
	// Workers, when set, sends the cycle's scans to scan workers in each network segment
	// over NATS JetStream instead of running nmap here (see package workers).
	Workers *workers.Config `yaml:"workers,omitempty"`
}

// InventorySource is a set of inventory files of one provider, imported at every cycle, or
// (with Sync) the provider's API, read at the start of every cycle:
//
//	inventory:
//	  - provider: aws
//	    sync: {regions: [eu-west-1], role_arn: "arn:aws:iam::123456789012:role/riskmap-read"}
type InventorySource struct {
	Provider string       `yaml:"provider"`
	Paths    []string     `yaml:"paths"`
	Sync     *live.Config `yaml:"sync"`
}

// Schedule is how often the loop runs and retrains.
type Schedule struct {
	Every        time.Duration `yaml:"every"`
	RetrainEvery int           `yaml:"retrain_every"` // cycles; 0 never retrains
}

// ModelChoice names the registry models a cycle scores with.
type ModelChoice struct {
	Risk    string `yaml:"risk"`
	Anomaly string `yaml:"anomaly"`
}

// AlertConfig says where alerts go.
type AlertConfig struct {
	JSONL      string        `yaml:"jsonl"`   // relative to the workspace
	Webhook    string        `yaml:"webhook"` // HTTP POST of JSON; "" for none
	Retries    int           `yaml:"retries"`
	Timeout    time.Duration `yaml:"timeout"`
	MinAnomaly float64       `yaml:"min_anomaly"` // a diff alerts when its asset's anomaly reaches this
}

// DefaultConfig is what a new workspace starts with: the scanner's defaults and an empty
// scope (so nothing is scanned until one is written), hourly cycles, retraining every 5.
func DefaultConfig() Config {
	return Config{
		Config:   scanner.DefaultConfig(),
		Schedule: Schedule{Every: time.Hour, RetrainEvery: 5},
		Models:   ModelChoice{Risk: "risk", Anomaly: "anomaly"},
		Alerts:   AlertConfig{JSONL: "alerts.jsonl", Retries: 3, Timeout: 10 * time.Second, MinAnomaly: 0.6},
	}
}

// Validate refuses a configuration that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Schedule.RetrainEvery < 0 {
		errs = append(errs, fmt.Errorf("schedule.retrain_every: %d, want >= 0", c.Schedule.RetrainEvery))
	}
	if c.Schedule.Every < 0 {
		errs = append(errs, fmt.Errorf("schedule.every: %s, want >= 0", c.Schedule.Every))
	}
	if c.Alerts.Retries < 0 {
		errs = append(errs, fmt.Errorf("alerts.retries: %d, want >= 0", c.Alerts.Retries))
	}
	for i, s := range c.Inventory {
		if !inventory.KnownProvider(s.Provider) {
			errs = append(errs, fmt.Errorf("inventory[%d].provider: %q, want %s", i, s.Provider, inventory.ProviderList()))
		}
		switch {
		case s.Sync != nil && len(s.Paths) > 0:
			errs = append(errs, fmt.Errorf("inventory[%d]: paths and sync both set; an entry reads files or the API, not both", i))
		case s.Sync != nil:
			sc := *s.Sync
			sc.Provider = s.Provider
			if err := sc.WithDefaults().Validate(); err != nil {
				errs = append(errs, fmt.Errorf("inventory[%d]: %w", i, err))
			}
		case len(s.Paths) == 0:
			errs = append(errs, fmt.Errorf("inventory[%d].paths: empty (or give sync: to read the provider's API)", i))
		}
	}
	if c.Workers != nil {
		if err := c.Workers.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// LoadConfig reads riskmap.yaml from the workspace, or the defaults when there is none.
func LoadConfig(workspace string) (Config, error) {
	path := filepath.Join(workspace, ConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(path, b)
}

// ParseConfig parses the bytes of a riskmap.yaml named path over the defaults. Unknown keys
// are refused, with their line.
func ParseConfig(path string, b []byte) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteConfig writes c as the workspace's riskmap.yaml.
func WriteConfig(workspace string, c Config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(workspace, ConfigFile), b, 0o644)
}
