// Command pfgm-sweep trains PFGM++ models over a sweep of the augmented
// dimension D (D = inf is EDM) on 2-D toys, heavy-tailed 2-D/10-D sets and
// the official 10-D two-cluster toy mapped to 1000-D, and reports sample
// quality against D: sliced Wasserstein, MMD, the tail-quantile error of
// ‖x‖ (99th, 99.9th percentile) and the share of far outliers, with 95%
// intervals over seeds.
//
//	go run ./experiments/pfgm-sweep -preset quick
//	go run ./experiments/pfgm-sweep -preset default -D 1,4,32,inf -seeds 0,1,2
//
// Runs write under -out (default runs/): pfgm-sweep/<task>/ with
// config.json, meta.json, result.json and samples.png;
// pfgm-sweep/summary.csv and sweep_<data>_<metric>.png; trained models are
// cached under pfgm-models/ and shared with pfgm-robustness. Exit status: 0
// on success, 2 on bad flags, 1 on a runtime failure.
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sync"
	"time"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

const experiment = "pfgm-sweep"

// Config is the resolved configuration of one task; its canonical JSON is
// hashed into the task key.
type Config struct {
	Train    pfgmexp.TrainConfig `json:"train"`
	Data     string              `json:"data"`
	D        float64             `json:"D"`
	Seed     uint64              `json:"seed"`
	NEval    int                 `json:"n_eval"`
	NRef     int                 `json:"n_ref"`
	NMMD     int                 `json:"n_mmd"`
	Heun     int                 `json:"heun_steps"`
	SigmaMin float64             `json:"sigma_min"`
	SigmaMax float64             `json:"sigma_max"`
}

func main() { internal.Main(experiment, sweep) }

// run is the testable body of main: sweep with internal's exit codes
// (0 ok, 2 bad flags or input with one line on stderr, 1 failure).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return internal.Run(ctx, experiment, args, stdout, stderr, sweep)
}

func sweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var fl pfgmexp.Flags
	fl.Register(fs)
	steps := fs.Int("steps", 0, "training steps (0: preset)")
	heun := fs.Int("heun", 0, "Heun sampling steps n, NFE 2n−1 (0: preset)")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	p, ok := presets[fl.Preset]
	if !ok {
		return internal.Usagef("invalid value %q for flag -preset: want quick, default or full", fl.Preset)
	}
	if err := fl.Resolve(fs, p.Ds, p.Seeds, p.Data); err != nil {
		return err
	}
	ds, seeds, datas := fl.Ds, fl.Seeds, fl.Data
	sha, dataErr := pfgmexp.DataDigests(datas)
	if dataErr != nil {
		return internal.Usagef("-data: %v", dataErr)
	}
	if *steps < 0 || *heun < 0 {
		return internal.Usagef("-steps %d / -heun %d: must be ≥ 0", *steps, *heun)
	}
	var cfgs []Config
	for _, name := range datas {
		dim := pfgmexp.DimOf(name)
		for _, d := range ds {
			for _, s := range seeds {
				tc := p.train(dim)
				tc.Data, tc.DataSHA, tc.D, tc.Seed, tc.ClipLikeOfficial = name, sha[name], d, s, fl.Clip
				if *steps > 0 {
					tc.Steps = *steps
				}
				c := Config{Train: tc, Data: name, D: d, Seed: s, NEval: p.NEval, NRef: p.NRef, NMMD: p.NMMD,
					Heun: p.Heun, SigmaMin: diffusion.SigmaMin, SigmaMax: diffusion.SigmaMax}
				if *heun > 0 {
					c.Heun = *heun
				}
				cfgs = append(cfgs, c)
			}
		}
	}
	idx := make([]int, len(cfgs))
	for i := range idx {
		idx[i] = i
	}
	if i, ok, err := internal.SelectTask(fl.Task, len(cfgs)); err != nil {
		return err
	} else if ok {
		idx = []int{i}
	}
	fmt.Fprintf(stderr, "%s: %d tasks (%s preset), %d at once\n", experiment, len(idx), fl.Preset, fl.Jobs)
	var outMu sync.Mutex
	err := pfgmexp.RunParallel(idx, fl.Jobs, func(i int) error {
		c := cfgs[i]
		t0 := time.Now()
		label := pfgmexp.Label(datas, ds, c.Data, c.D, c.Seed)
		key, res, cached, err := runTask(ctx, fl.Out, c, label, args, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "%s: task %d %s failed: %v\n", experiment, i, label, err)
			return err
		}
		what := "done"
		if cached {
			what = "already done"
		}
		fmt.Fprintf(stderr, "%s: task %d/%d %s (%s) %s in %.1fs: sw1 %.4g (floor %.4g) mmd2 %.3g q99_err %.3g\n",
			experiment, i+1, len(cfgs), label, key, what, time.Since(t0).Seconds(),
			res["sw1"], res["floor_sw1"], res["mmd2"], res["q99_err"])
		pfgmexp.PrintLine(stdout, &outMu, key, label, c, res)
		return nil
	})
	if err != nil {
		return err
	}
	return summarise(fl.Out, datas)
}

// runTask evaluates one configuration, skipping it when result.json exists.
func runTask(ctx context.Context, root string, c Config, label string, args []string, stderr io.Writer) (string, map[string]float64, bool, error) {
	dir, err := results.Open(root, experiment, c)
	if err != nil {
		return "", nil, false, err
	}
	if err := dir.WriteLabel(label); err != nil {
		return "", nil, false, err
	}
	if dir.Done() {
		r, err := dir.Result()
		return dir.Key, r, true, err
	}
	meta := results.Meta{Args: args, Seeds: []uint64{c.Seed}, BLAS: nn.BLAS(), Status: "running"}
	if err := dir.WriteMeta(meta); err != nil {
		return "", nil, false, err
	}
	ds, err := pfgmexp.LoadData(c.Data, c.Seed, c.Train.NTrain, c.NRef, c.NEval)
	if err != nil {
		return "", nil, false, err
	}
	t0 := time.Now()
	bar := internal.NewProgress(stderr, c.Train.Steps, experiment+" "+label)
	defer bar.Finish()
	m, err := pfgmexp.TrainOrLoad(ctx, root, c.Train, ds, bar)
	if err != nil {
		return "", nil, false, err
	}
	trainSec := time.Since(t0).Seconds()
	den, err := m.Denoiser(nil, 256)
	if err != nil {
		return "", nil, false, err
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
		return "", nil, false, err
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
		return "", nil, false, err
	}
	if err := dir.WriteNPY(results.SamplesFile, x); err != nil {
		return "", nil, false, err
	}
	for k, v := range res {
		if math.IsInf(v, 0) {
			res[k] = math.NaN() // keep result.json numeric-parsable; "inf" would read as a value
		}
	}
	meta.End, meta.Status = time.Now(), "done"
	if err := dir.WriteMeta(meta); err != nil {
		return "", nil, false, err
	}
	if err := dir.WriteResult(res); err != nil {
		return "", nil, false, err
	}
	return dir.Key, res, false, nil
}

// sweepMetrics are drawn against D for every data set.
var sweepMetrics = []struct{ key, label string }{
	{"sw1", "sliced W1"},
	{"mmd2", "MMD²"},
	{"q99_err", "|log q99 ratio| of ‖x‖"},
	{"q999_err", "|log q99.9 ratio| of ‖x‖"},
	{"far_share", "share ‖x‖ > ref q99.9 (ref 0.001)"},
}

func summarise(root string, datas []string) error {
	t, err := results.Collect(root, experiment)
	if err != nil {
		return err
	}
	for _, name := range datas {
		for _, m := range sweepMetrics {
			ser, err := pfgmexp.SeriesFor(t, "data", name, "data", "", "D", m.key)
			if err != nil || !pfgmexp.Plottable(ser) {
				continue
			}
			ser[0].Name = "model"
			if fl, err := pfgmexp.SeriesFor(t, "data", name, "data", "", "D", "floor_"+m.key); err == nil && len(fl) > 0 {
				fl[0].Name = "floor (held-out data)"
				ser = append(ser, fl[0])
			}
			path := filepath.Join(root, experiment, fmt.Sprintf("sweep_%s_%s.png", name, m.key))
			if err := results.MetricVsParam(path, results.SweepPlot{
				Title: fmt.Sprintf("%s: %s vs D (mean, 95%% CI over seeds)", name, m.label), XLabel: "D (augmented dimensions)", YLabel: m.label,
				LogX: true, Series: ser, YBounds: results.NonNegative,
			}); err != nil {
				return err
			}
		}
	}
	if err := internal.SetHeadline(root, experiment, "sweep_*_sw1.png"); err != nil {
		return err
	}
	return results.WriteIndex(root)
}
