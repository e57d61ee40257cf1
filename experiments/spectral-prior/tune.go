package main

import (
	"context"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/experiments/internal"
	"genlab/matching"
	"genlab/matching/prior"
)

// tune picks, for each mask, the λ of its grid with the lowest mean raw
// geodesic error over the validation pairs × regimes (valProblems).
func tune(ctx context.Context, cfg Config, b *bundle) (map[string]float64, error) {
	grids := map[string][]float64{"lap": cfg.Tune.MuLap, "resolvent": cfg.Tune.MuRes, "meanmap": cfg.Tune.MuMean}
	for _, p := range cfg.Priors {
		grids["distilled_"+p] = cfg.Tune.MuDist
	}
	sums := map[string][]float64{}
	for k, g := range grids {
		sums[k] = make([]float64, len(g))
	}
	vps, err := valProblems(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, vp := range vps {
		for name, grid := range grids {
			m, pr := prior.Method(name), ""
			if strings.HasPrefix(name, "distilled_") {
				m, pr = prior.Distilled, strings.TrimPrefix(name, "distilled_")
			}
			var raw *mat.Dense
			if m.UsesPrior() {
				raw = vp.raw
			}
			w, _, err := b.solver(cfg, pr).Mask(m, vp.b1.Values, vp.b2.Values, cfg.K, raw, internal.NewRand(vp.ps, streamSolve))
			if err != nil {
				return nil, err
			}
			for gi, mu := range grid {
				c, err := matching.SolveFMap(vp.prob.A, vp.prob.B, w, mu)
				if err != nil {
					return nil, err
				}
				e, err := vp.ev.Errors(matching.P2PFromFMap(c, vp.b1, vp.b2, false))
				if err != nil {
					return nil, err
				}
				sums[name][gi] += matching.Mean(e)
			}
		}
	}
	out := map[string]float64{}
	for name, grid := range grids {
		best := 0
		for gi := range grid {
			if sums[name][gi] < sums[name][best] {
				best = gi
			}
		}
		out["mu_"+name] = grid[best]
		out["val_err_"+name] = 100 * sums[name][best] / float64(cfg.Tune.Pairs*len(cfg.Regimes))
	}
	return out, nil
}
