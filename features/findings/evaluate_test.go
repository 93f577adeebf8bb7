package findings_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/features/findings"
	"github.com/riskmap/riskmap/features/intel"
)

var update = flag.Bool("update", false, "rewrite golden files")

// evalCase is one host of one scan as a test fixture, with the EPSS scores to join.
type evalCase struct {
	Asset        *riskmap.Asset
	Host         *riskmap.Host
	Observations []riskmap.Observation
	EPSS         map[string]float64
}

func loadCase(t *testing.T, path string) evalCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c evalCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func loadKEV(t *testing.T) *intel.KEV {
	t.Helper()
	f, err := os.Open("testdata/kev.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := intel.ReadKEV("kev.json", f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func defaults(t *testing.T) *findings.Rules {
	t.Helper()
	r, err := findings.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func lookup(m map[string]float64) func(string) (float64, bool) {
	return func(cve string) (float64, bool) {
		v, ok := m[cve]
		return v, ok
	}
}

func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test -update and review the diff. Got:\n%s", path, got)
	}
}

// summary is a compact view of findings for assertions: "port rule severity".
func summary(fs []riskmap.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, strings.Join([]string{itoa(f.Port), f.RuleID, f.Severity.String()}, " "))
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestEvaluateCases(t *testing.T) {
	rules := defaults(t)
	kev := loadKEV(t)
	tests := []struct {
		file string
		want []string
	}{
		{"redis_internal.json", []string{"6379 redis-exposed medium", "6379 redis-unauthenticated high"}},
		{"redis_internet.json", []string{"6379 redis-exposed critical", "6379 redis-unauthenticated critical"}},
		{"apache_kev_tls.json", []string{
			"25 epss-high medium", "25 kev-version high",
			"80 epss-high high", "80 kev-version critical",
			"443 epss-high high", "443 kev-version critical", "443 tls-1.0 low", "443 tls-weak-ciphers medium"}},
		{"control_planes.json", []string{"2375 docker-api-exposed high", "2379 etcd-exposed high", "5601 kibana-exposed medium",
			"6443 kubernetes-api-exposed high", "8080 jenkins-exposed high", "10250 kubelet-exposed high",
			"15672 rabbitmq-management-exposed medium"}},
		{"windows_host.json", []string{"0 smb-v1 medium", "23 telnet-exposed critical", "445 smb-internet critical",
			"1433 mssql-exposed low", "3389 rdp-internet high", "5900 vnc-internet high", "5900 vnc-no-auth critical"}},
		{"no_asset.json", []string{"21 ftp-anonymous high", "21 ftp-cleartext low", "22 ssh-v1 high", "443 tls-sslv2 high",
			"27017 mongodb-exposed medium", "27017 mongodb-unauthenticated high"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c := loadCase(t, filepath.Join("testdata", "cases", tc.file))
			in := findings.Input{Asset: c.Asset, Observations: c.Observations, Host: c.Host}
			got := rules.Evaluate(in, kev, lookup(c.EPSS))
			if s := summary(got); !reflect.DeepEqual(s, tc.want) {
				t.Errorf("findings:\n  got  %q\n  want %q", s, tc.want)
			}
			for _, f := range got {
				if f.Evidence == "" || f.Title == "" || f.ScanID == "" {
					t.Errorf("finding %+v lacks evidence, title or scan", f)
				}
			}
			golden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(tc.file, ".json")+".golden.json"), got)

			// Deterministic: the order of observations does not matter.
			shuffled := append([]riskmap.Observation(nil), c.Observations...)
			rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			in.Observations = shuffled
			if again := rules.Evaluate(in, kev, lookup(c.EPSS)); !reflect.DeepEqual(again, got) {
				t.Error("findings depend on the order of observations")
			}
		})
	}
}

func TestEvaluateEvidence(t *testing.T) {
	c := loadCase(t, "testdata/cases/apache_kev_tls.json")
	got := defaults(t).Evaluate(findings.Input{Asset: c.Asset, Observations: c.Observations}, loadKEV(t), lookup(c.EPSS))
	byKey := map[string]riskmap.Finding{}
	for _, f := range got {
		byKey[itoa(f.Port)+" "+f.RuleID] = f
	}
	tests := []struct {
		key  string
		want []string
		cves []string
	}{
		{"80 kev-version", []string{"80/tcp open (http Apache httpd 2.4.49 ((Unix)))", "CVE-2021-41773 (vendor+product+version",
			"internet-exposed by security rule tcp 80 from 0.0.0.0/0"}, []string{"CVE-2021-41773", "CVE-2021-42013"}},
		{"443 kev-version", []string{"ssl/http Apache httpd 2.4.50", "CVE-2021-42013 (vendor+product+version"}, []string{"CVE-2021-42013"}},
		{"25 epss-high", []string{"EPSS at least 0.5: CVE-2019-10149 0.943", "not internet-exposed"}, []string{"CVE-2019-10149"}},
		{"443 tls-weak-ciphers", []string{`script ssl-enum-ciphers output matched "TLS_RSA_WITH_3DES_EDE_CBC_SHA (rsa 2048) - C"`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			f, ok := byKey[tc.key]
			if !ok {
				t.Fatalf("no finding %s in %q", tc.key, summary(got))
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Evidence, w) {
					t.Errorf("evidence %q lacks %q", f.Evidence, w)
				}
			}
			if !reflect.DeepEqual(f.CVEs, tc.cves) {
				t.Errorf("cves %v, want %v", f.CVEs, tc.cves)
			}
		})
	}
}

// Without intel the KEV and EPSS rules stay silent instead of guessing.
func TestEvaluateWithoutIntel(t *testing.T) {
	c := loadCase(t, "testdata/cases/apache_kev_tls.json")
	got := defaults(t).Evaluate(findings.Input{Asset: c.Asset, Observations: c.Observations}, nil, nil)
	want := []string{"443 tls-1.0 low", "443 tls-weak-ciphers medium"}
	if s := summary(got); !reflect.DeepEqual(s, want) {
		t.Errorf("got %q, want %q", s, want)
	}
}

func TestEvaluateInternetCondition(t *testing.T) {
	rules, err := findings.LoadRules("t.yaml", strings.NewReader(`
rules:
  - id: ssh-internal
    severity: info
    title: SSH inside only
    match: {services: [ssh], internet: false}
  - id: ssh-internet
    severity: medium
    title: SSH from the internet
    match: {services: [ssh], internet: true}
  - id: ssh-anywhere
    severity: low
    internet_severity: high
    title: SSH
    match: {ports: [22], proto: tcp}
`))
	if err != nil {
		t.Fatal(err)
	}
	obs := []riskmap.Observation{{ScanID: "s", IP: "10.0.0.1", Port: 22, Proto: "tcp", State: "open", Service: "ssh"}}
	tests := []struct {
		name  string
		asset *riskmap.Asset
		want  []string
	}{
		{"no asset", nil, []string{"22 ssh-anywhere low"}},
		{"internal", &riskmap.Asset{ID: "a", Exposed: []riskmap.Exposure{{Proto: "tcp", FromPort: 22, ToPort: 22, Source: "10.0.0.0/8"}}},
			[]string{"22 ssh-anywhere low", "22 ssh-internal info"}},
		{"internet by rule", &riskmap.Asset{ID: "a", Exposed: []riskmap.Exposure{{Proto: "all", FromPort: 0, ToPort: 65535, Source: "::/0"}}},
			[]string{"22 ssh-anywhere high", "22 ssh-internet medium"}},
		{"internet by port list", &riskmap.Asset{ID: "a", InternetExposedPorts: []int{22}},
			[]string{"22 ssh-anywhere high", "22 ssh-internet medium"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules.Evaluate(findings.Input{Asset: tc.asset, Observations: obs}, nil, nil)
			if s := summary(got); !reflect.DeepEqual(s, tc.want) {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestEvaluateVersionConstraint(t *testing.T) {
	rules, err := findings.LoadRules("t.yaml", strings.NewReader(`
rules:
  - id: old-openssh
    severity: medium
    title: OpenSSH before 7.4
    match: {products: [OpenSSH], version: "< 7.4"}
`))
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]int{"7.2p2 Ubuntu 4ubuntu2.10": 1, "8.9p1": 0, "": 0, "5.0 - 6.6": 0, "7.3": 1} {
		obs := []riskmap.Observation{{ScanID: "s", IP: "10.0.0.1", Port: 22, Proto: "tcp", State: "open", Service: "ssh", Product: "OpenSSH", Version: v}}
		if got := rules.Evaluate(findings.Input{Observations: obs}, nil, nil); len(got) != want {
			t.Errorf("version %q: %d findings, want %d", v, len(got), want)
		}
	}
}
