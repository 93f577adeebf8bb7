package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/features/findings"
)

func alertID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "|")))
	return hex.EncodeToString(sum[:10])
}

// FindingAlert makes the alert of a confirmed serious finding: why in words (what, where, how
// far a check proved it, judged by the evidence, and the evidence) and the concrete rule change
// in the asset's cloud.
func FindingAlert(f riskmap.Finding, asset *riskmap.Asset, anomaly float32, at time.Time) riskmap.Alert {
	return riskmap.Alert{
		Schema: riskmap.AlertSchema, ID: alertID("finding", f.ScanID, f.AssetID, f.IP, fmt.Sprint(f.Port), f.RuleID),
		Time: at, AssetID: f.AssetID, IP: f.IP, Port: f.Port, Kind: "finding", Severity: f.Severity.String(),
		Title: f.Title, Why: (*findings.Rules)(nil).Because(f, asset), Action: findings.Action(f, asset), Anomaly: anomaly, ScanID: f.ScanID,
	}
}

// ChangeSeverity is how bad a change against the baseline is, and whether it is alerted at
// all: high where a confirmed serious finding sits on the changed port, medium when the
// asset's anomaly reaches MinAnomaly, low for a new port or host of an unremarkable asset.
// Other routine changes of unremarkable assets stay in the diffs table, unalerted.
func (c AlertConfig) ChangeSeverity(d riskmap.Diff, anomaly float32, seriousOnPort bool) (riskmap.Severity, bool) {
	switch {
	case seriousOnPort:
		return riskmap.SeverityHigh, true
	case float64(anomaly) >= c.MinAnomaly:
		return riskmap.SeverityMedium, true
	case d.Change == riskmap.ChangeNewPort || d.Change == riskmap.ChangeNewHost:
		return riskmap.SeverityLow, true
	}
	return riskmap.SeverityLow, false
}

// ChangeAlert makes the alert of a change against the baseline.
func ChangeAlert(d riskmap.Diff, asset *riskmap.Asset, anomaly float32, severity riskmap.Severity, at time.Time) riskmap.Alert {
	title := fmt.Sprintf("%s on %s", strings.ReplaceAll(d.Change, "_", " "), d.IP)
	if !d.HostLevel() { // port 0 is a port: host-level changes have no proto
		title = fmt.Sprintf("%s %d/%s on %s", strings.ReplaceAll(d.Change, "_", " "), d.Port, d.Proto, d.IP)
	}
	action := "confirm the change was intended; if not, find who made it"
	if d.Change == riskmap.ChangeNewPort {
		action = "if the service is not meant to be reachable: " + findings.Action(riskmap.Finding{IP: d.IP, Port: d.Port, Proto: d.Proto}, asset)
	}
	return riskmap.Alert{
		Schema: riskmap.AlertSchema, ID: alertID("change", d.ScanID, d.AssetID, d.IP, fmt.Sprint(d.Port), d.Change),
		Time: at, AssetID: d.AssetID, IP: d.IP, Port: d.Port, Kind: "change", Severity: severity.String(),
		Title: title, Why: fmt.Sprintf("%s -> %s against baseline scan %s; anomaly %.2f", orNone(d.Before), orNone(d.After), short(d.BaselineScanID), anomaly),
		Action: action, Anomaly: anomaly, ScanID: d.ScanID,
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Alerter delivers alerts: to the alerts table, a JSONL file and, when set, a webhook.
type Alerter struct {
	W       *datasets.Writer
	Config  AlertConfig
	Client  *http.Client
	Backoff time.Duration // first retry delay, doubled each retry (default 1s)
}

// Deliver records alerts and posts them. A webhook that still fails after the retries is an
// error; the alerts are already stored, so nothing is lost.
func (a *Alerter) Deliver(ctx context.Context, batchID string, alerts []riskmap.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	if err := a.store(batchID, alerts); err != nil {
		return err
	}
	if a.Config.JSONL != "" {
		path := a.Config.JSONL
		if !filepath.IsAbs(path) {
			path = filepath.Join(a.W.Store().Dir, path)
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		for _, al := range alerts {
			if err := enc.Encode(al); err != nil {
				f.Close()
				return err
			}
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if a.Config.Webhook != "" {
		return a.post(ctx, alerts)
	}
	return nil
}

func (a *Alerter) store(batchID string, alerts []riskmap.Alert) error {
	rec := datasets.AlertsRecord(a.W.Store().Allocator(), alerts)
	defer rec.Release()
	return a.W.WriteTable(datasets.TableAlerts, datasets.DayPartition(alerts[0].Time), batchID, rec)
}

// post sends {"schema":..., "alerts":[...]} with retries and exponential backoff. A 4xx other
// than 408 and 429 is not retried: the receiver refused the payload.
func (a *Alerter) post(ctx context.Context, alerts []riskmap.Alert) error {
	body, err := json.Marshal(map[string]any{"schema": riskmap.AlertSchema, "alerts": alerts})
	if err != nil {
		return err
	}
	client := a.Client
	if client == nil {
		timeout := a.Config.Timeout
		if timeout == 0 {
			timeout = 10 * time.Second
		}
		client = &http.Client{Timeout: timeout}
	}
	delay := a.Backoff
	if delay == 0 {
		delay = time.Second
	}
	var last error
	for attempt := 0; attempt <= a.Config.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Config.Webhook, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("webhook %s: %w", a.Config.Webhook, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "riskmap")
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("status %s", resp.Status)
		if resp.StatusCode/100 == 4 && resp.StatusCode != 408 && resp.StatusCode != 429 {
			break
		}
	}
	return fmt.Errorf("webhook %s: %d alerts not delivered after %d attempts: %w (they are in the alerts table)", a.Config.Webhook, len(alerts), a.Config.Retries+1, last)
}
