package main

import (
	"genlab/experiments/internal"
	"genlab/householder/gan"
)

// Config is the resolved configuration of one task; its canonical JSON is
// hashed into the task key.
type Config struct {
	Seed            uint64   `json:"seed"`
	GenRev          int      `json:"gen_rev"` // genRevision when the task was run: a new revision reruns every task and G0
	K               int      `json:"k"`
	FinetuneFrac    float64  `json:"finetune_frac"`
	Init            string   `json:"init"`
	Arms            []string `json:"arms"`
	ZDim            int      `json:"z_dim"`
	WDim            int      `json:"w_dim"`
	MapHidden       int      `json:"map_hidden"`
	MapLRMul        float64  `json:"map_lr_mul"`
	ConstCh         int      `json:"const_ch"`
	Channels        []int    `json:"channels"`
	DChannels       []int    `json:"d_channels"`
	HPLayers        []int    `json:"hp_layers"`
	Batch           int      `json:"batch"`
	PretrainIters   int      `json:"pretrain_iters"`
	LR              float64  `json:"lr"`
	Beta2           float64  `json:"beta2"`
	R1Gamma         float64  `json:"r1_gamma"`
	R1Every         int      `json:"r1_every"`
	EMAHalfLife     float64  `json:"ema_halflife"`
	EMARampup       float64  `json:"ema_rampup"`
	CheckpointEvery int      `json:"checkpoint_every"`
	Psi             float64  `json:"psi"`
	TargetRMS       float64  `json:"target_rms"`
	MaxAlpha        float64  `json:"max_alpha"`
	EvalCodes       int      `json:"eval_codes"`
	EvalBatch       int      `json:"eval_batch"`
	MetricSamples   int      `json:"metric_samples"`
	PathPairs       int      `json:"path_pairs"`
	FeatSteps       int      `json:"feat_steps"`
	// StyleGAN2's style mixing, path-length regulariser and noise inputs
	// (gan.TrainConfig, gan.GenConfig); their zero values, the presets'
	// defaults, are left out of the JSON, so task keys from before they
	// existed stay valid.
	MixProb  float64 `json:"mix_prob,omitempty"`
	PLWeight float64 `json:"pl_weight,omitempty"`
	PLEvery  int     `json:"pl_every,omitempty"`
	PLDecay  float64 `json:"pl_decay,omitempty"`
	Noise    bool    `json:"noise,omitempty"`
}

func (c Config) gen() gan.GenConfig {
	return gan.GenConfig{ZDim: c.ZDim, WDim: c.WDim, MapHidden: c.MapHidden, MapLRMul: c.MapLRMul,
		ConstCh: c.ConstCh, Channels: c.Channels, Noise: c.Noise}
}

// maxK is the largest valid rank: min over HP layers of (C, d).
func (c Config) maxK() int {
	k := c.WDim
	for _, l := range c.HPLayers {
		cin := c.ConstCh
		if b := l / 3; b > 0 {
			cin = c.Channels[b-1]
		}
		if l%3 != 0 {
			cin = c.Channels[l/3]
		}
		k = min(k, cin)
	}
	return k
}

func (c Config) train() gan.TrainConfig {
	return gan.TrainConfig{Batch: c.Batch, LR: c.LR, Beta2: c.Beta2, R1Gamma: c.R1Gamma, R1Every: c.R1Every,
		EMAHalfLife: c.EMAHalfLife, EMARampup: c.EMARampup,
		MixProb: c.MixProb, PLWeight: c.PLWeight, PLEvery: c.PLEvery, PLDecay: c.PLDecay}
}

// allArms lists the arms in report order.
var allArms = []string{"sefa", "ganspace", "random", "ftplain", "hp", "hprot", "hpscratch"}

// preset returns the base configuration of a preset.
// genRevision numbers the generator/trainer code whose weights a task and
// its cached G0 describe. 2: demodulation sums one axis at a time (gorgonia's
// two-axis Sum summed overlapping windows, so G was not StyleGAN2's and its
// conv gradients were off) and R1's gradient is exact (the finite-difference
// Hessian-vector product it replaces was wrong across leaky-ReLU kinks).
// Revision 1 (before) had no field; its results and caches never load now.
const genRevision = 2

func preset(p internal.Preset) Config {
	c := Config{GenRev: genRevision, ZDim: 8, WDim: 16, MapHidden: 64, MapLRMul: 0.01, LR: 2e-3, Beta2: 0.99, R1Gamma: 1, R1Every: 16,
		EMAHalfLife: 10000, EMARampup: 0.05, Psi: 0.7, TargetRMS: 0.05, MaxAlpha: 50,
		HPLayers: []int{0, 3}, Init: "random", K: 5, FinetuneFrac: 0.1, Arms: allArms}
	switch p {
	case internal.Quick:
		c.ConstCh, c.Channels, c.DChannels = 8, []int{8, 8, 4}, []int{4, 8, 8, 8}
		c.Batch, c.PretrainIters, c.CheckpointEvery = 8, 20, 10
		c.EvalCodes, c.EvalBatch, c.MetricSamples, c.PathPairs, c.K, c.FeatSteps = 16, 16, 96, 16, 3, 100
	case internal.Default:
		c.ConstCh, c.Channels, c.DChannels = 16, []int{16, 16, 8}, []int{8, 16, 32, 32}
		// Trials on one core (docs/REPRODUCTION.md): at lr 2e-3 and γ = 1 G0
		// was still far from the data after 1500 iterations; lr 3e-3 with
		// γ = 0.1 learned fastest of the settings tried.
		c.LR, c.R1Gamma = 3e-3, 0.1
		c.Batch, c.PretrainIters, c.CheckpointEvery = 16, 2000, 100
		c.EvalCodes, c.EvalBatch, c.MetricSamples, c.PathPairs, c.FeatSteps = 96, 32, 1500, 256, 1500
	case internal.Full:
		c.ConstCh, c.Channels, c.DChannels = 32, []int{32, 32, 16}, []int{16, 32, 32, 32}
		c.Batch, c.PretrainIters, c.CheckpointEvery = 32, 30000, 1000
		c.EvalCodes, c.EvalBatch, c.MetricSamples, c.PathPairs, c.FeatSteps = 512, 64, 10000, 2000, 3000
	}
	return c
}

// orderArms returns the arms of v in report order (allArms), once each.
func orderArms(v []string) []string {
	set := map[string]bool{}
	for _, a := range v {
		set[a] = true
	}
	var out []string
	for _, a := range allArms {
		if set[a] {
			out = append(out, a)
		}
	}
	return out
}
