package diffusion

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/nn"
)

func newMLP(t testing.TB, seed uint64) nn.Model {
	t.Helper()
	m, err := nn.NewMLP(nn.MLPConfig{In: 2, Out: 2, Hidden: 64, Layers: 2, Fourier: 8}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func equalParams(a, b nn.Model) bool {
	pa, pb := nn.GetParams(a), nn.GetParams(b)
	for i := range pa {
		for j := range pa[i] {
			if pa[i][j] != pb[i][j] {
				return false
			}
		}
	}
	return true
}

var edm = Method{Kernel: Gaussian{}, Target: EDM{SigmaData: 1}, Sigma: DefaultLogNormal}

// Stopping after 60 steps and re-running to 120 from the checkpoint gives
// bit-identical weights, EMA and loss log to an uninterrupted 120-step run.
func TestTrainResumeIsExact(t *testing.T) {
	train := data.Moons.Sample(2000, rand.New(rand.NewPCG(1, 1)))
	dir := t.TempDir()
	cfg := TrainConfig{Steps: 120, Batch: 32, Seed: 9, EMAHalfLife: 500, EMARampup: 0.05, LogEvery: 20}

	full := newMLP(t, 3)
	c1 := cfg
	c1.CheckpointPath = filepath.Join(dir, "a.ckpt")
	r1, err := Train(context.Background(), full, train, edm, c1)
	if err != nil {
		t.Fatal(err)
	}

	part := newMLP(t, 3)
	c2 := cfg
	c2.CheckpointPath = filepath.Join(dir, "b.ckpt")
	c2.Steps = 60
	if _, err := Train(context.Background(), part, train, edm, c2); err != nil {
		t.Fatal(err)
	}
	resumed := newMLP(t, 3) // fresh weights: everything must come from the checkpoint
	c2.Steps = 120
	r2, err := Train(context.Background(), resumed, train, edm, c2)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Resumed != 60 {
		t.Fatalf("resumed from step %d, want 60", r2.Resumed)
	}
	if !equalParams(full, resumed) || !equalParams(r1.EMA, r2.EMA) {
		t.Fatal("resumed run differs from the uninterrupted run")
	}
	if r1.FinalLoss != r2.FinalLoss {
		t.Fatalf("final loss %v vs %v", r1.FinalLoss, r2.FinalLoss)
	}
}

// A non-finite loss stops the run with ErrNonFinite and leaves the last good
// checkpoint readable.
func TestTrainNaNKeepsLastGoodCheckpoint(t *testing.T) {
	good := data.Moons.Sample(500, rand.New(rand.NewPCG(1, 1)))
	path := filepath.Join(t.TempDir(), "c.ckpt")
	m := newMLP(t, 1)
	if _, err := Train(context.Background(), m, good, edm, TrainConfig{Steps: 40, Batch: 16, CheckpointPath: path, CheckpointEvery: 20}); err != nil {
		t.Fatal(err)
	}
	bad := mat.DenseCopyOf(good)
	for i := 0; i < 500; i++ {
		bad.Set(i, 0, math.NaN())
	}
	_, err := Train(context.Background(), m, bad, edm, TrainConfig{Steps: 80, Batch: 16, CheckpointPath: path, CheckpointEvery: 20})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		t.Fatalf("checkpoint unreadable after NaN stop: %v", err)
	}
	if ck.Step != 40 {
		t.Fatalf("checkpoint at step %d, want the last good 40", ck.Step)
	}
	for _, p := range ck.Params {
		for _, v := range p {
			if math.IsNaN(float64(v)) {
				t.Fatal("NaN in the kept checkpoint")
			}
		}
	}
}

func TestTrainCancelWritesCheckpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "c.ckpt")
	var seen int
	cfg := TrainConfig{Steps: 1000, Batch: 16, CheckpointPath: path, Progress: func(s int, loss float64) {
		seen = s
		if !(loss > 0) || math.IsInf(loss, 0) {
			t.Errorf("step %d: progress loss %v, want a positive finite loss", s, loss)
		}
		if s == 25 {
			cancel()
		}
	}}
	_, err := Train(ctx, newMLP(t, 1), data.Moons.Sample(100, rand.New(rand.NewPCG(1, 1))), edm, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	ck, err := nn.ReadCheckpoint(path)
	if err != nil || ck.Step != 25 || seen != 25 {
		t.Fatalf("checkpoint %v at step %v (seen %d)", err, ck, seen)
	}
}

// A short EDM run on the 8-Gaussian ring learns: the loss falls well below
// the level of the best linear denoiser for the same σ distribution, and Heun
// samples from the EMA network land on the ring's modes far more often than
// prior samples would.
func TestTrainLearnsRing(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	train := data.Ring8.Sample(8000, rng)
	sd := 1.43 // ≈ per-coordinate std of the ring
	m, err := nn.NewMLP(nn.MLPConfig{In: 2, Out: 2, Hidden: 128, Layers: 3, Fourier: 16}, rand.New(rand.NewPCG(4, 5)))
	if err != nil {
		t.Fatal(err)
	}
	meth := Method{Kernel: Gaussian{}, Target: EDM{SigmaData: sd}, Sigma: DefaultLogNormal}
	var losses []float64
	res, err := Train(context.Background(), m, train, meth, TrainConfig{
		Steps: 1500, Batch: 256, Seed: 1, Adam: nn.AdamConfig{LR: 2e-3, WarmupSteps: 100},
		EMAHalfLife: 20000, EMARampup: 0.1, LogEvery: 100,
		Record: func(step int, v map[string]float64) error { losses = append(losses, v["loss"]); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The best linear denoiser of data with covariance sd²·I is c_skip·x, so
	// the best linear F is 0 and its loss is E‖F*‖² = dim = 2 at every σ
	// (the F-target has unit variance per coordinate). A network must beat
	// it clearly; the untrained net (zero last layer) starts exactly there.
	if first := losses[0]; math.Abs(first-2) > 0.2 {
		t.Fatalf("initial loss %v, want ≈ 2 (the linear-denoiser level)", first)
	}
	if last := losses[len(losses)-1]; last > 0.7*2 {
		t.Fatalf("loss %v after 1500 steps (curve %v): not below the linear-denoiser level 1", last, losses)
	}
	den, err := NewNetDenoiser(res.EMA, meth.Target, 256)
	if err != nil {
		t.Fatal(err)
	}
	defer den.Close()
	x := PriorSamples(Gaussian{}, 800, 2, SigmaMax, 77)
	if _, err := Heun(context.Background(), den, x, KarrasSigmas(18, SigmaMin, SigmaMax, Rho), nil); err != nil {
		t.Fatal(err)
	}
	c := data.Ring8Centers()
	var near int
	var modes [8]int
	for i := 0; i < 800; i++ {
		for j := 0; j < 8; j++ {
			if math.Hypot(x.At(i, 0)-c.At(j, 0), x.At(i, 1)-c.At(j, 1)) < 4*data.Ring8Std {
				near++
				modes[j]++
				break
			}
		}
	}
	// Under a uniform law on [−3,3]² the 8 discs of radius 4·std cover 4%.
	if near < 560 {
		t.Fatalf("%d of 800 samples near a mode (modes %v)", near, modes)
	}
	for j, n := range modes {
		if n < 30 {
			t.Fatalf("mode %d has %d samples (modes %v)", j, n, modes)
		}
	}
}

// TestResumeKeepsFinalLoss: a run resumed after its last step (killed
// between the final checkpoint and result.json, or result.json deleted)
// reported FinalLoss = 0, and one resumed mid-window averaged only the
// resumed steps; both now report the uninterrupted run's value exactly.
func TestResumeKeepsFinalLoss(t *testing.T) {
	train := data.Moons.Sample(500, rand.New(rand.NewPCG(1, 1)))
	dir := t.TempDir()
	cfg := TrainConfig{Steps: 50, Batch: 16, Seed: 4, LogEvery: 20}
	c1 := cfg
	c1.CheckpointPath = filepath.Join(dir, "a.ckpt")
	r1, err := Train(context.Background(), newMLP(t, 3), train, edm, c1)
	if err != nil || r1.FinalLoss == 0 {
		t.Fatalf("%v, final loss %v", err, r1.FinalLoss)
	}
	again, err := Train(context.Background(), newMLP(t, 3), train, edm, c1) // after the last step
	if err != nil || again.Resumed != 50 || again.FinalLoss != r1.FinalLoss {
		t.Errorf("resumed after the end: step %d, final loss %v, want %v (%v)", again.Resumed, again.FinalLoss, r1.FinalLoss, err)
	}
	c2 := cfg
	c2.CheckpointPath = filepath.Join(dir, "b.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	c2.Progress = func(step int, _ float64) { // interrupted mid-window: the last window is steps 41…50
		if step == 47 {
			cancel()
		}
	}
	if _, err := Train(ctx, newMLP(t, 3), train, edm, c2); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	c2.Progress = nil
	r2, err := Train(context.Background(), newMLP(t, 3), train, edm, c2)
	if err != nil || r2.Resumed != 47 || r2.FinalLoss != r1.FinalLoss {
		t.Errorf("resumed mid-window: step %d, final loss %v, want %v (%v)", r2.Resumed, r2.FinalLoss, r1.FinalLoss, err)
	}
}
