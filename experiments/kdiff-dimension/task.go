package main

import (
	"context"
	"io"

	"genlab/experiments/internal"
	"genlab/experiments/internal/kdiffrun"
	"genlab/results"
)

// runTask trains, samples and evaluates one task (kdiffrun.Run) with a
// progress bar on stderr.
func runTask(ctx context.Context, cfg kdiffrun.Config, label string, d *results.Dir, stderr io.Writer) (map[string]float64, error) {
	bar := internal.NewProgress(stderr, cfg.Steps, experiment+" "+label)
	defer bar.Finish()
	return kdiffrun.Run(ctx, cfg, d, bar)
}
