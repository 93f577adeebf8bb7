package scanner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/riskmap/riskmap/scanner"
)

func TestReadFeedback(t *testing.T) {
	tests := []struct {
		file string
		want scanner.Feedback
	}{
		{"light.xml", scanner.Feedback{Hosts: 2, Ports: 6}},
		{"standard.xml", scanner.Feedback{Hosts: 1, Ports: 2}},
		{"timeout.xml", scanner.Feedback{Hosts: 1, TimedOut: 1}},
		{"truncated.xml", scanner.Feedback{Hosts: 2, Ports: 4}}, // interrupted: the two completed hosts count
		{"filtered.xml", scanner.Feedback{Hosts: 1, Ports: 100, NoResponse: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/xml/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := scanner.ReadFeedback(data); got != tt.want {
				t.Errorf("ReadFeedback = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := scanner.ReadFeedback([]byte("not xml <<<")); got != (scanner.Feedback{}) {
		t.Errorf("garbage gives %+v, want nothing", got)
	}
}

func TestRateAIMD(t *testing.T) {
	cfg := scanner.RateConfig{Initial: 100, Min: 10, Max: 200, Step: 40, Decrease: 0.5, NoResponseShare: 0.9}
	r, err := scanner.NewRate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clean := scanner.Feedback{Hosts: 4, Ports: 400}
	timeout := scanner.Feedback{Hosts: 4, TimedOut: 1, Ports: 300}
	silent := scanner.Feedback{Hosts: 4, Ports: 400, NoResponse: 390}
	steps := []struct {
		feed    *scanner.Feedback
		rate    int
		because string
	}{
		{nil, 100, "initial rate 100/s"},
		{&clean, 140, "raised from 100 to 140/s"},
		{&clean, 180, "raised from 140 to 180/s"},
		{&clean, 200, "raised from 180 to 200/s"},
		{&clean, 200, "at the maximum 200/s"},
		{&timeout, 100, "lowered from 200 to 100/s: 1 of 4 hosts timed out"},
		{&silent, 50, "lowered from 100 to 50/s: 390 of 400 probed ports got no response"},
		{&timeout, 25, "lowered from 50 to 25/s"},
		{&timeout, 12, "lowered from 25 to 12/s"},
		{&timeout, 10, "lowered from 12 to 10/s"},
		{&timeout, 10, "lowered from 10 to 10/s"},
		{&scanner.Feedback{}, 10, "lowered from 10 to 10/s"}, // an empty batch teaches nothing
		{&clean, 50, "raised from 10 to 50/s"},
	}
	for i, s := range steps {
		if s.feed != nil {
			used, _ := r.Next("vpc-1", 0)
			r.Observe("vpc-1", used, *s.feed)
		}
		rate, why := r.Next("vpc-1", 0)
		if rate != s.rate || !strings.Contains(why, s.because) {
			t.Fatalf("step %d: rate %d (%s), want %d (%s)", i, rate, why, s.rate, s.because)
		}
	}
	if rate, why := r.Next("vpc-1", 30); rate != 30 || !strings.Contains(why, `capped at 30/s by network "vpc-1"`) {
		t.Errorf("capped Next = %d (%s), want 30 and the cap named", rate, why)
	}
	if rate, _ := r.Next("vpc-2", 0); rate != 100 {
		t.Errorf("another network starts at %d, want the initial 100: rates are per network", rate)
	}
	t.Run("a batch that ran slower lowers from its own rate", func(t *testing.T) {
		r, _ := scanner.NewRate(cfg)
		r.Observe("n", 60, timeout)
		if rate, _ := r.Next("n", 0); rate != 30 {
			t.Errorf("rate = %d, want 30 (half of the 60 the batch used)", rate)
		}
	})
	t.Run("no-response signal off at 1", func(t *testing.T) {
		off := cfg
		off.NoResponseShare = 1
		r, _ := scanner.NewRate(off)
		r.Observe("n", 100, scanner.Feedback{Hosts: 1, Ports: 100, NoResponse: 100})
		if rate, _ := r.Next("n", 0); rate != 140 {
			t.Errorf("rate = %d, want 140: a share of 1 turns the signal off", rate)
		}
	})
}

func TestRateConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*scanner.RateConfig)
		err  string
	}{
		{"min", func(c *scanner.RateConfig) { c.Min = 0 }, "rate.min"},
		{"max below min", func(c *scanner.RateConfig) { c.Max = 5 }, "rate.max"},
		{"initial above max", func(c *scanner.RateConfig) { c.Initial = 5000 }, "rate.initial"},
		{"decrease of one", func(c *scanner.RateConfig) { c.Decrease = 1 }, "rate.decrease"},
		{"negative step", func(c *scanner.RateConfig) { c.Step = -1 }, "rate.step"},
		{"share above one", func(c *scanner.RateConfig) { c.NoResponseShare = 1.5 }, "no_response_share"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := scanner.DefaultRateConfig()
			tt.mod(&c)
			if _, err := scanner.NewRate(c); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func FuzzReadFeedback(f *testing.F) {
	for _, name := range []string{"light.xml", "timeout.xml", "truncated.xml", "filtered.xml", "error.xml"} {
		data, err := os.ReadFile("testdata/xml/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<host timedout="true"><status reason="host-timeout"/></host><extraports count="-5"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fb := scanner.ReadFeedback(data)
		if fb.Hosts < 0 || fb.TimedOut < 0 || fb.Ports < 0 || fb.NoResponse < 0 || fb.TimedOut > fb.Hosts {
			t.Fatalf("feedback %+v", fb)
		}
	})
}
