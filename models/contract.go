package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/riskmap/riskmap/models/onnxpb"
)

// The model contract: names, metadata keys and versions every model riskmap runs must keep.
const (
	KindRisk    = "risk"    // probability of a high or critical finding at the next deep scan, in [0, 1]
	KindAnomaly = "anomaly" // in [0, 1], higher is stranger

	InputName  = "features" // float32 [N, F]
	OutputName = "score"    // float32 [N, 1] or [N]

	MetaKind           = "riskmap.kind"
	MetaFeatures       = "riskmap.features" // JSON list of the ordered feature names
	MetaFeatureVersion = "riskmap.feature_version"
	// MetaImported marks a model made outside riskmap and stamped by Stamp; its explanations
	// use perturbation, since its tree attributes (if any) carry no training cover.
	MetaImported = "riskmap.imported"

	IRVersion = 8
	OpsetONNX = 17
	OpsetML   = 3

	DomainONNX = "ai.onnx" // also written as ""
	DomainML   = "ai.onnx.ml"
)

// ErrCorrupt is wrapped by errors for bytes that are not an ONNX model at all.
var ErrCorrupt = errors.New("corrupt onnx model")

// ErrContract is matched (errors.Is) by every *ContractError.
var ErrContract = errors.New("model contract violated")

// ContractError says which part of a model breaks the contract: Field names it
// ("input[0].name", "input[0].shape[1]", "output", "metadata riskmap.features", "opset", ...),
// Want is what the contract asks for and Got what the model has. Detail, when set, explains.
type ContractError struct {
	Field  string
	Want   string
	Got    string
	Detail string
}

func (e *ContractError) Error() string {
	s := fmt.Sprintf("model contract: %s: want %s, got %s", e.Field, e.Want, e.Got)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrContract) true for every contract error.
func (e *ContractError) Is(target error) bool { return target == ErrContract }

// Model is a parsed model that keeps the contract. Proto and Bytes are the same model, decoded
// and as read; neither is modified by this package after Parse returns.
type Model struct {
	Kind           string
	Features       []string
	FeatureVersion string
	Meta           map[string]string // every metadata_props entry, the riskmap.* ones included
	Proto          *onnxpb.ModelProto
	Bytes          []byte
}

// Imported reports whether the model was made outside riskmap and stamped by Stamp.
func (m *Model) Imported() bool { return m.Meta[MetaImported] == "true" }

// Load reads and parses the model at path.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Parse decodes b and checks it against the contract. A mismatch is a *ContractError; bytes that
// do not decode are ErrCorrupt wrapped with the reason. Parse keeps b (Model.Bytes) without copying.
func Parse(b []byte) (*Model, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrCorrupt)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if mp.IrVersion == nil && mp.Graph == nil {
		// Protobuf decodes many non-ONNX byte strings into an empty message.
		return nil, fmt.Errorf("%w: no ir_version and no graph", ErrCorrupt)
	}
	m, err := check(&mp)
	if err != nil {
		return nil, err
	}
	m.Bytes = b
	return m, nil
}

// check applies the contract to a decoded model.
func check(mp *onnxpb.ModelProto) (*Model, error) {
	if mp.GetIrVersion() != IRVersion {
		return nil, &ContractError{Field: "ir_version", Want: fmt.Sprint(IRVersion), Got: fmt.Sprint(mp.GetIrVersion())}
	}
	if err := checkOpsets(mp); err != nil {
		return nil, err
	}
	meta, err := metadata(mp)
	if err != nil {
		return nil, err
	}
	m := &Model{Meta: meta, Proto: mp}
	if err := m.readContractMeta(); err != nil {
		return nil, err
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, &ContractError{Field: "graph", Want: "a graph", Got: "none"}
	}
	if err := checkInput(g, len(m.Features)); err != nil {
		return nil, err
	}
	if err := checkOutput(g); err != nil {
		return nil, err
	}
	if err := checkWiring(g); err != nil {
		return nil, err
	}
	if err := checkSelfContained(mp); err != nil {
		return nil, err
	}
	return m, nil
}

func checkOpsets(mp *onnxpb.ModelProto) error {
	want := fmt.Sprintf("%s %d (and optionally %s %d), nothing else", DomainONNX, OpsetONNX, DomainML, OpsetML)
	var got []string
	onnxSeen, bad := false, false
	seen := map[string]bool{}
	for _, op := range mp.GetOpsetImport() {
		d := op.GetDomain()
		if d == "" {
			d = DomainONNX
		}
		got = append(got, fmt.Sprintf("%s %d", d, op.GetVersion()))
		if seen[d] {
			bad = true
		}
		seen[d] = true
		switch d {
		case DomainONNX:
			onnxSeen = true
			bad = bad || op.GetVersion() != OpsetONNX
		case DomainML:
			bad = bad || op.GetVersion() != OpsetML
		default:
			bad = true
		}
	}
	if bad || !onnxSeen {
		g := strings.Join(got, ", ")
		if g == "" {
			g = "none"
		}
		return &ContractError{Field: "opset", Want: want, Got: g}
	}
	for i, n := range mp.GetGraph().GetNode() {
		d := n.GetDomain()
		if d == "" {
			d = DomainONNX
		}
		if !seen[d] {
			return &ContractError{Field: fmt.Sprintf("graph.node[%d].domain", i), Want: "an imported opset domain", Got: fmt.Sprintf("%q (op %s)", n.GetDomain(), n.GetOpType())}
		}
	}
	return nil
}

func metadata(mp *onnxpb.ModelProto) (map[string]string, error) {
	meta := make(map[string]string, len(mp.GetMetadataProps()))
	for _, kv := range mp.GetMetadataProps() {
		if _, dup := meta[kv.GetKey()]; dup {
			// The onnx checker refuses duplicate keys, and which one wins would be a guess.
			return nil, &ContractError{Field: "metadata " + kv.GetKey(), Want: "one entry", Got: "several"}
		}
		meta[kv.GetKey()] = kv.GetValue()
	}
	return meta, nil
}

// readContractMeta fills Kind, Features and FeatureVersion from Meta.
func (m *Model) readContractMeta() error {
	kind, ok := m.Meta[MetaKind]
	if !ok {
		return &ContractError{Field: "metadata " + MetaKind, Want: KindRisk + " or " + KindAnomaly, Got: "missing"}
	}
	if kind != KindRisk && kind != KindAnomaly {
		return &ContractError{Field: "metadata " + MetaKind, Want: KindRisk + " or " + KindAnomaly, Got: fmt.Sprintf("%q", kind)}
	}
	m.Kind = kind
	raw, ok := m.Meta[MetaFeatures]
	if !ok {
		return &ContractError{Field: "metadata " + MetaFeatures, Want: "a JSON list of feature names", Got: "missing"}
	}
	feats, err := parseFeatureList(raw)
	if err != nil {
		return &ContractError{Field: "metadata " + MetaFeatures, Want: "a JSON list of distinct non-empty feature names", Got: err.Error()}
	}
	m.Features = feats
	v, ok := m.Meta[MetaFeatureVersion]
	if !ok || strings.TrimSpace(v) == "" {
		got := "missing"
		if ok {
			got = "empty"
		}
		return &ContractError{Field: "metadata " + MetaFeatureVersion, Want: "a feature version", Got: got}
	}
	m.FeatureVersion = v
	return nil
}

func parseFeatureList(raw string) ([]string, error) {
	var feats []string
	if err := json.Unmarshal([]byte(raw), &feats); err != nil {
		return nil, fmt.Errorf("%q: %v", truncate(raw, 80), err)
	}
	if len(feats) == 0 {
		return nil, errors.New("an empty list")
	}
	seen := make(map[string]int, len(feats))
	for i, f := range feats {
		if strings.TrimSpace(f) == "" {
			return nil, fmt.Errorf("an empty name at [%d]", i)
		}
		if j, dup := seen[f]; dup {
			return nil, fmt.Errorf("%q twice, at [%d] and [%d]", f, j, i)
		}
		seen[f] = i
	}
	return feats, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// CheckFeatures refuses a model whose features are not exactly names, in the same order, or whose
// feature version differs from version (an empty version is not checked). The error names the first
// mismatch: its index, the caller's name (Want) and the model's (Got).
func (m *Model) CheckFeatures(names []string, version string) error {
	if version != "" && version != m.FeatureVersion {
		return &ContractError{Field: "metadata " + MetaFeatureVersion, Want: fmt.Sprintf("%q", version), Got: fmt.Sprintf("%q", m.FeatureVersion)}
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	wanted := make(map[string]bool, len(m.Features))
	for _, f := range m.Features {
		wanted[f] = true
	}
	n := max(len(names), len(m.Features))
	for i := range n {
		var want, got string
		if i < len(names) {
			want = names[i]
		}
		if i < len(m.Features) {
			got = m.Features[i]
		}
		if want == got {
			continue
		}
		field := fmt.Sprintf("metadata %s[%d]", MetaFeatures, i)
		switch {
		case got == "":
			return &ContractError{Field: field, Want: fmt.Sprintf("%q", want), Got: "nothing", Detail: fmt.Sprintf("the model has %d features, the caller %d", len(m.Features), len(names))}
		case want == "":
			return &ContractError{Field: field, Want: "nothing", Got: fmt.Sprintf("%q", got), Detail: fmt.Sprintf("the model has %d features, the caller %d", len(m.Features), len(names))}
		case !have[got]:
			return &ContractError{Field: field, Want: fmt.Sprintf("%q", want), Got: fmt.Sprintf("%q", got), Detail: fmt.Sprintf("feature %q is missing from the caller's features", got)}
		case !wanted[want]:
			return &ContractError{Field: field, Want: fmt.Sprintf("%q", want), Got: fmt.Sprintf("%q", got), Detail: fmt.Sprintf("the model lacks feature %q", want)}
		default:
			return &ContractError{Field: field, Want: fmt.Sprintf("%q", want), Got: fmt.Sprintf("%q", got), Detail: "the features are in another order"}
		}
	}
	return nil
}
