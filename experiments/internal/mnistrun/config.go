package mnistrun

import (
	"math"

	"genlab/experiments/internal"
	"genlab/pfgm"
)

// Config is the resolved configuration of one mnist task; its canonical JSON
// is hashed into the task key.
type Config struct {
	Seed        uint64  `json:"seed"`
	Data        string  `json:"data_sha256"` // data.MNISTDigest of the idx files: a -data-dir is hashed by content, not by path
	Net         string  `json:"net"`         // mlp or unet
	Res         int     `json:"res"`         // 28, 14 or 7
	D           AugD    `json:"D"`           // PFGM++ augmented dimensions; +Inf is EDM
	Target      string  `json:"target"`
	K           string  `json:"k,omitempty"`    // k-Diff target parameter (a number in [0,1], "learn" or "learn-s"); set when Target is "k"
	Loss        string  `json:"loss,omitempty"` // k-Diff loss space (u, v or x), with K
	SigmaData   float64 `json:"sigma_data"`
	NTrain      int     `json:"n_train"` // training images (0: all 60,000)
	NEval       int     `json:"n_eval"`  // generated (and real, and floor) samples for the final metrics
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	EMAHalfLife float64 `json:"ema_halflife"`
	Hidden      int     `json:"hidden"`   // MLP
	Layers      int     `json:"layers"`   // MLP
	Fourier     int     `json:"fourier"`  // MLP noise embedding pairs
	Channels    int     `json:"channels"` // U-Net base width
	HeunSteps   []int   `json:"heun_steps"`
	EvalEvery   int     `json:"eval_every"` // steps between fid_lenet evaluations during training
	EvalN       int     `json:"eval_n"`     // samples per evaluation during training (at most NEval)
	Quick       bool    `json:"quick"`      // the quick preset: fewer samples than the standard 10,000
	RefRev      int     `json:"ref_rev"`    // refRevision when the task was run (a new revision reruns every task)
}

// refRevision numbers how the reference digits are chosen. 2: a fixed
// seeded draw of the test split (RefIndices). Revision 1 (no field) scored
// N < 10,000 samples against the first N test digits, the cleaner writers.
const refRevision = 2

// AugD is a PFGM++ augmented dimension D (+Inf: EDM), parsed once at the
// -D flag and passed as a number to the kernel. In a config's JSON it is the
// string pfgm.FormatD writes ("128", "inf"), as mnist task keys have always
// hashed it.
type AugD float64

// MarshalText implements encoding.TextMarshaler.
func (d AugD) MarshalText() ([]byte, error) { return []byte(pfgm.FormatD(float64(d))), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *AugD) UnmarshalText(b []byte) error {
	v, err := pfgm.ParseD(string(b))
	if err != nil {
		return err
	}
	*d = AugD(v)
	return nil
}

// Preset returns the base configuration of a preset.
func Preset(p internal.Preset) Config {
	c := Config{Net: "mlp", Res: 14, D: AugD(math.Inf(1)), Target: "edm", SigmaData: 0.5, LR: 1e-3, Warmup: 500,
		Fourier: 64, Channels: 32, HeunSteps: []int{18}, RefRev: refRevision}
	switch p {
	case internal.Quick:
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 4000, 500, 400, 64, 256, 3
		c.Warmup, c.EMAHalfLife, c.EvalEvery, c.EvalN = 100, 5000, 200, 250
		c.HeunSteps = []int{12}
		c.Quick = true
	case internal.Default:
		// The U-Net (ch 32, 14²) by the trials in docs/REPRODUCTION.md: batch
		// 128 and lr 1e-3 beat batch 64 and lr 5e-4 per sample seen (8,000
		// steps: fid_lenet 10.4 at NFE 35 on seed 0, still falling), so the
		// default trains 12,000 steps (≈ 25 min on 2 idle cores). Hidden and
		// Layers (MLP) stay in the config so -net mlp keeps its old default.
		c.Net = "unet"
		c.NTrain, c.NEval, c.Steps, c.Batch, c.Hidden, c.Layers = 0, 10000, 12000, 128, 512, 4
		c.EMAHalfLife, c.EvalEvery, c.EvalN = 100000, 1000, 2000
		c.HeunSteps = []int{18, 3, 6, 10, 25}
	case internal.Full:
		c.Net, c.Res = "unet", 28
		c.NTrain, c.NEval, c.Steps, c.Batch = 0, 10000, 40000, 64
		c.EMAHalfLife, c.EvalEvery, c.EvalN, c.LR = 500000, 5000, 2000, 2e-4
		c.HeunSteps = []int{18, 6, 10, 32}
	}
	return c
}
