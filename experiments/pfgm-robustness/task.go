package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/pfgm"
	"genlab/results"
)

// deltaMetrics are the metrics whose degradation is recorded.
var deltaMetrics = []string{"sw1", "sw2", "mmd2", "q99_err", "far_share", "nonfinite", "latent_rmse"}

func fkey(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// runTask trains (or loads) one model and measures every perturbation.
func runTask(ctx context.Context, t internal.Task[Config], dir *results.Dir, cache *diffusion.ModelCache, stderr io.Writer) (map[string]float64, error) {
	c := t.Config
	ds, err := pfgmexp.LoadData(c.Data, c.Seed, c.Train.NTrain, c.NRef, c.NEval)
	if err != nil {
		return nil, err
	}
	bar := internal.NewProgress(stderr, c.Train.Steps, experiment+" "+t.Label)
	defer bar.Finish()
	m, err := pfgmexp.TrainOrLoad(ctx, cache, c.Train, ds, bar)
	if err != nil {
		return nil, err
	}
	ev := pfgmexp.NewEvaluator(ds, c.NMMD)
	den, err := m.Denoiser(nil, 256)
	if err != nil {
		return nil, err
	}
	defer den.Close()
	ms := &measurer{cfg: c, dir: dir, bar: bar, model: m, ds: ds, ev: ev,
		scfg: pfgmexp.SampleConfig{N: c.NEval, Steps: c.Heun, GenSeed: pfgmexp.GenSeed(c.Seed), SigmaMax: c.SigmaMax, SigmaMin: c.SigmaMin},
		res:  map[string]float64{"final_loss": m.FinalLoss}}
	if err := ms.measure(ctx, "clean_", den, ms.scfg, nil); err != nil {
		return nil, err
	}
	for k, v := range ev.Floor() {
		ms.res[k] = v
	}
	if err := ms.perturbations(ctx, den); err != nil {
		return nil, err
	}
	pfgmexp.InfToNaN(ms.res)
	return ms.res, nil
}

// measurer samples one trained model clean and perturbed and collects the
// metrics of each sampler under its prefix in res.
type measurer struct {
	cfg   Config
	dir   *results.Dir
	bar   internal.Progress
	model *pfgmexp.Model
	ds    *pfgmexp.DataSet
	ev    *pfgmexp.Evaluator
	scfg  pfgmexp.SampleConfig // the clean sampler
	res   map[string]float64
	clean map[string]float64 // the clean scores, once measured
}

// perturbations measures every perturbation of the task: state noise α,
// quantised weights, fewer Heun steps and Euler.
func (ms *measurer) perturbations(ctx context.Context, den diffusion.Denoiser) error {
	c := ms.cfg
	for _, a := range c.Alphas {
		// The same ε at every D: the noise seed depends on the task seed only.
		if err := ms.measure(ctx, "a"+fkey(a)+"_", den, ms.scfg, pfgm.StateNoise(a, pfgmexp.GenSeed(c.Seed)^0xa1fa, 0)); err != nil {
			return err
		}
	}
	for _, b := range c.Bits {
		q, _, err := pfgm.QuantizeWeights(ms.model.Net, b)
		if err != nil {
			return err
		}
		qd, err := ms.model.Denoiser(q, 256)
		if err != nil {
			return err
		}
		err = ms.measure(ctx, "b"+strconv.Itoa(b)+"_", qd, ms.scfg, nil)
		qd.Close()
		if err != nil {
			return err
		}
	}
	for _, n := range c.Steps {
		sc := ms.scfg
		sc.Steps = n
		if err := ms.measure(ctx, "n"+strconv.Itoa(n)+"_", den, sc, nil); err != nil {
			return err
		}
	}
	if c.Euler {
		sc := ms.scfg
		sc.Euler = true
		return ms.measure(ctx, "euler_", den, sc, nil)
	}
	return nil
}

// measure samples with d under sc (and hook), records the metrics under
// prefix and, after the clean run, their differences from the clean ones;
// the first (clean) call also writes the samples and their picture.
func (ms *measurer) measure(ctx context.Context, prefix string, d diffusion.Denoiser, sc pfgmexp.SampleConfig, hook diffusion.Hook) error {
	ms.bar.Phase("sample and evaluate " + strings.TrimSuffix(prefix, "_"))
	x, nfe, err := pfgmexp.Sample(ctx, d, ms.model.Kernel, ms.ds.Dim, sc, hook)
	if err != nil {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	s := ms.ev.Score("", x)
	ms.res[prefix+"nfe"] = float64(nfe)
	for _, k := range deltaMetrics {
		v, ok := s[k]
		if !ok {
			continue
		}
		ms.res[prefix+k] = v
		if ms.clean != nil {
			ms.res["d_"+prefix+k] = v - ms.clean[k]
		}
	}
	if ms.clean != nil {
		return nil
	}
	ms.clean = s
	return ms.writeClean(x, s)
}

// writeClean writes the clean samples and their picture.
func (ms *measurer) writeClean(x *mat.Dense, s map[string]float64) error {
	c := ms.cfg
	title := fmt.Sprintf("%s D=%s seed %d, clean: SW1 %.3f", c.Data, pfgm.FormatD(c.D), c.Seed, s["sw1"])
	if err := ms.dir.WriteNPY(results.SamplesFile, x); err != nil {
		return err
	}
	return pfgmexp.PlotSamples(ms.dir.Path("samples.png"), title, ms.ds, ms.ev, x)
}
