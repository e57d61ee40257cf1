// Command pfgm-robustness measures how PFGM++ samplers degrade under the
// official robustness protocols, per augmented dimension D (D = inf is
// EDM): state noise x ← x + α·σ_i·ε before every Heun step, post-training
// b-bit min–max quantisation of the weight matrices, and fewer Heun steps
// (plus Euler). Every D uses the same data, network, σ grid, EMA, training
// length and seeds, and the same prior directions and state-noise draws.
// It reports ΔM = M(perturbed) − M(clean) for each metric M.
//
//	go run ./experiments/pfgm-robustness -preset quick
//	go run ./experiments/pfgm-robustness -preset default -alpha 0,0.1,0.2 -bits 4,8
//
// Trained models come from (or go to) the pfgm-models cache shared with
// pfgm-sweep, so running the sweep first saves the training. Outputs:
// pfgm-robustness/<task>/result.json, summary.csv and the figures
// robust_<perturbation>_<data>_<metric>.png (a line per D). Exit status: 0
// on success, 2 on bad flags, 1 on a runtime failure.
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/pfgm-sweep/pfgmexp"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

const experiment = "pfgm-robustness"

// Config is the resolved configuration of one task (one trained model and
// all its perturbations).
type Config struct {
	Train    pfgmexp.TrainConfig `json:"train"`
	Data     string              `json:"data"`
	D        float64             `json:"D"`
	Seed     uint64              `json:"seed"`
	NEval    int                 `json:"n_eval"`
	NRef     int                 `json:"n_ref"`
	NMMD     int                 `json:"n_mmd"`
	Heun     int                 `json:"heun_steps"` // the clean sampler
	SigmaMin float64             `json:"sigma_min"`
	SigmaMax float64             `json:"sigma_max"`
	Alphas   []float64           `json:"alphas"`
	Bits     []int               `json:"bits"`
	Steps    []int               `json:"steps"`
	Euler    bool                `json:"euler"`
}

// deltaMetrics are the metrics whose degradation is recorded.
var deltaMetrics = []string{"sw1", "sw2", "mmd2", "q99_err", "far_share", "nonfinite", "latent_rmse"}

// plotMetrics get one figure per perturbation.
var plotMetrics = []struct{ key, label string }{{"sw1", "Δ sliced W1"}, {"mmd2", "Δ MMD²"}}

func main() { internal.Main(experiment, robustness) }

// run is the testable body of main: robustness with internal's exit codes
// (0 ok, 2 bad flags or input with one line on stderr, 1 failure).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return internal.Run(ctx, experiment, args, stdout, stderr, robustness)
}

func robustness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var fl pfgmexp.Flags
	fl.Register(fs)
	steps := fs.Int("train-steps", 0, "training steps (0: preset)")
	var alphas internal.Floats
	var bits, nsteps internal.Ints
	fs.Var(&alphas, "alpha", "state-noise levels α, comma list")
	fs.Var(&bits, "bits", "quantisation bit widths, comma list")
	fs.Var(&nsteps, "steps", "Heun step counts, comma list")
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
	if !internal.IsSet(fs, "alpha") {
		alphas = p.Alphas
	}
	if !internal.IsSet(fs, "bits") {
		bits = p.Bits
	}
	if !internal.IsSet(fs, "steps") {
		nsteps = p.Steps
	}
	for _, a := range alphas {
		if a < 0 || math.IsInf(a, 0) {
			return internal.Usagef("invalid value %v in -alpha: must be finite and ≥ 0", a)
		}
	}
	for _, b := range bits {
		if b < 1 || b > 16 {
			return internal.Usagef("invalid value %d in -bits: must be in 1…16", b)
		}
	}
	for _, n := range nsteps {
		if n < 1 {
			return internal.Usagef("invalid value %d in -steps: must be ≥ 1", n)
		}
	}
	if *steps < 0 {
		return internal.Usagef("-train-steps %d: must be ≥ 0", *steps)
	}
	var cfgs []Config
	for _, name := range datas {
		dim := pfgmexp.DimOf(name)
		for _, d := range ds {
			for _, s := range seeds {
				tc := pfgmexp.DefaultTrain(dim, p.TrainPreset)
				tc.Data, tc.DataSHA, tc.D, tc.Seed, tc.ClipLikeOfficial = name, sha[name], d, s, fl.Clip
				if *steps > 0 {
					tc.Steps = *steps
				}
				cfgs = append(cfgs, Config{Train: tc, Data: name, D: d, Seed: s,
					NEval: p.nEval(dim), NRef: p.NRef, NMMD: p.NMMD, Heun: p.Heun,
					SigmaMin: diffusion.SigmaMin, SigmaMax: diffusion.SigmaMax,
					Alphas: alphas, Bits: bits, Steps: nsteps, Euler: true})
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
		fmt.Fprintf(stderr, "%s: task %d/%d %s (%s) %s in %.1fs: clean sw1 %.4g\n",
			experiment, i+1, len(cfgs), label, key, what, time.Since(t0).Seconds(), res["clean_sw1"])
		pfgmexp.PrintLine(stdout, &outMu, key, label, c, res)
		return nil
	})
	if err != nil {
		return err
	}
	return summarise(fl.Out, datas, alphas, bits, nsteps)
}

func fkey(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// runTask trains (or loads) one model and measures every perturbation.
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
	bar := internal.NewProgress(stderr, c.Train.Steps, experiment+" "+label)
	defer bar.Finish()
	m, err := pfgmexp.TrainOrLoad(ctx, root, c.Train, ds, bar)
	if err != nil {
		return "", nil, false, err
	}
	ev := pfgmexp.NewEvaluator(ds, c.NMMD)
	den, err := m.Denoiser(nil, 256)
	if err != nil {
		return "", nil, false, err
	}
	defer den.Close()
	scfg := pfgmexp.SampleConfig{N: c.NEval, Steps: c.Heun, GenSeed: pfgmexp.GenSeed(c.Seed), SigmaMax: c.SigmaMax, SigmaMin: c.SigmaMin}
	res := map[string]float64{"final_loss": m.FinalLoss}
	var clean map[string]float64
	measure := func(prefix string, d diffusion.Denoiser, sc pfgmexp.SampleConfig, hook diffusion.Hook) error {
		bar.Phase("sample and evaluate " + strings.TrimSuffix(prefix, "_"))
		x, nfe, err := pfgmexp.Sample(ctx, d, m.Kernel, ds.Dim, sc, hook)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		s := ev.Score("", x)
		res[prefix+"nfe"] = float64(nfe)
		for _, k := range deltaMetrics {
			v, ok := s[k]
			if !ok {
				continue
			}
			res[prefix+k] = v
			if clean != nil {
				res["d_"+prefix+k] = v - clean[k]
			}
		}
		if clean == nil {
			clean = s
			title := fmt.Sprintf("%s D=%s seed %d, clean: SW1 %.3f", c.Data, pfgm.FormatD(c.D), c.Seed, s["sw1"])
			if err := dir.WriteNPY(results.SamplesFile, x); err != nil {
				return err
			}
			return pfgmexp.PlotSamples(dir.Path("samples.png"), title, ds, ev, x)
		}
		return nil
	}
	if err := measure("clean_", den, scfg, nil); err != nil {
		return "", nil, false, err
	}
	for k, v := range ev.Floor() {
		res[k] = v
	}
	for _, a := range c.Alphas {
		// The same ε at every D: the noise seed depends on the task seed only.
		if err := measure("a"+fkey(a)+"_", den, scfg, pfgm.StateNoise(a, pfgmexp.GenSeed(c.Seed)^0xa1fa, 0)); err != nil {
			return "", nil, false, err
		}
	}
	for _, b := range c.Bits {
		q, _, err := pfgm.QuantizeWeights(m.Net, b)
		if err != nil {
			return "", nil, false, err
		}
		qd, err := m.Denoiser(q, 256)
		if err != nil {
			return "", nil, false, err
		}
		err = measure("b"+strconv.Itoa(b)+"_", qd, scfg, nil)
		qd.Close()
		if err != nil {
			return "", nil, false, err
		}
	}
	for _, n := range c.Steps {
		sc := scfg
		sc.Steps = n
		if err := measure("n"+strconv.Itoa(n)+"_", den, sc, nil); err != nil {
			return "", nil, false, err
		}
	}
	if c.Euler {
		sc := scfg
		sc.Euler = true
		if err := measure("euler_", den, sc, nil); err != nil {
			return "", nil, false, err
		}
	}
	for k, v := range res {
		if math.IsInf(v, 0) {
			res[k] = math.NaN()
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

// summarise collects summary.csv and draws, per data set and metric, one
// figure per perturbation (x = α, bits or steps; a line per D) plus the
// clean metric against D.
func summarise(root string, datas []string, alphas []float64, bits, nsteps []int) error {
	t, err := results.Collect(root, experiment)
	if err != nil {
		return err
	}
	type pert struct {
		name, xlabel string
		xs           []float64
		col          func(x float64) string
		logX         bool
	}
	perts := []pert{
		{"alpha", "state-noise level α (x ← x + α·σ_i·ε before each step)", alphas, func(x float64) string { return "a" + fkey(x) + "_" }, false},
		{"bits", "weight bits b (per-tensor min–max)", ints(bits), func(x float64) string { return "b" + fkey(x) + "_" }, false},
		{"steps", "Heun steps n (NFE 2n−1)", ints(nsteps), func(x float64) string { return "n" + fkey(x) + "_" }, true},
	}
	for _, name := range datas {
		for _, m := range plotMetrics {
			for _, p := range perts {
				var ser []results.Series
				byD := map[string]*results.Series{}
				var order []string
				for i := range t.Rows {
					if t.Get(i, "data") != name {
						continue
					}
					dcell := t.Get(i, "D")
					s, ok := byD[dcell]
					if !ok {
						s = &results.Series{Name: "D=" + dcell}
						byD[dcell] = s
						order = append(order, dcell)
					}
					for _, x := range p.xs {
						v, err := t.Float(i, "d_"+p.col(x)+m.key)
						if err != nil {
							continue
						}
						j := indexOf(s.X, x)
						if j < 0 {
							s.X = append(s.X, x)
							s.Y = append(s.Y, nil)
							j = len(s.X) - 1
						}
						s.Y[j] = append(s.Y[j], v)
					}
				}
				sortD(order)
				for _, d := range order {
					if len(byD[d].X) > 0 {
						ser = append(ser, *byD[d])
					}
				}
				if !pfgmexp.Plottable(ser) {
					continue
				}
				path := filepath.Join(root, experiment, fmt.Sprintf("robust_%s_%s_%s.png", p.name, name, m.key))
				if err := results.MetricVsParam(path, results.SweepPlot{
					Title:  fmt.Sprintf("%s: %s = M(perturbed) − M(clean), mean ± 95%% CI", name, m.label),
					XLabel: p.xlabel, YLabel: m.label, LogX: p.logX, Series: ser,
				}); err != nil {
					return err
				}
			}
			ser, err := pfgmexp.SeriesFor(t, "data", name, "data", "", "D", "clean_"+m.key)
			if err == nil && pfgmexp.Plottable(ser) {
				ser[0].Name = "clean"
				path := filepath.Join(root, experiment, fmt.Sprintf("robust_clean_%s_%s.png", name, m.key))
				if err := results.MetricVsParam(path, results.SweepPlot{
					Title: fmt.Sprintf("%s: clean %s vs D", name, m.key), XLabel: "D", YLabel: m.key, LogX: true, Series: ser,
				}); err != nil {
					return err
				}
			}
		}
	}
	if err := internal.SetHeadline(root, experiment, "robust_alpha_*_sw1.png", "robust_*.png"); err != nil {
		return err
	}
	return results.WriteIndex(root)
}

func ints(v []int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func indexOf(xs []float64, x float64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func sortD(cells []string) {
	val := func(s string) float64 {
		d, err := pfgm.ParseD(s)
		if err != nil {
			return math.NaN()
		}
		return d
	}
	for i := 1; i < len(cells); i++ {
		for j := i; j > 0 && val(cells[j]) < val(cells[j-1]); j-- {
			cells[j], cells[j-1] = cells[j-1], cells[j]
		}
	}
}
