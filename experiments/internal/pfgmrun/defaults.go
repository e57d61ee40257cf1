package pfgmrun

// DefaultTrain returns the training settings of a preset for data of the
// given dimension (the data, D and seed fields are left for the caller).
// Every D gets the same network, σ distribution, EMA and length.
//
// The hidden width is at least the data dimension N: on data near a
// low-dimensional subspace the denoiser must pass the noise of all N − 10
// normal directions through (D(x;σ) ≈ projection of x at small σ), and an
// MLP narrower than N cannot represent that near-identity map; its samples
// then carry N(0, σ_d²) noise in every normal direction whatever D is. The
// 1000-D two-cluster toy therefore needs width 1024, affordable only in the
// full preset; the default preset uses the same toy in 100-D.
func DefaultTrain(dim int, preset string) TrainConfig {
	c := TrainConfig{Fourier: 16, LR: 1e-3, GradClip: 1, CheckpointEvery: 500}
	switch preset {
	case "quick":
		c.NTrain, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 4000, 400, 128, 64, 2, 50
	case "default":
		c.NTrain, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 20000, 2000, 128, 64, 3, 200
		if dim >= 100 {
			c.Hidden, c.Layers = max(128, dim+dim/4), 2
		}
	default: // full
		c.NTrain, c.Steps, c.Batch, c.Hidden, c.Layers, c.Warmup = 50000, 20000, 256, 256, 4, 1000
		if dim >= 100 {
			c.Steps, c.Batch, c.Hidden, c.Layers = 10000, 128, max(256, dim+dim/4), 2
		}
	}
	// EMA half-life: a tenth of the samples seen (EDM ramps to 0.5 Mimg of
	// 200 Mimg; short runs need a relatively longer one to average at all).
	c.EMAHalfLife = float64(c.Steps*c.Batch) / 10
	return c
}

// GenSeed is the generation seed of a task seed: the prior of sample i is
// drawn from PCG(GenSeed(seed), i) at every D, so the latent directions are
// shared across D.
func GenSeed(seed uint64) uint64 { return seed*1000003 + 0x9e37 }
