package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/pfgm"
	"genlab/results"
)

// runTask trains (or loads from cache) the model of one task, samples it
// with Heun and scores the samples against the data.
func runTask(ctx context.Context, t internal.Task[Config], dir *results.Dir, cache *diffusion.ModelCache, stderr io.Writer) (map[string]float64, error) {
	c := t.Config
	ds, err := pfgmexp.LoadData(c.Data, c.Seed, c.Train.NTrain, c.NRef, c.NEval)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	bar := internal.NewProgress(stderr, c.Train.Steps, experiment+" "+t.Label)
	defer bar.Finish()
	m, err := pfgmexp.TrainOrLoad(ctx, cache, c.Train, ds, bar)
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
	ev := pfgmexp.NewEvaluator(ds, c.NMMD)
	bar.Phase(fmt.Sprintf("sample NFE %d", 2*c.Heun-1))
	t1 := time.Now()
	x, nfe, err := pfgmexp.Sample(ctx, den, m.Kernel, ds.Dim, pfgmexp.SampleConfig{
		N: c.NEval, Steps: c.Heun, GenSeed: pfgmexp.GenSeed(c.Seed), SigmaMax: c.SigmaMax, SigmaMin: c.SigmaMin,
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
	if err := pfgmexp.PlotSamples(dir.Path("samples.png"), title, ds, ev, x); err != nil {
		return nil, err
	}
	if err := dir.WriteNPY(results.SamplesFile, x); err != nil {
		return nil, err
	}
	pfgmexp.InfToNaN(res)
	return res, nil
}
