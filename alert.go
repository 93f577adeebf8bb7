package riskmap

import "time"

// AlertSchema names the alert JSON schema version.
const AlertSchema = "riskmap.alert/v1"

// Alert is what riskmap tells a person or a SOAR: an asset, what changed or was found, how
// bad, why, and what to do. Its JSON is the documented webhook schema (schema "riskmap.alert/v1").
type Alert struct {
	Schema   string    `json:"schema"`
	ID       string    `json:"alert_id"`
	Time     time.Time `json:"time"`
	AssetID  string    `json:"asset_id"`
	IP       string    `json:"ip"`
	Port     int       `json:"port,omitempty"`
	Kind     string    `json:"kind"` // finding, change
	Severity string    `json:"severity"`
	Title    string    `json:"title"`
	Why      string    `json:"why"`
	Action   string    `json:"action"`
	Anomaly  float32   `json:"anomaly"`
	ScanID   string    `json:"scan_id"`
}
