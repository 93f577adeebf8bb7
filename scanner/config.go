package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Config is the scanner's part of riskmap.yaml:
//
//	scope:
//	  allow: [10.0.0.0/16, "fd00::/64"]
//	  exclude: [10.0.5.0/24]
//	profiles:
//	  light: {top_ports: 100, predicted_ports: true, factor: 1, detection: 0.4}
//	planner:
//	  budget: 2000000
//	  min_rescan: {light: 6h, standard: 24h, deep: 168h}
//	  quiet_hours: [{tag: env, value: prod, from: "09:00", to: "18:00", location: Europe/Paris, max_tier: standard}]
//	runner:
//	  parallel: 2
//	  rate: {initial: 300, min: 10, max: 1000}
//
// Fields left out keep their defaults; unknown fields are errors.
type Config struct {
	Scope    ScopeConfig   `yaml:"scope" json:"scope"`
	Profiles ProfileConfig `yaml:"profiles" json:"profiles"`
	Planner  PlannerConfig `yaml:"planner" json:"planner"`
	Runner   RunnerConfig  `yaml:"runner" json:"runner"`
}

// DefaultConfig returns every default, and an empty scope: nothing may be scanned until the
// scope is written down.
func DefaultConfig() Config {
	return Config{
		Profiles: DefaultProfileConfig(),
		Planner:  DefaultPlannerConfig(),
		Runner:   DefaultRunnerConfig(),
	}
}

// Validate checks every part. An empty scope is valid configuration; scans refuse it.
func (c Config) Validate() error {
	if _, err := c.Scope.Scope(); err != nil {
		return err
	}
	if err := c.Profiles.Validate(); err != nil {
		return err
	}
	if err := c.Planner.Validate(); err != nil {
		return err
	}
	return c.Runner.Validate()
}

// ReadConfig reads YAML over DefaultConfig and validates the result. Errors carry yaml's line
// numbers and wrap ErrBadConfig.
func ReadConfig(r io.Reader) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Config{}, fmt.Errorf("read scanner config: %w", err)
	}
	c := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
