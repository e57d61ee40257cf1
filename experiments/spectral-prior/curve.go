package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/matching"
	"genlab/matching/prior"
	"genlab/results"
)

// The network prior's training curve (-net-curve). One network prior per
// (seed, k) is trained continuously to the largest listed step count: the
// prior at count s is the model-cache entry of the prior trained for s
// steps, and the entry of the next count resumes from its checkpoint, so
// each snapshot is exactly what -net-steps s gives and a killed run resumes
// where it stopped. At each count the curve records the held-out denoising
// loss (heldOutLoss) and the validation matching error of the distilled
// mask (M4) and its refinement (M5) with that prior on the λ-tuning pairs
// (tune's), beside the same measures of the exact and Gaussian priors and
// the Laplacian (M1) and mean-map (M3) masks as references.
const (
	curveVersion = 1
	// valBodyFrac: the held-out maps come from one new blob body per
	// valBodyFrac training bodies (at least 2), drawn from another seed.
	valBodyFrac = 10
	// valLevels is the number of σ levels of the held-out loss.
	valLevels = 16
)

// curveRow is one snapshot of the curve of one (seed, k): the values of its
// cache entry (see evalSnapshot) and the references (see curveRefs).
type curveRow struct {
	Seed  uint64
	K     int
	Steps int
	V     map[string]float64
}

// curveKey keys a curve entry: everything the validation problems, the
// priors and the measures depend on; Net.Steps is the snapshot's count
// (0 for the references, which do not depend on the network).
func curveKey(kind string, cfg Config, steps int) any {
	n := cfg.Net
	n.Steps = steps
	if kind == "netcurve-ref" {
		n = NetCfg{}
	}
	return struct {
		Kind    string             `json:"kind"`
		V       int                `json:"v"`
		Map     MapCfg             `json:"map"`
		Net     NetCfg             `json:"net"`
		Tune    TuneCfg            `json:"tune"`
		Seed    uint64             `json:"seed"`
		K       int                `json:"k"`
		Regimes []string           `json:"regimes"`
		Sigma   float64            `json:"sigma"`
		S       int                `json:"s"`
		Eps     float64            `json:"mean_eps"`
		Noise   float64            `json:"noise"`
		Refine  prior.RefineConfig `json:"refine"`
		Zoom    [2]int             `json:"zoom"`
		WKS     [5]float64         `json:"wks"`
		Pair    [6]float64         `json:"pair"`
	}{kind, curveVersion, cfg.Map, n, cfg.Tune, cfg.Seed, cfg.K, cfg.Regimes, cfg.Sigma, cfg.S, cfg.MeanEps, cfg.Noise, cfg.Refine,
		[2]int{cfg.ZoomEnd, cfg.ZoomStep},
		[5]float64{float64(cfg.WKSNum), float64(cfg.WKSNEv), float64(cfg.WKSStep), float64(cfg.FewStep), cfg.PartialFrac},
		[6]float64{float64(cfg.SrcLevel), float64(cfg.TgtCube), cfg.MaxAngle, cfg.MaxBend, float64(cfg.KEig), float64(cfg.MaxEval)}}
}

// valMapCfg returns the held-out map set of cfg: blob bodies only, one per
// valBodyFrac training bodies (at least 2), in the training poses, from a
// seed of their own (so the bodies are new).
func valMapCfg(cfg Config) (MapCfg, uint64) {
	m := cfg.Map
	m.Bodies = max(2, (m.Bodies+valBodyFrac-1)/valBodyFrac)
	m.CGAL, m.CGALSHA, m.CGALPoses = nil, nil, 0
	return m, internal.TaskSeed(cfg.Seed, "net-curve-validation")
}

// heldOutLoss returns the denoising loss of den on held-out maps y,
//
//	L = (1/(N·Q))·Σ_i Σ_q λ(σ_q)·‖D(y_i + σ_q·n_iq; σ_q) − y_i‖²,
//
// λ = 1/c_out² the EDM weight of w (the training σ_data): the training
// loss's expectation over ln σ ~ N(P_mean, P_std²) by the midpoint rule on
// Q = valLevels equal-probability levels σ_q = exp(P_mean + P_std·Φ⁻¹((q+½)/Q)),
// and mse, the per-entry squared error (1/(N·d))·Σ_i ‖D(y_i + σ·n_i; σ) − y_i‖²
// at the distillation σ. The noise n_iq ~ N(0, I) comes from PCG(seed, q)
// (q = Q for the σ level), the same for every prior and snapshot.
func heldOutLoss(den diffusion.Denoiser, y *mat.Dense, w diffusion.EDM, sigma float64, seed uint64) (loss, mse float64, err error) {
	n, d := y.Dims()
	x := mat.NewDense(n, d, nil)
	out := mat.NewDense(n, d, nil)
	level := func(s float64, q int) (float64, error) {
		rng := internal.NewRand(seed, uint64(q))
		for i := 0; i < n; i++ {
			xr, yr := x.RawRowView(i), y.RawRowView(i)
			for j := range xr {
				xr[j] = yr[j] + s*rng.NormFloat64()
			}
		}
		if err := den.Denoise(out, x, s); err != nil {
			return 0, err
		}
		sq := 0.0
		for i := 0; i < n; i++ {
			or, yr := out.RawRowView(i), y.RawRowView(i)
			for j := range or {
				sq += (or[j] - yr[j]) * (or[j] - yr[j])
			}
		}
		return sq / float64(n), nil
	}
	ln := diffusion.DefaultLogNormal
	for q := 0; q < valLevels; q++ {
		s := math.Exp(ln.PMean + ln.PStd*distuv.UnitNormal.Quantile((float64(q)+0.5)/valLevels))
		e, err := level(s, q)
		if err != nil {
			return 0, 0, err
		}
		loss += w.Weight(s) * e / valLevels
	}
	e, err := level(sigma, valLevels)
	return loss, e / float64(d), err
}

// valProblem is one validation pair in one regime (tune's pairs and
// streams): the problem, the bases, the evaluator, the pair's seed and the
// least-squares map the distilled masks start from.
type valProblem struct {
	prob   *prior.Problem
	b1, b2 *matching.Basis
	ev     *matching.Evaluator
	ps     uint64
	raw    *mat.Dense
}

// valProblems builds the validation pairs × regimes of cfg.
func valProblems(ctx context.Context, cfg Config) ([]*valProblem, error) {
	var vps []*valProblem
	for v := 0; v < cfg.Tune.Pairs; v++ {
		pd, err := makePair(cfg, "blob", -1-v)
		if err != nil {
			return nil, err
		}
		ev, err := evaluator(ctx, cfg, pd, pd.p.GT, -1-v)
		if err != nil {
			return nil, err
		}
		ps := pairSeed(cfg.Seed, "blob", -1-v)
		for _, r := range cfg.Regimes {
			prob, b2, err := pd.problem(cfg, prior.Regime(r), ps)
			if err != nil {
				return nil, err
			}
			raw, err := matching.SolveFMap(prob.A, prob.B, nil, 0)
			if err != nil {
				return nil, err
			}
			vps = append(vps, &valProblem{prob: prob, b1: pd.b1, b2: b2, ev: ev, ps: ps, raw: raw})
		}
	}
	return vps, nil
}

// errs returns the mean geodesic error ×100 of c's point map, before and
// (with zo) after ZoomOut.
func (vp *valProblem) errs(ctx context.Context, cfg Config, c *mat.Dense, zo bool) (raw, after float64, err error) {
	e, err := vp.ev.Errors(matching.P2PFromFMap(c, vp.b1, vp.b2, false))
	if err != nil || !zo {
		return 100 * matching.Mean(e), 0, err
	}
	_, pz, err := matching.ZoomOut(ctx, c, vp.b1, vp.b2, cfg.ZoomEnd, cfg.ZoomStep)
	if err != nil {
		return 0, 0, err
	}
	ez, err := vp.ev.Errors(pz)
	return 100 * matching.Mean(e), 100 * matching.Mean(ez), err
}

// maskScore is one mask on every validation problem and its mean raw
// error ×100 at each μ of its grid.
type maskScore struct {
	masks []*mat.Dense
	grid  []float64
	err   []float64
}

// scoreMask solves every problem with its mask at each μ of grid.
func scoreMask(ctx context.Context, cfg Config, vps []*valProblem, grid []float64, mask func(vp *valProblem) (*mat.Dense, error)) (*maskScore, error) {
	m := &maskScore{grid: grid, err: make([]float64, len(grid))}
	for _, vp := range vps {
		w, err := mask(vp)
		if err != nil {
			return nil, err
		}
		m.masks = append(m.masks, w)
		for gi, mu := range grid {
			c, err := matching.SolveFMap(vp.prob.A, vp.prob.B, w, mu)
			if err != nil {
				return nil, err
			}
			e, _, err := vp.errs(ctx, cfg, c, false)
			if err != nil {
				return nil, err
			}
			m.err[gi] += e / float64(len(vps))
		}
	}
	return m, nil
}

// best returns the μ of the grid with the lowest error (the first on ties)
// and that error.
func (m *maskScore) best() (mu, err float64) {
	b := 0
	for gi := range m.grid {
		if m.err[gi] < m.err[b] {
			b = gi
		}
	}
	return m.grid[b], m.err[b]
}

// at returns the mean error ×100 over the problems at μ, before and after
// ZoomOut.
func (m *maskScore) at(ctx context.Context, cfg Config, vps []*valProblem, mu float64) (raw, zo float64, err error) {
	return meanErrs(ctx, cfg, vps, func(i int, vp *valProblem) (*mat.Dense, error) {
		return matching.SolveFMap(vp.prob.A, vp.prob.B, m.masks[i], mu)
	})
}

// meanErrs returns the mean error ×100 over the problems of the map solve
// gives each, before and after ZoomOut.
func meanErrs(ctx context.Context, cfg Config, vps []*valProblem, solve func(i int, vp *valProblem) (*mat.Dense, error)) (raw, zo float64, err error) {
	for i, vp := range vps {
		c, err := solve(i, vp)
		if err != nil {
			return 0, 0, err
		}
		r, z, err := vp.errs(ctx, cfg, c, true)
		if err != nil {
			return 0, 0, err
		}
		raw += r / float64(len(vps))
		zo += z / float64(len(vps))
	}
	return raw, zo, nil
}

// distilledScore scores the distilled mask of den (σ, S copies, tune's
// random stream per problem) over the distilled grid.
func distilledScore(ctx context.Context, cfg Config, vps []*valProblem, den diffusion.Denoiser) (*maskScore, error) {
	return scoreMask(ctx, cfg, vps, cfg.Tune.MuDist, func(vp *valProblem) (*mat.Dense, error) {
		return prior.DistilledMask(den, vp.raw, cfg.Sigma, cfg.S, internal.NewRand(vp.ps, streamSolve))
	})
}

// refineErr returns the mean error ×100 of M5 (the distilled mask at μ, then
// the refinement with den's SDS term) before and after ZoomOut.
func refineErr(ctx context.Context, cfg Config, vps []*valProblem, den diffusion.Denoiser, mu float64) (raw, zo float64, err error) {
	s := &prior.Solver{Den: den, MuDist: mu, Sigma: cfg.Sigma, S: cfg.S, Refine: cfg.Refine}
	return meanErrs(ctx, cfg, vps, func(_ int, vp *valProblem) (*mat.Dense, error) {
		return s.Solve(ctx, vp.prob, prior.DistilledRefine, internal.NewRand(vp.ps, streamSolve+1))
	})
}

// curveData is what the measures of a curve need, built on first use.
type curveData struct {
	images, val *mat.Dense
	edm         diffusion.EDM
	vps         []*valProblem
}

// curveRefs measures the references of the curve: the exact and Gaussian
// priors (held-out loss, M4 at their best μ and, for the exact prior, M5),
// the Laplacian and mean-map masks at their best μ. The exact prior's best
// μ ("mu_fixed") is the μ the network's M4 and M5 are measured at.
func curveRefs(ctx context.Context, cfg Config, cd *curveData) (map[string]float64, error) {
	res := map[string]float64{}
	g, err := prior.FitGaussian(cd.images, 1e-6)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name string
		den  diffusion.Denoiser
	}{{"exact", diffusion.Ideal{Data: cd.images, Kernel: diffusion.Gaussian{}}}, {"gaussian", g}} {
		l, mse, err := heldOutLoss(p.den, cd.val, cd.edm, cfg.Sigma, cfg.Seed)
		if err != nil {
			return nil, err
		}
		res[p.name+"_val_loss"], res[p.name+"_val_mse_sigma"] = l, mse
		ms, err := distilledScore(ctx, cfg, cd.vps, p.den)
		if err != nil {
			return nil, err
		}
		mu, _ := ms.best()
		res[p.name+"_mu"] = mu
		if res[p.name+"_m4_err"], res[p.name+"_m4_zo_err"], err = ms.at(ctx, cfg, cd.vps, mu); err != nil {
			return nil, err
		}
		if p.name == "exact" {
			res["mu_fixed"] = mu
			if res["exact_m5_err"], res["exact_m5_zo_err"], err = refineErr(ctx, cfg, cd.vps, p.den, mu); err != nil {
				return nil, err
			}
		}
	}
	s := &prior.Solver{MeanImage: prior.MeanImage(cd.images), MeanEps: cfg.MeanEps}
	for _, m := range []struct {
		name string
		grid []float64
	}{{"lap", cfg.Tune.MuLap}, {"meanmap", cfg.Tune.MuMean}} {
		ms, err := scoreMask(ctx, cfg, cd.vps, m.grid, func(vp *valProblem) (*mat.Dense, error) {
			w, _, err := s.Mask(prior.Method(m.name), vp.b1.Values, vp.b2.Values, cfg.K, nil, nil)
			return w, err
		})
		if err != nil {
			return nil, err
		}
		mu, _ := ms.best()
		res[m.name+"_mu"] = mu
		if res[m.name+"_err"], res[m.name+"_zo_err"], err = ms.at(ctx, cfg, cd.vps, mu); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// evalSnapshot measures the network prior np (trained steps steps) at the
// references' fixed μ: held-out loss, M4 (at μ fixed and at its own best μ
// of the grid) and M5.
func evalSnapshot(ctx context.Context, cfg Config, cd *curveData, np *prior.NetPrior, muFixed float64) (map[string]float64, error) {
	small, err := np.Denoiser(1)
	if err != nil {
		return nil, err
	}
	defer small.Close()
	big, err := np.Denoiser(max(cfg.S, 16))
	if err != nil {
		return nil, err
	}
	defer big.Close()
	den := batched{small: small, big: big, nSmall: 1}
	res := map[string]float64{"mu_fixed": muFixed}
	if res["val_loss"], res["val_mse_sigma"], err = heldOutLoss(den, cd.val, cd.edm, cfg.Sigma, cfg.Seed); err != nil {
		return nil, err
	}
	ms, err := distilledScore(ctx, cfg, cd.vps, den)
	if err != nil {
		return nil, err
	}
	res["m4_best_mu"], res["m4_best_err"] = ms.best()
	if !slices.Contains(ms.grid, muFixed) {
		return nil, fmt.Errorf("net curve: μ %g not in the distilled grid %v", muFixed, ms.grid)
	}
	if res["m4_err"], res["m4_zo_err"], err = ms.at(ctx, cfg, cd.vps, muFixed); err != nil {
		return nil, err
	}
	if res["m5_err"], res["m5_zo_err"], err = refineErr(ctx, cfg, cd.vps, den, muFixed); err != nil {
		return nil, err
	}
	return res, nil
}

// netCurve returns the curve of cfg's (seed, k) at the ascending step
// counts: each measure read from its cache entry or, unless readOnly,
// measured now and cached (the network trained on, from the previous
// count's checkpoint). With readOnly, missing snapshots are left out.
func (bs *bundles) netCurve(ctx context.Context, cfg Config, counts []int, readOnly bool, logf func(string, ...any)) ([]curveRow, error) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	var cd *curveData
	data := func() (*curveData, error) {
		if cd != nil {
			return cd, nil
		}
		all, err := bs.maps(ctx, cfg, logf)
		if err != nil {
			return nil, err
		}
		vm, vs := valMapCfg(cfg)
		val, err := bs.mapSet(ctx, cfg, vm, vs, logf)
		if err != nil {
			return nil, err
		}
		c := &curveData{images: cropImages(all, cfg.Map.K, cfg.K), val: cropImages(val, vm.K, cfg.K)}
		c.edm = diffusion.EDM{SigmaData: prior.RMS(c.images)}
		if c.vps, err = valProblems(ctx, cfg); err != nil {
			return nil, err
		}
		cd = c
		return cd, nil
	}
	refs, err := bs.cachedMeasure(ctx, "netcurve-ref", cfg, 0, readOnly, func() (map[string]float64, error) {
		d, err := data()
		if err != nil {
			return nil, err
		}
		logf("%s: net curve references (k = %d, seed %d, %d validation problems)", experiment, cfg.K, cfg.Seed, len(d.vps))
		return curveRefs(ctx, cfg, d)
	})
	if err != nil || refs == nil {
		return nil, err
	}
	var rows []curveRow
	for i, s := range counts {
		cs := cfg
		cs.Net.Steps = s
		res, err := bs.cachedMeasure(ctx, "netcurve", cs, s, readOnly, func() (map[string]float64, error) {
			d, err := data()
			if err != nil {
				return nil, err
			}
			from := slices.Clone(counts[:i])
			slices.Reverse(from)
			np, tr, err := bs.net(ctx, cs, d.images, from, logf)
			if err != nil {
				return nil, err
			}
			t0 := time.Now()
			res, err := evalSnapshot(ctx, cs, d, np, refs["mu_fixed"])
			if err != nil {
				return nil, fmt.Errorf("net curve at %d steps: %w", s, err)
			}
			res["train_loss"], res["time_eval_s"] = tr["final_loss"], time.Since(t0).Seconds()
			logf("%s: net curve k = %d seed %d at %d steps: held-out loss %.4g, M4 %.2f (best %.2f), M5 %.2f; exact M4 %.2f, Laplacian %.2f",
				experiment, cfg.K, cfg.Seed, s, res["val_loss"], res["m4_err"], res["m4_best_err"], res["m5_err"], refs["exact_m4_err"], refs["lap_err"])
			return res, nil
		})
		if err != nil {
			return nil, err
		}
		if res == nil {
			continue
		}
		v := map[string]float64{}
		for k, x := range refs {
			v[k] = x
		}
		for k, x := range res {
			v[k] = x
		}
		rows = append(rows, curveRow{Seed: cfg.Seed, K: cfg.K, Steps: s, V: v})
	}
	return rows, nil
}

// cachedMeasure returns the result of the cache entry (kind, cfg, steps),
// computing and writing it with f, under the entry's lock, when it is
// missing, unless readOnly (then nil, and nothing is written).
func (bs *bundles) cachedMeasure(ctx context.Context, kind string, cfg Config, steps int, readOnly bool, f func() (map[string]float64, error)) (map[string]float64, error) {
	if readOnly {
		key, err := results.Key(curveKey(kind, cfg, steps))
		if err != nil {
			return nil, err
		}
		if d := results.View(bs.root, modelsExperiment, key); d.Done() {
			return d.Result()
		}
		return nil, nil
	}
	d, err := results.OpenCache(bs.root, modelsExperiment, curveKey(kind, cfg, steps))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	lk, err := results.AcquireLock(ctx, d.Dir(), nil) // array elements of a sweep measure it once
	if err != nil {
		return nil, err
	}
	defer lk.Release()
	if d.Done() {
		return d.Result()
	}
	res, err := f()
	if err != nil {
		return nil, err
	}
	return res, d.WriteResult(res)
}

// runCurves returns the curves of every (seed, k) of tasks, measuring what
// is missing unless readOnly.
func runCurves(ctx context.Context, bs *bundles, tasks []internal.Task[Config], counts []int, readOnly bool, logf func(string, ...any)) ([]curveRow, error) {
	seen := map[[2]uint64]bool{}
	var rows []curveRow
	for _, t := range tasks {
		id := [2]uint64{t.Config.Seed, uint64(t.Config.K)}
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := bs.netCurve(ctx, t.Config, counts, readOnly, logf)
		if err != nil {
			return nil, fmt.Errorf("net curve (k = %d, seed %d): %w", t.Config.K, t.Config.Seed, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// curveTasks returns the tasks whose curves a run measures before its
// tasks: all, or the one -task (or the environment) names.
func curveTasks(tasks []internal.Task[Config], task int) ([]internal.Task[Config], error) {
	i, ok, err := internal.SelectTask(task, len(tasks))
	if err != nil || !ok {
		return tasks, err
	}
	return tasks[i : i+1], nil
}

// curveColumns are net_curve.csv's columns after seed, k and steps: the
// network's measures, then the references.
var curveColumns = []string{"train_loss", "val_loss", "val_mse_sigma", "mu_fixed", "m4_err", "m4_zo_err", "m4_best_mu", "m4_best_err",
	"m5_err", "m5_zo_err", "exact_val_loss", "gaussian_val_loss", "exact_val_mse_sigma", "gaussian_val_mse_sigma",
	"exact_mu", "exact_m4_err", "exact_m4_zo_err", "exact_m5_err", "exact_m5_zo_err", "gaussian_mu", "gaussian_m4_err", "gaussian_m4_zo_err",
	"lap_mu", "lap_err", "lap_zo_err", "meanmap_mu", "meanmap_err", "meanmap_zo_err", "time_eval_s"}

// writeCurve writes net_curve.csv (one row per seed, k and step count) and
// the figures error_vs_net_steps.png (validation error before ZoomOut, as λ
// is tuned, of M4 and M5 with the network prior against its training steps,
// the references as flat lines) and loss_vs_net_steps.png (held-out and
// training loss), both mean ± 95% CI over seeds, log-x.
func writeCurve(dir string, rows []curveRow) error {
	if len(rows) == 0 {
		return nil
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.K != b.K {
			return a.K < b.K
		}
		if a.Seed != b.Seed {
			return a.Seed < b.Seed
		}
		return a.Steps < b.Steps
	})
	t := &results.Table{Columns: append([]string{"seed", "k", "steps"}, curveColumns...)}
	for _, r := range rows {
		row := []string{strconv.FormatUint(r.Seed, 10), strconv.Itoa(r.K), strconv.Itoa(r.Steps)}
		for _, c := range curveColumns {
			v, ok := r.V[c]
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, strconv.FormatFloat(v, 'g', 6, 64))
		}
		t.Rows = append(t.Rows, row)
	}
	b, err := t.CSV()
	if err != nil {
		return err
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "net_curve.csv"), b); err != nil {
		return err
	}
	errLines := [][2]string{{"m4_err", "M4 net prior, μ fixed"}, {"m4_best_err", "M4 net prior, best μ"}, {"m5_err", "M5 net prior, μ fixed"},
		{"exact_m4_err", "M4 exact prior"}, {"exact_m5_err", "M5 exact prior"}, {"gaussian_m4_err", "M4 Gaussian prior"},
		{"lap_err", "M1 Laplacian mask"}, {"meanmap_err", "M3 mean-map mask"}}
	if err := results.MetricVsParam(filepath.Join(dir, "error_vs_net_steps.png"), results.SweepPlot{
		Title:  "spectral-prior: validation error vs network prior steps (mean ± 95% CI over seeds)",
		XLabel: "Adam steps of the network prior", YLabel: "error ×100 before ZoomOut", LogX: true,
		Series: curveSeries(rows, errLines), YBounds: results.NonNegative,
	}); err != nil {
		return err
	}
	lossLines := [][2]string{{"val_loss", "held-out loss, net"}, {"train_loss", "training loss, net"},
		{"exact_val_loss", "held-out loss, exact prior"}, {"gaussian_val_loss", "held-out loss, Gaussian prior"}}
	return results.MetricVsParam(filepath.Join(dir, "loss_vs_net_steps.png"), results.SweepPlot{
		Title:  "spectral-prior: denoising loss vs network prior steps (mean ± 95% CI over seeds)",
		XLabel: "Adam steps of the network prior", YLabel: "EDM-weighted loss (sum over k² entries)", LogX: true, LogY: true,
		Series: curveSeries(rows, lossLines), YBounds: results.NonNegative,
	})
}

// curveSeries returns one series per (value, label) of lines and k: at
// each step count the values over seeds.
func curveSeries(rows []curveRow, lines [][2]string) []results.Series {
	var ks []int
	for _, r := range rows {
		if !slices.Contains(ks, r.K) {
			ks = append(ks, r.K)
		}
	}
	sort.Ints(ks)
	var out []results.Series
	for _, l := range lines {
		for _, k := range ks {
			name := l[1]
			if len(ks) > 1 {
				name += fmt.Sprintf(" (k = %d)", k)
			}
			s := results.Series{Name: name}
			idx := map[int]int{}
			for _, r := range rows {
				v, ok := r.V[l[0]]
				if r.K != k || !ok {
					continue
				}
				i, seen := idx[r.Steps]
				if !seen {
					i = len(s.X)
					idx[r.Steps] = i
					s.X = append(s.X, float64(r.Steps))
					s.Y = append(s.Y, nil)
				}
				s.Y[i] = append(s.Y[i], v)
			}
			if len(s.X) > 0 {
				out = append(out, s)
			}
		}
	}
	return out
}
