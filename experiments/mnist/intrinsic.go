package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"

	"genlab/experiments/internal/mnistrun"
	"genlab/metrics"
	"genlab/results"
)

// The intrinsic-dimension estimate behind k* = N/(N+n): intrinsicPoints
// training digits (a fixed seeded draw; the quick preset uses
// quickIntrinsicPoints), the two-NN estimator and the
// Levina–Bickel MLE with intrinsicMLEK neighbours and intrinsicBoot
// bootstrap resamples.
const (
	intrinsicPoints      = 10000
	quickIntrinsicPoints = 1000
	intrinsicMLEK        = 20
	intrinsicBoot        = 200
	intrinsicSeed        = 11
	intrinsicCache       = "mnist-intrinsic"
)

// intrinsicCfg keys one cached estimate: the data, the resolution and the
// estimator settings.
type intrinsicCfg struct {
	Data   string `json:"data_sha256"`
	Res    int    `json:"res"`
	Points int    `json:"points"`
	MLEK   int    `json:"mle_k"`
	Boot   int    `json:"boot"`
	Seed   uint64 `json:"seed"`
}

// dimRow is one estimate of MNIST's intrinsic dimension n at side Res and
// the k-Diff optimum it implies, k* = N/(N+n) with N = Res², whose interval
// maps n's interval through the same decreasing function.
type dimRow struct {
	Res    int
	Method string
	metrics.DimEstimate
}

func (r dimRow) ambient() float64 { return float64(r.Res * r.Res) }

// kStar returns N/(N+n) at n.
func (r dimRow) kStar(n float64) float64 { return r.ambient() / (r.ambient() + n) }

// intrinsicDims estimates n at every side in res by two-NN and MLE on the
// same points training digits in [−1, 1], each cached under
// out/mnist-intrinsic by its data digest and settings so that a collect
// computes it once.
func intrinsicDims(out, digest string, sets *mnistrun.Sets, res []int, points int) ([]dimRow, error) {
	var rows []dimRow
	for _, r := range res {
		cfg := intrinsicCfg{Data: digest, Res: r, Points: points, MLEK: intrinsicMLEK, Boot: intrinsicBoot, Seed: intrinsicSeed}
		got, err := cachedDims(out, sets, cfg)
		if err != nil {
			return nil, fmt.Errorf("intrinsic dimension at %d²: %w", r, err)
		}
		for _, m := range []string{"two-nn", fmt.Sprintf("mle-k=%d", intrinsicMLEK)} {
			rows = append(rows, dimRow{Res: r, Method: m, DimEstimate: metrics.DimEstimate{
				Dim: got[m], Lo: got[m+"_lo"], Hi: got[m+"_hi"], N: int(got[m+"_points"]), Method: m}})
		}
	}
	return rows, nil
}

// cachedDims returns cfg's estimates from the cache, computing and storing
// them on a miss.
func cachedDims(out string, sets *mnistrun.Sets, cfg intrinsicCfg) (map[string]float64, error) {
	d, err := results.OpenCache(out, intrinsicCache, cfg)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if d.Done() {
		return d.Result()
	}
	got, err := estimateDims(sets, cfg)
	if err != nil {
		return nil, err
	}
	return got, d.WriteResult(got)
}

// estimateDims runs both estimators on cfg's digits.
func estimateDims(sets *mnistrun.Sets, cfg intrinsicCfg) (map[string]float64, error) {
	x, err := sets.TrainSample(cfg.Res, cfg.Points, cfg.Seed)
	if err != nil {
		return nil, err
	}
	tn, err := metrics.TwoNN(x)
	if err != nil {
		return nil, err
	}
	ml, err := metrics.MLEDim(x, cfg.MLEK, cfg.Boot, rand.New(rand.NewPCG(cfg.Seed, 1)))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, e := range []metrics.DimEstimate{tn, ml} {
		out[e.Method], out[e.Method+"_lo"], out[e.Method+"_hi"], out[e.Method+"_points"] = e.Dim, e.Lo, e.Hi, float64(e.N)
	}
	return out, nil
}

// kResolutions returns the sides of the rows with a k-Diff target, sorted.
func kResolutions(t *results.Table) []int {
	seen := map[int]bool{}
	for i := range t.Rows {
		if t.Get(i, "target") == "k" {
			seen[atoi(t.Get(i, "res"))] = true
		}
	}
	out := make([]int, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Ints(out)
	return out
}

// writeIntrinsic writes the estimates and their k* as intrinsic.csv.
func writeIntrinsic(dir string, rows []dimRow) error {
	if len(rows) == 0 {
		return nil
	}
	t := &results.Table{Columns: []string{"res", "ambient_N", "method", "points", "n", "n_lo", "n_hi", "k_star", "k_star_lo", "k_star_hi"}}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{strconv.Itoa(r.Res), g(r.ambient()), r.Method, strconv.Itoa(r.N),
			g(r.Dim), g(r.Lo), g(r.Hi), g(r.kStar(r.Dim)), g(r.kStar(r.Hi)), g(r.kStar(r.Lo))})
	}
	b, err := t.CSV()
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "intrinsic.csv"), b)
}

// kVsS draws the learned k against s = 1/(1+σ): the per-σ schedule k(s) at
// its knots and the single learned k as a flat line (mean and 95% CI over
// seeds), one pair per network, resolution, D and loss space, with k* of
// every estimate as a reference line. Nothing is drawn without learned-k
// rows.
func kVsS(path string, t *results.Table, dims []dimRow) error {
	var lines results.Groups
	for i := range t.Rows {
		kv := t.Get(i, "k")
		if t.Get(i, "target") != "k" || (kv != "learn" && kv != "learn-s") {
			continue
		}
		name := fmt.Sprintf("%s %d² D=%s %s-loss", t.Get(i, "net"), atoi(t.Get(i, "res")), t.Get(i, "D"), t.Get(i, "loss"))
		var knots []float64
		for j := 0; ; j++ {
			v, err := t.Float(i, fmt.Sprintf("k_knot%d", j))
			if err != nil {
				break
			}
			knots = append(knots, v)
		}
		if kv == "learn-s" {
			for j, v := range knots {
				lines.Add(name+", learned k(s)", float64(j)/float64(len(knots)-1), v)
			}
			continue
		}
		kf, err := t.Float(i, "k_final")
		if err != nil {
			continue
		}
		lines.Add(name+", learned k (one)", 0, kf)
		lines.Add(name+", learned k (one)", 1, kf)
	}
	series := lines.Series()
	if len(series) == 0 {
		return nil
	}
	var refs []results.RefLine
	for _, r := range dims {
		refs = append(refs, results.RefLine{Y: r.kStar(r.Dim),
			Label: fmt.Sprintf("k* = N/(N+n), %d², %s n = %.1f", r.Res, r.Method, r.Dim)})
	}
	return results.MetricVsParam(path, results.SweepPlot{
		Title:  "MNIST: learned k against s = 1/(1+σ) (mean ± 95% CI over seeds)",
		XLabel: "s = 1/(1+σ)  (0: pure noise, 1: clean)", YLabel: "k (0 = ε, ½ = v, 1 = x)",
		Series: series, YBounds: results.UnitRange, Refs: refs,
	})
}
