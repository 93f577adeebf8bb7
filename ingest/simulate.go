package ingest

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/riskmap/riskmap"
	"github.com/riskmap/riskmap/datasets"
	"github.com/riskmap/riskmap/datasets/estate"
)

// Simulate writes the history of a generated estate into a workspace as if riskmap had
// watched it for epochs epochs: at each epoch the AWS inventory export, then a full deep scan
// of every instance (what nmap -sV -p- reports, simulated by the estate), and a cycles row
// whose start is the epoch's as_of point. It is how the bundled default models are trained
// and how benchmarks get history without a live lab. It returns the estate at the last epoch.
func Simulate(ctx context.Context, w *datasets.Writer, cfg estate.Config, epochs int) (*estate.Estate, error) {
	e, err := estate.New(cfg)
	if err != nil {
		return nil, err
	}
	in := NewIngester(w)
	for epoch := 0; epoch < epochs; epoch++ {
		if epoch > 0 {
			e = e.Advance()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := SimulateEpoch(ctx, in, e); err != nil {
			return nil, fmt.Errorf("simulate epoch %d: %w", epoch, err)
		}
	}
	return e, nil
}

// SimulateEpoch records one epoch of an estate: its inventory at e.Time, a cycles row
// starting then, and a simulated deep scan of every running instance an hour later.
func SimulateEpoch(ctx context.Context, in *Ingester, e *estate.Estate) error {
	var inst, sgs bytes.Buffer
	if err := e.WriteAWS(&inst, &sgs); err != nil {
		return err
	}
	at := e.Time
	in.Now = func() time.Time { return at }
	snap, err := in.Inventory(ctx, "aws", []InventoryInput{
		{Name: fmt.Sprintf("epoch-%d/describe-instances.json", e.Epoch), Data: inst.Bytes()},
		{Name: fmt.Sprintf("epoch-%d/describe-security-groups.json", e.Epoch), Data: sgs.Bytes()},
	})
	if err != nil {
		return err
	}
	for _, f := range snap.Files {
		if f.Error != "" {
			return fmt.Errorf("inventory: %s", f.Error)
		}
	}
	scanAt := at.Add(time.Hour)
	id := fmt.Sprintf("sim-%d-%04d", e.Config.Seed, e.Epoch)
	obs := e.Observations(id, scanAt)
	hosts := make([]riskmap.Host, 0, len(e.Instances))
	for _, i := range e.Instances {
		hosts = append(hosts, riskmap.Host{ScanID: id, ScanTime: scanAt, IP: i.LabIP, Status: "up", Reason: "syn-ack"})
	}
	scan := riskmap.Scan{
		ID: id, Started: scanAt, Finished: scanAt.Add(30 * time.Minute), Profile: "deep",
		Args: "nmap -n -sV -sC -p- (simulated by the estate generator)", HostsUp: len(hosts),
		Complete: true, NmapVersion: "simulated", Source: "estate",
	}
	if _, err := in.Record(ctx, scan, hosts, obs); err != nil {
		return err
	}
	return datasets.WriteCycle(in.W, datasets.Cycle{ID: id, Started: at, Finished: scanAt.Add(30 * time.Minute), HostsDeep: len(hosts), Notes: "simulated epoch"})
}
