package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/pfgmrun"
	"genlab/pfgm"
	"genlab/results"
)

// runTask trains (or loads from cache) the model of one task, samples it
// with Heun and scores the samples against the data.
func runTask(ctx context.Context, t internal.Task[Config], dir *results.Dir, cache *diffusion.ModelCache, stderr io.Writer) (map[string]float64, error) {
	c := t.Config
	ds, err := pfgmrun.LoadData(c.Data, c.Seed, c.Train.NTrain, c.NRef, c.NEval)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	bar := internal.NewProgress(stderr, c.Train.Steps, experiment+" "+t.Label)
	defer bar.Finish()
	m, err := pfgmrun.TrainOrLoad(ctx, cache, c.Train, ds, bar)
	if err != nil {
		return nil, err
	}
	trainSec := time.Since(t0).Seconds()
	den, err := m.Denoiser(nil, 256)
	if err != nil {
		return nil, err
	}
	defer den.Close()
	bar.Phase("evaluate: reference")
	ev := pfgmrun.NewEvaluator(ds, c.NMMD)
	bar.Phase(fmt.Sprintf("sample NFE %d", 2*c.Heun-1))
	t1 := time.Now()
	x, nfe, err := pfgmrun.Sample(ctx, den, m.Kernel, ds.Dim, pfgmrun.SampleConfig{
		N: c.NEval, Steps: c.Heun, GenSeed: pfgmrun.GenSeed(c.Seed), SigmaMax: c.SigmaMax, SigmaMin: c.SigmaMin,
	}, nil)
	if err != nil {
		return nil, err
	}
	bar.Phase("evaluate")
	res := ev.Score("", x)
	for k, v := range ev.Floor() {
		res[k] = v
	}
	for k, v := range ev.RefTail() {
		res[k] = v
	}
	res["nfe"] = float64(nfe)
	res["sample_seconds"] = time.Since(t1).Seconds()
	res["train_seconds"] = trainSec
	res["final_loss"] = m.FinalLoss
	res["sigma_data"] = ds.SigmaData
	title := fmt.Sprintf("%s D=%s seed %d: SW1 %.3f (floor %.3f)", c.Data, pfgm.FormatD(c.D), c.Seed, res["sw1"], res["floor_sw1"])
	if err := pfgmrun.PlotSamples(dir.Path("samples.png"), title, ds, ev, x); err != nil {
		return nil, err
	}
	if err := dir.WriteNPY(results.SamplesFile, x); err != nil {
		return nil, err
	}
	pfgmrun.InfToNaN(res)
	return res, nil
}
