package inventory

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
)

// Importer accumulates inventory files and resolves them into assets. The zero value is ready
// to use once SnapshotTime is set. It is not safe for concurrent use.
type Importer struct {
	// Provider, when set, is the only provider whose files Add accepts: aws, azure, gcp, or
	// csv / jsonl to read a file as that table format whatever its name. Empty means detect
	// every file's shape.
	Provider string
	// SnapshotTime is stamped on every asset; Assets fails while it is zero.
	SnapshotTime time.Time

	st *state
}

// FileSummary is what one input contributed.
type FileSummary struct {
	File     string
	Provider string // aws, azure, gcp, csv or jsonl
	Shape    string // e.g. "aws describe-instances v2", "az network nsg list"
	Assets   int    // instances, VMs or rows described
	Rules    int    // ingress rule entries: one per rule (or permission) and source
	Warnings []string
}

// state is what the files added so far described, per provider.
type state struct {
	seq   int
	aws   awsState
	azure azureState
	gcp   gcpState
	table []built // CSV and JSONL rows, already assets
}

func (im *Importer) state() *state {
	if im.st == nil {
		im.st = &state{}
	}
	return im.st
}

// Add reads one file's bytes, detects its shape and accumulates what it describes. name is
// used in errors and warnings, and its extension (.csv, .jsonl, .ndjson) picks the table
// readers. Errors are *ParseError values naming the file, the JSON path or CSV line and
// column, and what was expected; on error nothing from the file is kept.
func (im *Importer) Add(name string, data []byte) (FileSummary, error) {
	if im.Provider != "" && !KnownProvider(im.Provider) {
		return FileSummary{File: name}, &ParseError{File: name, Err: fmt.Errorf(
			"%w: Importer.Provider is %q; expected %s or empty to detect", ErrProvider, im.Provider, strings.Join(Providers, ", "))}
	}
	st := im.state()
	st.seq++
	doc := &jsonDoc{file: name, data: trimBOM(data)}
	sh, err := detect(doc, im.Provider)
	if err != nil {
		return FileSummary{File: name}, err
	}
	if im.Provider != "" && sh.provider != im.Provider && sh.kind != shapeEmpty {
		return FileSummary{File: name}, &ParseError{File: name, Err: fmt.Errorf(
			"%w: the file is %s output, but the importer reads %s", ErrProvider, sh.name, im.Provider)}
	}
	sum := FileSummary{File: name, Provider: sh.provider, Shape: sh.name}
	switch sh.kind {
	case shapeEmpty:
		sum.Warnings = append(sum.Warnings, name+": the file holds an empty list; nothing was added")
	case shapeAWSInstances:
		err = st.aws.addInstances(doc, st.seq, &sum)
	case shapeAWSGroups:
		err = st.aws.addGroups(doc, &sum)
	case shapeAzureVMs:
		err = st.azure.addVMs(doc, st.seq, &sum)
	case shapeAzureNSGs:
		err = st.azure.addNSGs(doc, &sum)
	case shapeAzureNICs:
		err = st.azure.addNICs(doc, &sum)
	case shapeGCPInstances:
		err = st.gcp.addInstances(doc, sh.layout, st.seq, &sum)
	case shapeGCPFirewalls:
		err = st.gcp.addFirewalls(doc, sh.layout, &sum)
	case shapeGCPEffective:
		err = st.gcp.addEffective(doc, &sum)
	case shapeCSV:
		var rows []built
		rows, err = readCSV(doc, st.seq, &sum)
		st.table = append(st.table, rows...)
	case shapeJSONL:
		var rows []built
		rows, err = readJSONL(doc, st.seq, &sum)
		st.table = append(st.table, rows...)
	}
	if err != nil {
		return FileSummary{File: name, Provider: sh.provider, Shape: sh.name}, err
	}
	return sum, nil
}

// Assets resolves every instance's exposure from the rules added so far (files may come in
// any order) and returns the assets sorted by ID, plus warnings: an instance referring to a
// security group, NSG or NIC that no file described, an asset described by two files (the
// later Add wins), a list of internet-exposed ports that was cut. It can be called again
// after more files are added.
func (im *Importer) Assets() ([]riskmap.Asset, []string, error) {
	if im.SnapshotTime.IsZero() {
		return nil, nil, fmt.Errorf("inventory assets: %w", ErrNoSnapshotTime)
	}
	st := im.state()
	var all []built
	var warns []string
	for _, resolve := range []func() ([]built, []string){st.aws.resolve, st.azure.resolve, st.gcp.resolve} {
		b, w := resolve()
		all = append(all, b...)
		warns = append(warns, w...)
	}
	for _, b := range st.table {
		b.asset = cloneAsset(b.asset)
		all = append(all, b)
	}

	sort.SliceStable(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	byID := map[string]int{}
	var out []riskmap.Asset
	var from []string
	for _, b := range all {
		if i, dup := byID[b.asset.ID]; dup {
			warns = append(warns, fmt.Sprintf("asset %s is described by %s and by %s; keeping the one from %s",
				b.asset.ID, from[i], b.file, b.file))
			out[i], from[i] = b.asset, b.file
			continue
		}
		byID[b.asset.ID] = len(out)
		out = append(out, b.asset)
		from = append(from, b.file)
	}
	for i := range out {
		a := &out[i]
		a.SnapshotTime = im.SnapshotTime.UTC()
		if a.Kind == "" {
			a.Kind = riskmap.KindVM
		}
		sortExposures(a.Exposed)
		var cut bool
		a.InternetExposedPorts, cut = internetPorts(a.Exposed)
		if cut {
			warns = append(warns, fmt.Sprintf("asset %s: more than %d internet-exposed ports; InternetExposedPorts keeps the lowest %d",
				a.ID, maxExpanded, maxExpanded))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, warns, nil
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}
