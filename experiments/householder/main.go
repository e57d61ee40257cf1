// Command householder compares the Householder projector (HP, Song et al.
// ICCV 2023) with SeFa, GANSpace and random directions on a small
// style-based GAN trained on Sprites-5 (32×32 ellipses with five known
// factors): per arm the intervention matrix and its scores, MIG, DCI and
// the FactorVAE score from measured factors, Fréchet distance on measured
// factors, and pixel-L2 PPL/PIPL analogues, with traversal grids and
// heatmaps.
//
//	go run ./experiments/householder -preset quick
//	go run ./experiments/householder -preset default
//	go run ./experiments/householder -k 3,5,8,16 -finetune-frac 0.01,0.05,0.1 -init random,svd
package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"genlab/experiments/internal"
	"genlab/results"
)

const experiment = "householder"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	arms := internal.Strings{Allowed: allArms}
	fs.Var(&arms, "arms", "comma list of arms: "+strings.Join(allArms, ", "))
	ks := internal.Ints{}
	fs.Var(&ks, "k", "comma list of projector ranks k (1 ≤ k ≤ min(C, d) of the HP layers)")
	fracs := internal.Floats{}
	fs.Var(&fracs, "finetune-frac", "comma list of fine-tuning lengths as fractions of the pre-training iterations")
	inits := internal.Strings{Allowed: []string{"random", "svd"}}
	fs.Var(&inits, "init", "comma list of projector initialisations: random, svd")
	iters := fs.Int("iters", 0, "pre-training iterations T (0: the preset's)")
	mixProb := fs.Float64("mix-prob", 0, "StyleGAN2 style-mixing probability in [0, 1] (spec: 0.9; 0: off)")
	plWeight := fs.Float64("pl-weight", 0, "StyleGAN2 path-length regulariser weight, lazy every 4 iterations, decay 0.01 (spec: 2; 0: off)")
	noise := fs.Bool("noise", false, "StyleGAN2 per-pixel noise inputs in the generator")
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base := preset(common.Preset)
	if common.Preset == internal.Quick && !internal.IsSet(fs, "seeds") {
		common.Seeds = internal.Seeds{0}
	}
	if len(arms.Values) > 0 {
		base.Arms = orderArms(arms.Values)
	}
	if *iters < 0 {
		return internal.Usagef("-iters %d: must be ≥ 0", *iters)
	}
	if *iters > 0 {
		base.PretrainIters = *iters
	}
	base.MixProb, base.Noise = *mixProb, *noise
	if *plWeight > 0 {
		base.PLWeight, base.PLEvery, base.PLDecay = *plWeight, 4, 0.01
	}
	kmax := base.maxK()
	if len(ks) == 0 {
		ks = internal.Ints{base.K}
	}
	for _, k := range ks {
		if k < 1 || k > kmax {
			return internal.Usagef("-k %d: must be in [1, %d] (min of the HP layers' widths C and d)", k, kmax)
		}
	}
	if len(fracs) == 0 {
		fracs = internal.Floats{base.FinetuneFrac}
	}
	for _, f := range fracs {
		if !(f > 0) || f > 10 {
			return internal.Usagef("-finetune-frac %g: must be in (0, 10]", f)
		}
	}
	if len(inits.Values) == 0 {
		inits.Values = []string{base.Init}
	}
	tasks, err := internal.Expand(base,
		internal.Values("k", []int(ks), func(c *Config, v int) { c.K = v }),
		internal.Values("finetune_frac", []float64(fracs), func(c *Config, v float64) { c.FinetuneFrac = v }),
		internal.Values("init", inits.Values, func(c *Config, v string) { c.Init = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"bars_mig.png", "bars_*.png"}
	cache := filepath.Join(r.Out, experiment+"-cache")
	if !common.Plan {
		if err := results.MarkCache(cache); err != nil { // G0/FeatNet checkpoints, not an experiment
			return err
		}
	}
	err = internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		return runTask(ctx, t.Config, d, cache, stderr)
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(filepath.Join(r.Out, experiment), t)
	})
}
