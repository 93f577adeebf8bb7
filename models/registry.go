package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files of the registry, under <workspace>/models/<name>/.
const (
	ModelFile   = "model.onnx"
	CardFile    = "card.json"
	CurrentFile = "CURRENT"
)

// DefaultPromoteMetric is the metric Promote compares when none is named.
const DefaultPromoteMetric = "pr_auc"

// Registry errors, matched with errors.Is.
var (
	ErrNotFound      = errors.New("model not found")
	ErrNoCurrent     = errors.New("no current version")
	ErrNotBetter     = errors.New("not better than the current version")
	ErrNotComparable = errors.New("not comparable with the current version")
)

// Registry keeps model versions in a workspace: models/<name>/<version>/model.onnx and card.json,
// and models/<name>/CURRENT holding the current version. Versions are v1, v2, ... in the order
// they were registered. Every write is atomic (temporary name, fsync, rename, fsync of the
// directory); readers see a version whole or not at all. Writers are expected to hold the
// workspace's writer lock, so that two of them never race for the same CURRENT.
type Registry struct {
	Dir string           // the workspace directory; models live under Dir/models
	Now func() time.Time // the clock for Card.CreatedAt; nil means time.Now
}

// OpenRegistry returns the registry of the workspace at dir. It touches nothing on disk until the
// first Register.
func OpenRegistry(dir string) *Registry { return &Registry{Dir: dir} }

func (r *Registry) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Registry) root() string { return filepath.Join(r.Dir, "models") }

// Path is the model file of a version (which may not exist).
func (r *Registry) Path(name, version string) string {
	return filepath.Join(r.root(), name, version, ModelFile)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("model name %q: want letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64", name)
	}
	return nil
}

// versionNumber reads "v12" as 12; ok false for anything else.
func versionNumber(v string) (int, bool) {
	if len(v) < 2 || v[0] != 'v' || (v[1] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(v[1:])
	return n, err == nil && n > 0
}

// versions lists a name's versions, oldest first.
func (r *Registry) versions(name string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(r.root(), name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list versions of %s: %w", name, err)
	}
	var vs []string
	for _, e := range ents {
		if _, ok := versionNumber(e.Name()); ok && e.IsDir() {
			vs = append(vs, e.Name())
		}
	}
	sort.Slice(vs, func(i, j int) bool {
		a, _ := versionNumber(vs[i])
		b, _ := versionNumber(vs[j])
		return a < b
	})
	return vs, nil
}

// Register checks model against the contract, then stores it with card as the next version of
// name and returns that version. The card's Name, Version and CreatedAt (when zero) are set here;
// Kind, Features and FeatureVersion are taken from the model when empty and must match it when
// not; Promoted and Forced start false. Register does not make the version current: Promote does.
func (r *Registry) Register(name string, model []byte, card Card) (version string, err error) {
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	m, err := Parse(model)
	if err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	if err := fillCard(&card, m); err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	card.Name = name
	card.Promoted, card.Forced = false, false
	if card.CreatedAt.IsZero() {
		card.CreatedAt = r.now().UTC()
	}
	if err := card.validate(); err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	nameDir := filepath.Join(r.root(), name)
	if err := os.MkdirAll(nameDir, 0o755); err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	// The version is assembled in a hidden directory and renamed into place whole.
	tmp, err := os.MkdirTemp(nameDir, ".register-")
	if err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	if err := writeAtomic(filepath.Join(tmp, ModelFile), model); err != nil {
		return "", fmt.Errorf("register %s: %w", name, err)
	}
	for range 100 {
		vs, err := r.versions(name)
		if err != nil {
			return "", fmt.Errorf("register %s: %w", name, err)
		}
		next := 1
		if len(vs) > 0 {
			last, _ := versionNumber(vs[len(vs)-1])
			next = last + 1
		}
		card.Version = "v" + strconv.Itoa(next)
		if err := writeCard(filepath.Join(tmp, CardFile), card); err != nil {
			return "", fmt.Errorf("register %s: %w", name, err)
		}
		err = os.Rename(tmp, filepath.Join(nameDir, card.Version))
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			continue // another writer took this version; take the next
		}
		if err != nil {
			return "", fmt.Errorf("register %s %s: %w", name, card.Version, err)
		}
		if err := syncDir(nameDir); err != nil {
			return "", fmt.Errorf("register %s %s: %w", name, card.Version, err)
		}
		return card.Version, nil
	}
	return "", fmt.Errorf("register %s: no free version after 100 tries", name)
}

// fillCard takes the contract's facts from the model and refuses a card that says otherwise.
func fillCard(c *Card, m *Model) error {
	if c.Kind == "" {
		c.Kind = m.Kind
	} else if c.Kind != m.Kind {
		return fmt.Errorf("card kind %q: the model's %s is %q", c.Kind, MetaKind, m.Kind)
	}
	if c.FeatureVersion == "" {
		c.FeatureVersion = m.FeatureVersion
	} else if c.FeatureVersion != m.FeatureVersion {
		return fmt.Errorf("card feature_version %q: the model's %s is %q", c.FeatureVersion, MetaFeatureVersion, m.FeatureVersion)
	}
	if c.Features == nil {
		c.Features = slices.Clone(m.Features)
	} else if err := m.CheckFeatures(c.Features, ""); err != nil {
		return fmt.Errorf("card features: %w", err)
	}
	if m.Imported() {
		c.Imported = true
	}
	return nil
}

func writeCard(path string, c Card) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeAtomic(path, append(b, '\n'))
}

func (r *Registry) readCard(name, version string) (Card, error) {
	path := filepath.Join(r.root(), name, version, CardFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Card{}, fmt.Errorf("%w: %s %s (no %s)", ErrNotFound, name, version, path)
		}
		return Card{}, err
	}
	var c Card
	if err := json.Unmarshal(b, &c); err != nil {
		return Card{}, fmt.Errorf("read %s: %w", path, err)
	}
	if c.Name != name || c.Version != version {
		return Card{}, fmt.Errorf("read %s: the card is for %s %s", path, c.Name, c.Version)
	}
	return c, nil
}

// List returns the card of every version of every model, sorted by name then version.
func (r *Registry) List() ([]Card, error) {
	ents, err := os.ReadDir(r.root())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list models: %w", err)
	}
	var cards []Card
	for _, e := range ents {
		if !e.IsDir() || checkName(e.Name()) != nil {
			continue
		}
		vs, err := r.versions(e.Name())
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			c, err := r.readCard(e.Name(), v)
			if err != nil {
				return nil, fmt.Errorf("list models: %w", err)
			}
			cards = append(cards, c)
		}
	}
	return cards, nil
}

// Current returns the current version of name; ErrNoCurrent when none was promoted yet.
func (r *Registry) Current(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	path := filepath.Join(r.root(), name, CurrentFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w: model %s (no %s)", ErrNoCurrent, name, path)
		}
		return "", fmt.Errorf("current version of %s: %w", name, err)
	}
	v := strings.TrimSpace(string(b))
	if _, ok := versionNumber(v); !ok {
		return "", fmt.Errorf("%s: %q is not a version (want v1, v2, ...)", path, v)
	}
	return v, nil
}

// resolve turns "" and "current" into the current version.
func (r *Registry) resolve(name, version string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if version == "" || version == "current" {
		return r.Current(name)
	}
	if _, ok := versionNumber(version); !ok {
		return "", fmt.Errorf("version %q: want v1, v2, ... or current", version)
	}
	return version, nil
}

// Get loads a version of name ("" or "current" for the current one), checked against the contract,
// with its card.
func (r *Registry) Get(name, version string) (*Model, Card, error) {
	v, err := r.resolve(name, version)
	if err != nil {
		return nil, Card{}, fmt.Errorf("get model %s: %w", name, err)
	}
	c, err := r.readCard(name, v)
	if err != nil {
		return nil, Card{}, fmt.Errorf("get model: %w", err)
	}
	m, err := Load(r.Path(name, v))
	if err != nil {
		return nil, Card{}, fmt.Errorf("get model %s %s: %w", name, v, err)
	}
	return m, c, nil
}
