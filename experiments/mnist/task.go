package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/fidlenet"
	"genlab/kdiff"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

// Config is the resolved configuration of one mnist task; its canonical JSON
// is hashed into the task key.
type Config struct {
	Seed        uint64  `json:"seed"`
	Data        string  `json:"data_sha256"` // data.MNISTDigest of the idx files: a -data-dir is hashed by content, not by path
	Net         string  `json:"net"`         // mlp or unet
	Res         int     `json:"res"`         // 28, 14 or 7
	D           string  `json:"D"`           // PFGM++ augmented dimensions; "inf" is EDM
	Target      string  `json:"target"`
	K           string  `json:"k,omitempty"`    // k-Diff target parameter (a number in [0,1] or "learn"); set when Target is "k"
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
}

// The random streams of a task.
const (
	streamSubset = iota + 1
	streamInit
	streamFloor
	streamKID
)

// sets holds the MNIST splits (28×28) and, per (resolution, N), the
// evaluator over the first N test images, built once per process and shared
// by the tasks running at once (-jobs).
type sets struct {
	train, test *data.Images
	mu          sync.Mutex
	evals       map[[2]int]*sharedEval
}

// sharedEval is a fidlenet.Evaluator that tasks running at once share: its
// feature extractor keeps scratch buffers, so one call runs at a time.
type sharedEval struct {
	mu sync.Mutex
	ev *fidlenet.Evaluator
}

// FID is fidlenet.Evaluator.FID.
func (s *sharedEval) FID(fake *data.Images) (float64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ev.FID(fake)
}

// Evaluate is fidlenet.Evaluator.Evaluate.
func (s *sharedEval) Evaluate(fake *data.Images, rng *rand.Rand) (fidlenet.Metrics, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ev.Evaluate(fake, rng)
}

// WeightsSHA256 is fidlenet.Evaluator.WeightsSHA256.
func (s *sharedEval) WeightsSHA256() string { return s.ev.WeightsSHA256() }

func loadSets(dir string) (*sets, error) {
	train, err := data.LoadMNIST(dir, data.MNISTTrain)
	if err != nil {
		return nil, err
	}
	test, err := data.LoadMNIST(dir, data.MNISTTest)
	if err != nil {
		return nil, err
	}
	return &sets{train: train, test: test, evals: map[[2]int]*sharedEval{}}, nil
}

func resize(im *data.Images, res int) *data.Images {
	if res == im.H {
		return im
	}
	return im.Downsample(im.H / res)
}

func (s *sets) evaluator(res, n int) (*sharedEval, *data.Images, error) {
	if n > s.test.N {
		return nil, nil, fmt.Errorf("n_eval %d exceeds the %d test images", n, s.test.N)
	}
	real := resize(s.test.Head(n), res)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.evals[[2]int{res, n}]; ok {
		return e, real, nil
	}
	e, err := fidlenet.NewEvaluator(real)
	if err != nil {
		return nil, nil, err
	}
	se := &sharedEval{ev: e}
	s.evals[[2]int{res, n}] = se
	return se, real, nil
}

// kernel returns the noise kernel of D ("inf": Gaussian).
func kernel(d string) (diffusion.Kernel, error) {
	v, err := pfgm.ParseD(d)
	if err != nil {
		return nil, err
	}
	k := pfgm.Kernel{D: v}
	if k.Gaussian() {
		return diffusion.Gaussian{}, nil
	}
	return k, nil
}

// parseTarget returns the training target of cfg: a named EDM-core target
// (edm, eps, v, x) or, for Target "k", the k-Diff bridge with k = cfg.K
// (a learned k starts at ½) and loss space cfg.Loss.
func parseTarget(cfg Config) (diffusion.Target, error) {
	if cfg.Target != "k" {
		return diffusion.ParseTarget(cfg.Target, cfg.SigmaData)
	}
	k, err := kdiff.ParseK(cfg.K)
	if err != nil {
		return nil, err
	}
	loss, err := kdiff.ParseLossSpace(cfg.Loss)
	if err != nil {
		return nil, err
	}
	return kdiff.NewBridge(k, loss, 0.5, kdiff.DefaultKLR), nil
}

// sample draws n samples by Heun with steps steps from per-sample prior
// seeds (diffusion.PriorSamples), so sample i does not depend on n or on the
// batch size. It returns the samples and the number of network evaluations.
func sample(ctx context.Context, m nn.Model, t diffusion.Target, k diffusion.Kernel, n, dim, steps int, seed uint64) (*mat.Dense, int, error) {
	den, err := diffusion.NewNetDenoiser(m, t, 250)
	if err != nil {
		return nil, 0, err
	}
	defer den.Close()
	x := diffusion.PriorSamples(k, n, dim, diffusion.SigmaMax, seed)
	nfe, err := diffusion.Heun(ctx, den, x, diffusion.KarrasSigmas(steps, diffusion.SigmaMin, diffusion.SigmaMax, diffusion.Rho), nil)
	return x, nfe, err
}

// gridImages returns the first 64 images of im as rows of values in [−1, 1].
func gridImages(im *data.Images) [][]float64 {
	n := min(64, im.N)
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, im.Dim())
		for j, p := range im.Image(i) {
			out[i][j] = data.PixelToUnit(p)
		}
	}
	return out
}

// runTask trains, samples and evaluates one configuration in dir.
func runTask(ctx context.Context, cfg Config, s *sets, dir *results.Dir, log io.Writer, bar internal.Progress) (map[string]float64, error) {
	t0 := time.Now()
	rs := func(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, stream)) }
	train := s.train
	if cfg.NTrain > 0 && cfg.NTrain < train.N {
		train = train.Subset(rs(streamSubset).Perm(train.N)[:cfg.NTrain])
	}
	trainR := resize(train, cfg.Res)
	X := trainR.Unit()
	dim := cfg.Res * cfg.Res

	target, err := parseTarget(cfg)
	if err != nil {
		return nil, err
	}
	k, err := kernel(cfg.D)
	if err != nil {
		return nil, err
	}
	var model nn.Model
	switch cfg.Net {
	case "mlp":
		model, err = nn.NewMLP(nn.MLPConfig{In: dim, Out: dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Fourier: cfg.Fourier}, rs(streamInit))
	case "unet":
		model, err = nn.NewUNet(nn.UNetConfig{C: 1, H: cfg.Res, W: cfg.Res, Channels: cfg.Channels}, rs(streamInit))
	default:
		err = fmt.Errorf("unknown net %q", cfg.Net)
	}
	if err != nil {
		return nil, err
	}
	ev, real, err := s.evaluator(cfg.Res, cfg.NEval)
	if err != nil {
		return nil, err
	}
	meth := diffusion.Method{Kernel: k, Target: target, Sigma: diffusion.DefaultLogNormal}
	genSeed := cfg.Seed*1000003 + 17
	evalSeed := cfg.Seed*1000003 + 0x5eed // checkpoint evaluations: other prior draws than the headline

	// Steps whose fid_lenet is already in metrics.jsonl (a resumed run).
	done := map[int]bool{}
	if prev, err := results.ReadMetrics(dir.Path("metrics.jsonl")); err == nil {
		for _, st := range prev {
			if _, ok := st.Values["fid_lenet_eval"]; ok {
				done[st.Step] = true
			}
		}
	}

	// Train in segments ending at each evaluation step; each call of the
	// one training loop resumes from the checkpoint the previous one wrote.
	var tr *diffusion.Trained
	var trainSec, evalSec float64
	resumedFrom := -1
	every := cfg.EvalEvery
	if every <= 0 || every > cfg.Steps {
		every = cfg.Steps
	}
	for end := min(every, cfg.Steps); ; end = min(end+every, cfg.Steps) {
		t1 := time.Now()
		tr, err = diffusion.Train(ctx, model, X, meth, diffusion.TrainConfig{
			Steps: end, Batch: cfg.Batch, Seed: cfg.Seed,
			Adam:        nn.AdamConfig{LR: cfg.LR, WarmupSteps: cfg.Warmup},
			EMAHalfLife: cfg.EMAHalfLife, EMARampup: 0.05,
			CheckpointPath: dir.Path("checkpoint.bin"), CheckpointEvery: 500,
			LogEvery: 50,
			Record:   dir.RecordValues,
			Progress: internal.TrainStep(bar),
		})
		if err != nil {
			return nil, err
		}
		trainSec += time.Since(t1).Seconds()
		if resumedFrom < 0 {
			resumedFrom = tr.Resumed
		}
		if evalN := min(cfg.EvalN, cfg.NEval); !done[end] && evalN > 3 {
			t2 := time.Now()
			bar.Phase(fmt.Sprintf("evaluate step %d", end))
			x, _, err := sample(ctx, tr.EMA, target, k, evalN, dim, cfg.HeunSteps[0], evalSeed)
			if err != nil {
				return nil, err
			}
			fid, err := ev.FID(data.QuantizeUnit(x, cfg.Res, cfg.Res))
			if err != nil {
				return nil, err
			}
			if err := dir.Record(results.Step{Step: end, Values: map[string]float64{"fid_lenet_eval": fid}}); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "mnist: step %d: fid_lenet %.3f (N = %d)\n", end, fid, evalN)
			evalSec += time.Since(t2).Seconds()
		}
		if end == cfg.Steps {
			break
		}
		bar.Phase("train")
	}

	res := map[string]float64{
		"final_loss": tr.FinalLoss, "train_seconds": trainSec, "ckpt_eval_seconds": evalSec,
		"resumed_from": float64(resumedFrom), "n_eval": float64(cfg.NEval),
	}
	if cfg.Quick {
		res["quick"] = 1
	}
	if b, ok := target.(*kdiff.Bridge); ok {
		res["k_final"] = b.KValue() // the fixed k, or where the learned k ended
	}
	info, err := fidlenet.ShippedInfo()
	if err != nil {
		return nil, err
	}
	res["lenet_test_accuracy"] = info.TestAccuracy

	// Headline samples and the other NFEs.
	for i, n := range cfg.HeunSteps {
		bar.Phase(fmt.Sprintf("sample NFE %d", 2*n-1))
		t1 := time.Now()
		x, nfe, err := sample(ctx, tr.EMA, target, k, cfg.NEval, dim, n, genSeed)
		if err != nil {
			return nil, err
		}
		sec := time.Since(t1).Seconds()
		q := data.QuantizeUnit(x, cfg.Res, cfg.Res)
		if i == 0 {
			res["nfe"] = float64(nfe)
			res["sample_seconds"] = sec
			t2 := time.Now()
			m, err := ev.Evaluate(q, rs(streamKID))
			if err != nil {
				return nil, err
			}
			for key, v := range m.Flat("") {
				res[key] = v
			}
			res[fmt.Sprintf("nfe%d_fid_lenet", nfe)] = m.FIDLeNet
			res["eval_seconds"] = time.Since(t2).Seconds()
			if err := results.ImageGridRange(dir.Path("samples.png"), gridImages(q), cfg.Res, cfg.Res, 8, 8, -1, 1); err != nil {
				return nil, err
			}
			if err := dir.WriteNPYUint8(results.SamplesFile, q.Pix, q.N, q.H, q.W); err != nil {
				return nil, err
			}
			continue
		}
		fid, err := ev.FID(q)
		if err != nil {
			return nil, err
		}
		res[fmt.Sprintf("nfe%d_fid_lenet", nfe)] = fid
	}

	// The floor: training digits against the same test digits, same N.
	bar.Phase("evaluate: floor")
	floor := resize(s.train.Subset(rs(streamFloor).Perm(s.train.N)[:cfg.NEval]), cfg.Res)
	fm, err := ev.Evaluate(floor, rs(streamKID))
	if err != nil {
		return nil, err
	}
	for key, v := range fm.Flat("floor_") {
		res[key] = v
	}

	// Pictures and the feature network's record.
	if err := results.ImageGridRange(dir.Path("real.png"), gridImages(real), cfg.Res, cfg.Res, 8, 8, -1, 1); err != nil {
		return nil, err
	}
	steps, err := results.ReadMetrics(dir.Path("metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	if err := results.LossCurve(dir.Path("loss.png"), steps, "loss", true); err != nil {
		return nil, err
	}
	var fidCurve results.Series
	fidCurve.Name = fmt.Sprintf("fid_lenet (N = %d)", min(cfg.EvalN, cfg.NEval))
	for _, st := range steps {
		if v, ok := st.Values["fid_lenet_eval"]; ok {
			fidCurve.X = append(fidCurve.X, float64(st.Step))
			fidCurve.Y = append(fidCurve.Y, []float64{v})
		}
	}
	if len(fidCurve.X) > 0 {
		if err := results.MetricVsParam(dir.Path("fid_steps.png"), results.SweepPlot{
			Title: "fid_lenet over training (EMA weights)", XLabel: "step", YLabel: "fid_lenet", YBounds: results.NonNegative,
			Series: []results.Series{fidCurve},
		}); err != nil {
			return nil, err
		}
	}
	rec, err := json.MarshalIndent(map[string]any{
		"weights_sha256": ev.WeightsSHA256(), "test_accuracy": info.TestAccuracy,
		"config": info.Config, "n": cfg.NEval, "quick": cfg.Quick,
		"note": "fid_lenet: Fréchet distance of fidlenet penultimate features (not Inception FID)",
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(dir.Path("fidlenet.json"), append(rec, '\n')); err != nil {
		return nil, err
	}
	res["total_seconds"] = time.Since(t0).Seconds()
	return res, nil
}
