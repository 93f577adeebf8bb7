package findings_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// exportFixture is findings of every kind the exports must carry: confirmed, downgraded,
// reachable, host-level, IPv6, without an asset, and the same finding from two scans.
func exportFixture(t *testing.T) findings.Export {
	t.Helper()
	aws := &riskmap.Asset{ID: "i-0abc", Provider: "aws", Account: "111122223333", Network: "vpc-1", Subnet: "subnet-1",
		SecurityGroups: []string{"sg-0web"}, PrivateIPs: []string{"10.0.0.5"}, PublicIPs: []string{"203.0.113.5"},
		Tags:    []riskmap.Tag{{Key: "Name", Value: "cache-1"}, {Key: "env", Value: "prod"}},
		Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 6379, ToPort: 6379, Source: "0.0.0.0/0"}, {Proto: "tcp", FromPort: 10250, ToPort: 10250, Source: "0.0.0.0/0"}}}
	az := &riskmap.Asset{ID: "/subscriptions/s/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1", Provider: "azure",
		SecurityGroups: []string{"/subscriptions/s/resourceGroups/rg-1/providers/Microsoft.Network/networkSecurityGroups/nsg-web"},
		Exposed:        []riskmap.Exposure{{Proto: "tcp", FromPort: 2375, ToPort: 2375, Source: "Internet"}}}
	gcp := &riskmap.Asset{ID: "projects/p/zones/z/instances/vm-2", Provider: "gcp", SecurityGroups: []string{"allow-etcd"},
		Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 2379, ToPort: 2379, Source: "0.0.0.0/0"}}}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	scans := map[string]time.Time{"s1": t0, "s2": t0.Add(24 * time.Hour)}
	rules, err := findings.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	return findings.Export{
		Rules: rules, Version: "test", ScanTime: func(id string) time.Time { return scans[id] },
		Assets: map[string]*riskmap.Asset{aws.ID: aws, az.ID: az, gcp.ID: gcp},
		Findings: []riskmap.Finding{
			{ScanID: "s1", AssetID: aws.ID, IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed", Severity: riskmap.SeverityCritical,
				Title: "Redis reachable", Evidence: "6379/tcp open (redis); service redis"},
			{ScanID: "s2", AssetID: aws.ID, IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed", Severity: riskmap.SeverityMedium,
				Title: "Redis reachable", Evidence: "6379/tcp open (redis); service redis; downgraded from critical to medium, script riskmap-redis-auth output matched \"access: auth-required\""},
			{ScanID: "s2", AssetID: aws.ID, IP: "10.0.0.5", Port: 10250, Proto: "tcp", RuleID: "kubelet-anonymous", Severity: riskmap.SeverityCritical,
				Title: "kubelet serves its pods to anonymous requests", Evidence: "script riskmap-kubelet-pods output matched \"access: unauthenticated\""},
			{ScanID: "s2", AssetID: az.ID, IP: "10.1.0.4", Port: 2375, Proto: "tcp", RuleID: "docker-api-exposed", Severity: riskmap.SeverityCritical,
				Title: "Docker Engine API without TLS", Evidence: "port 2375"},
			{ScanID: "s2", AssetID: gcp.ID, IP: "fd00::7", Port: 2379, Proto: "tcp", RuleID: "etcd-exposed", Severity: riskmap.SeverityCritical,
				Title: "etcd reachable", Evidence: "port 2379", CVEs: []string{"CVE-2020-15106"}},
			{ScanID: "s2", IP: "10.9.9.9", RuleID: "smb-v1", Severity: riskmap.SeverityMedium, Title: "SMBv1 enabled", Evidence: "host script smb-protocols"},
			{ScanID: "s2", IP: "10.9.9.9", Port: 8080, Proto: "tcp", RuleID: "custom-rule", Severity: riskmap.SeverityLow, Title: "A rule of the user's", Evidence: "port 8080"},
		},
	}
}

func validate(t *testing.T, schema string, doc []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(schema)
	if err != nil {
		t.Fatalf("compile %s: %v", schema, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("against %s: %v\n%s", schema, err, doc)
	}
}

func TestWriteSARIF(t *testing.T) {
	var b bytes.Buffer
	if err := findings.WriteSARIF(&b, exportFixture(t)); err != nil {
		t.Fatal(err)
	}
	validate(t, "testdata/schema/sarif-2.1.0-subset.json", b.Bytes())
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string
						Properties map[string]any
					}
				}
			}
			Results []struct {
				RuleID              string
				RuleIndex           int
				Level               string
				Message             struct{ Text string }
				PartialFingerprints map[string]string
				Properties          map[string]any
				Locations           []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 6 {
		t.Fatalf("%d results, want 6 (the two scans of one finding are one result)", len(run.Results))
	}
	seen := map[string]bool{}
	uris := map[string]bool{}
	for _, r := range run.Results {
		if got := run.Tool.Driver.Rules[r.RuleIndex].ID; got != r.RuleID {
			t.Errorf("result %s points at rule %d, %s", r.RuleID, r.RuleIndex, got)
		}
		fp := r.PartialFingerprints["riskmapFinding/v1"]
		if len(fp) != 32 || seen[fp] {
			t.Errorf("fingerprint %q: want 32 hex digits, unique", fp)
		}
		seen[fp] = true
		uris[r.Locations[0].PhysicalLocation.ArtifactLocation.URI] = true
		if r.RuleID == "redis-exposed" {
			if r.Level != "warning" || r.Properties["confirmation"] != string(findings.Downgraded) {
				t.Errorf("redis: level %s, confirmation %v; want the later scan's downgraded medium", r.Level, r.Properties["confirmation"])
			}
			if !strings.Contains(r.Message.Text, "aws ec2 revoke-security-group-ingress --group-id sg-0web --protocol tcp --port 6379 --cidr 0.0.0.0/0") ||
				!strings.Contains(r.Message.Text, "(cache-1)") {
				t.Errorf("redis message lacks the action or the asset's name: %s", r.Message.Text)
			}
		}
		if r.RuleID == "kubelet-anonymous" && r.Properties["confirmation"] != string(findings.Confirmed) {
			t.Errorf("kubelet-anonymous: confirmation %v, want confirmed", r.Properties["confirmation"])
		}
	}
	for _, u := range []string{"tcp://10.0.0.5:6379", "tcp://[fd00::7]:2379", "//10.9.9.9"} {
		if !uris[u] {
			t.Errorf("no result located at %s (have %v)", u, uris)
		}
	}
}

func TestWriteDefectDojo(t *testing.T) {
	var b bytes.Buffer
	if err := findings.WriteDefectDojo(&b, exportFixture(t)); err != nil {
		t.Fatal(err)
	}
	validate(t, "testdata/schema/defectdojo-generic.json", b.Bytes())
	var doc struct {
		Findings []struct {
			Title, Severity, Date, Mitigation, Description string
			Verified                                       bool
			VulnID                                         string `json:"vuln_id_from_tool"`
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 6 {
		t.Fatalf("%d findings, want 6", len(doc.Findings))
	}
	by := map[string]int{}
	for i, f := range doc.Findings {
		by[f.VulnID] = i
	}
	for _, c := range []struct {
		rule, severity, date, mitigation string
		verified                         bool
	}{
		{"redis-exposed", "Medium", "2026-03-02", "aws ec2 revoke-security-group-ingress", false},
		{"kubelet-anonymous", "Critical", "2026-03-02", "--port 10250", true},
		{"docker-api-exposed", "Critical", "2026-03-02", "az network nsg rule list --resource-group rg-1 --nsg-name nsg-web", false},
		{"etcd-exposed", "Critical", "2026-03-02", "gcloud compute firewall-rules update allow-etcd --source-ranges=", false},
		{"smb-v1", "Medium", "2026-03-02", "fix the host's configuration", true},
	} {
		i, ok := by[c.rule]
		if !ok {
			t.Errorf("no %s finding", c.rule)
			continue
		}
		f := doc.Findings[i]
		if f.Severity != c.severity || f.Date != c.date || f.Verified != c.verified || !strings.Contains(f.Mitigation, c.mitigation) {
			t.Errorf("%s: severity %s date %s verified %v mitigation %q; want %s %s %v and %q", c.rule, f.Severity, f.Date, f.Verified, f.Mitigation,
				c.severity, c.date, c.verified, c.mitigation)
		}
	}
}

// TestSchemasRefuse makes sure the schemas the exports are checked against can fail: a key
// DefectDojo's parser does not allow, and a SARIF level the standard does not know.
func TestSchemasRefuse(t *testing.T) {
	for _, c := range []struct{ schema, doc string }{
		{"testdata/schema/defectdojo-generic.json", `{"findings":[{"title":"t","severity":"High","description":"d","host":"10.0.0.1"}]}`},
		{"testdata/schema/defectdojo-generic.json", `{"findings":[{"title":"t","severity":"high","description":"d"}]}`},
		{"testdata/schema/sarif-2.1.0-subset.json", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"critical"}]}]}`},
		{"testdata/schema/sarif-2.1.0-subset.json", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{}}]}]}]}`},
	} {
		c2 := jsonschema.NewCompiler()
		sch, err := c2.Compile(c.schema)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err == nil {
			t.Errorf("%s accepted %s", c.schema, c.doc)
		}
	}
}

func TestBecause(t *testing.T) {
	e := exportFixture(t)
	for _, c := range []struct {
		i    int
		want string
	}{
		{0, "Redis reachable on 10.0.0.5:6379/tcp on i-0abc (cache-1). The service answered; no check has proved"},
		{1, "A check proved it asks for credentials, so its severity was lowered. Evidence: 6379/tcp open"},
		{2, "A check confirmed it."},
		{5, "SMBv1 enabled on 10.9.9.9. A host script found it."},
	} {
		f := e.Findings[c.i]
		for _, r := range []*findings.Rules{e.Rules, nil} {
			if got := r.Because(f, e.Assets[f.AssetID]); !strings.Contains(got, c.want) {
				t.Errorf("Because(%s, rules=%v) = %q, want it to hold %q", f.RuleID, r != nil, got, c.want)
			}
		}
	}
}

func TestSupersedes(t *testing.T) {
	checked := riskmap.Finding{Severity: riskmap.SeverityMedium, Evidence: "service redis; downgraded from critical to medium, script riskmap-redis-auth output matched \"access: auth-required\""}
	plain := riskmap.Finding{Severity: riskmap.SeverityCritical, Evidence: "service redis"}
	for _, c := range []struct {
		name       string
		f, g       riskmap.Finding
		ran, wants bool
	}{
		{"a scan with checks replaces anything", plain, checked, true, true},
		{"a scan without checks keeps a check's verdict", plain, checked, false, false},
		{"a scan without checks replaces a plain verdict", plain, plain, false, true},
		{"a check's verdict replaces one", checked, plain, false, true},
	} {
		if got := findings.Supersedes(c.f, c.g, c.ran); got != c.wants {
			t.Errorf("%s: Supersedes = %v", c.name, got)
		}
	}
	e := exportFixture(t)
	e.Findings = append(e.Findings, riskmap.Finding{ScanID: "s3", AssetID: "i-0abc", IP: "10.0.0.5", Port: 6379, Proto: "tcp", RuleID: "redis-exposed",
		Severity: riskmap.SeverityCritical, Title: "Redis reachable", Evidence: "6379/tcp open (redis); service redis"})
	scan := e.ScanTime
	e.ScanTime = func(id string) time.Time {
		if id == "s3" {
			return scan("s2").Add(time.Hour)
		}
		return scan(id)
	}
	e.ChecksRan = func(id string) bool { return id != "s3" }
	slices.Reverse(e.Findings) // the verdict does not depend on the order findings come in
	var b bytes.Buffer
	if err := findings.WriteDefectDojo(&b, e); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Severity string
			Last     string `json:"date"`
			Rule     string `json:"vuln_id_from_tool"`
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Rule == "redis-exposed" && f.Severity != "Medium" {
			t.Errorf("a light scan overturned the downgrade: redis-exposed is %s", f.Severity)
		}
	}
}
