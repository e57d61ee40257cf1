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
// geodesic error over the validation pairs × regimes.
func tune(ctx context.Context, cfg Config, b *bundle) (map[string]float64, error) {
	grids := map[string][]float64{"lap": cfg.Tune.MuLap, "resolvent": cfg.Tune.MuRes, "meanmap": cfg.Tune.MuMean}
	for _, p := range cfg.Priors {
		grids["distilled_"+p] = cfg.Tune.MuDist
	}
	sums := map[string][]float64{}
	for k, g := range grids {
		sums[k] = make([]float64, len(g))
	}
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
			for name, grid := range grids {
				m, pr := prior.Method(name), ""
				if strings.HasPrefix(name, "distilled_") {
					m, pr = prior.Distilled, strings.TrimPrefix(name, "distilled_")
				}
				s := b.solver(cfg, pr)
				var raw *mat.Dense
				if m.UsesPrior() {
					if raw, err = matching.SolveFMap(prob.A, prob.B, nil, 0); err != nil {
						return nil, err
					}
				}
				w, _, err := s.Mask(m, pd.b1.Values, b2.Values, cfg.K, raw, internal.NewRand(ps, streamSolve))
				if err != nil {
					return nil, err
				}
				for gi, mu := range grid {
					c, err := matching.SolveFMap(prob.A, prob.B, w, mu)
					if err != nil {
						return nil, err
					}
					e, err := ev.Errors(matching.P2PFromFMap(c, pd.b1, b2, false))
					if err != nil {
						return nil, err
					}
					sums[name][gi] += matching.Mean(e)
				}
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
