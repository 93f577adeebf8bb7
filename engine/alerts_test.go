package engine_test

import (
	"testing"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/engine"
)

func TestChangeSeverity(t *testing.T) {
	cfg := engine.DefaultConfig().Alerts // MinAnomaly 0.6
	tests := []struct {
		name    string
		change  string
		anomaly float32
		serious bool
		want    riskmap.Severity
		alert   bool
	}{
		{name: "serious finding on the port", change: riskmap.ChangeNewPort, serious: true, want: riskmap.SeverityHigh, alert: true},
		{name: "strange asset", change: "service_changed", anomaly: 0.7, want: riskmap.SeverityMedium, alert: true},
		{name: "new port of an ordinary asset", change: riskmap.ChangeNewPort, anomaly: 0.1, want: riskmap.SeverityLow, alert: true},
		{name: "new host", change: riskmap.ChangeNewHost, want: riskmap.SeverityLow, alert: true},
		{name: "routine change", change: "service_changed", anomaly: 0.1, alert: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sev, alert := cfg.ChangeSeverity(riskmap.Diff{Change: tc.change}, tc.anomaly, tc.serious)
			if alert != tc.alert || (alert && sev != tc.want) {
				t.Errorf("ChangeSeverity = %v, %v; want %v, %v", sev, alert, tc.want, tc.alert)
			}
		})
	}
}
