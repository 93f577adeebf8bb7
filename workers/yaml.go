package workers

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML reads the workers: section over DefaultConfig, refusing unknown keys (as
// riskmap.yaml does everywhere), with the section's line in errors.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("workers (line %d): %w", n.Line, err)
	}
	type plain Config
	v := plain(DefaultConfig())
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("workers (section at line %d): %w", n.Line, err)
	}
	*c = Config(v)
	return nil
}

// Validate checks the section.
func (c Config) Validate() error {
	if c.Embedded() {
		if err := c.Server.Validate(); err != nil {
			return fmt.Errorf("workers.server: %w", err)
		}
	}
	if err := c.DispatchConfig.Validate(); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}
