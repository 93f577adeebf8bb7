package training_test

import (
	"context"
	"fmt"
	"time"

	"github.com/riskmap/riskmap/training"
)

// The loop a retraining job runs: split history by time, fit on the past, evaluate on the
// next weeks against the rule of thumb, and keep the figures for the model card.
func Example() {
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	history := riskData(1, 20000, 10, t0) // one row a minute
	train, test := training.TimeSplit(history, t0.Add(16000*time.Minute))

	cfg := training.DefaultGBDTConfig()
	cfg.Trees = 100
	model, err := training.TrainGBDT(context.Background(), train, nil, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	scores := make([]float32, test.Rows)
	model.Predict(test.X, test.Rows, scores)
	got := training.Evaluate(scores, test.Y)
	rules := training.Evaluate(training.RulesBaseline(test, map[string]float64{"fd0": 1, "fb0": 0.3}), test.Y)

	fmt.Printf("train %d rows, test %d rows\n", train.Rows, test.Rows)
	fmt.Printf("model beats the rules on ROC-AUC: %v\n", got.ROCAUC > rules.ROCAUC)
	fmt.Printf("card metrics: %d figures\n", len(got.Map()))
	// Output:
	// train 16000 rows, test 4000 rows
	// model beats the rules on ROC-AUC: true
	// card metrics: 8 figures
}
