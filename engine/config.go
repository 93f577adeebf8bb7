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
)

// ConfigFile is the name of the workspace configuration file.
const ConfigFile = "riskmap.yaml"

// Config is riskmap.yaml: what may be scanned, how hard, how often, and with which models.
type Config struct {
	Scope struct {
		Allow   []string `yaml:"allow"`
		Exclude []string `yaml:"exclude"`
	} `yaml:"scope"`
	Inventory   []InventorySource   `yaml:"inventory"`
	Budget      int                 `yaml:"budget"`      // probes per cycle
	Exploration float64             `yaml:"exploration"` // share of the budget for exploration
	Parallel    int                 `yaml:"parallel"`    // nmap processes at once
	MaxRate     int                 `yaml:"max_rate"`    // starting --max-rate (packets/s)
	MinRescan   map[string]Duration `yaml:"min_rescan"`  // per tier
	QuietHours  []QuietHours        `yaml:"quiet_hours"`
	NetworkRate map[string]int      `yaml:"network_rate"`
	Scripts     []string            `yaml:"deep_scripts"`
	Schedule    struct {
		Every        Duration `yaml:"every"`
		RetrainEvery int      `yaml:"retrain_every"` // cycles
	} `yaml:"schedule"`
	Models struct {
		Risk    string `yaml:"risk"`
		Anomaly string `yaml:"anomaly"`
	} `yaml:"models"`
	Alerts struct {
		JSONL   string `yaml:"jsonl"`
		Webhook string `yaml:"webhook"`
	} `yaml:"alerts"`
	Rules string `yaml:"rules"` // a findings rules file replacing the defaults
}

// InventorySource is a set of inventory files of one provider, imported at every cycle.
type InventorySource struct {
	Provider string   `yaml:"provider"`
	Paths    []string `yaml:"paths"`
}

// QuietHours forbids tiers above MaxTier for assets tagged Tag=Value between From and To.
type QuietHours struct {
	Tag      string `yaml:"tag"`
	Value    string `yaml:"value"`
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	Location string `yaml:"location"`
	MaxTier  string `yaml:"max_tier"`
}

// Duration is a time.Duration written as "90s", "1h".
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: duration %q: %w", n.Line, n.Value, err)
	}
	d.Duration = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// DefaultConfig is what a new workspace starts with: no scope (so no scan until one is
// written), a budget of 250,000 probes a cycle, 10% exploration.
func DefaultConfig() Config {
	var c Config
	c.Budget = 250_000
	c.Exploration = 0.10
	c.Parallel = 4
	c.MaxRate = 2000
	c.Schedule.Every = Duration{time.Hour}
	c.Schedule.RetrainEvery = 5
	c.Models.Risk = "risk"
	c.Models.Anomaly = "anomaly"
	c.Alerts.JSONL = "alerts.jsonl"
	return c
}

// Validate refuses a configuration that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	if c.Budget <= 0 {
		errs = append(errs, fmt.Errorf("budget: %d, want > 0", c.Budget))
	}
	if c.Exploration < 0 || c.Exploration > 1 {
		errs = append(errs, fmt.Errorf("exploration: %g, want a share in [0, 1]", c.Exploration))
	}
	if c.Parallel <= 0 {
		errs = append(errs, fmt.Errorf("parallel: %d, want > 0", c.Parallel))
	}
	if c.MaxRate < 0 {
		errs = append(errs, fmt.Errorf("max_rate: %d, want >= 0", c.MaxRate))
	}
	if c.Schedule.RetrainEvery < 0 {
		errs = append(errs, fmt.Errorf("schedule.retrain_every: %d, want >= 0", c.Schedule.RetrainEvery))
	}
	for i, s := range c.Inventory {
		switch s.Provider {
		case "aws", "azure", "gcp", "csv", "jsonl":
		default:
			errs = append(errs, fmt.Errorf("inventory[%d].provider: %q, want aws, azure, gcp, csv or jsonl", i, s.Provider))
		}
	}
	return errors.Join(errs...)
}

// LoadConfig reads riskmap.yaml from the workspace, or the defaults when there is none.
// Unknown keys are refused, with their line.
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

// ParseConfig parses the bytes of a riskmap.yaml named path.
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
