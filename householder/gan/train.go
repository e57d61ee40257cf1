package gan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"genlab/data"
	"genlab/nn"
)

// RealBatch renders n fresh sprites (data.SpriteSet) as pixels in [−1, 1].
func RealBatch(n int, rng *rand.Rand) []float32 {
	imgs, _ := data.SpriteSet(n, false, rng)
	return Pixels(imgs)
}

// Pixels maps images with values in [0, 1] to one slice of pixels in
// [−1, 1], image after image.
func Pixels(imgs [][]float64) []float32 {
	out := make([]float32, 0, len(imgs)*data.SpriteSize*data.SpriteSize)
	for _, im := range imgs {
		for _, v := range im {
			out = append(out, float32(2*v-1))
		}
	}
	return out
}

// Train runs t on sprites (RealBatch) until t.Iter = iters. It resumes from
// the checkpoint at path when one exists, and writes it every `every`
// iterations, at iters, and on cancellation (then it returns ctx.Err()).
// Iteration i draws its batch and latents from PCG(seed, stream·2³² + i), so
// a resumed run repeats the uninterrupted run's draws. onStep, if not nil,
// is called after every iteration with the new t.Iter; its error stops the
// run. A failed step returns its error and leaves the last good checkpoint
// on disk.
func (t *GAN) Train(ctx context.Context, iters, every int, path string, seed, stream uint64,
	onStep func(it int, st StepStats) error) error {
	if _, err := os.Stat(path); err == nil {
		c, err := nn.ReadCheckpoint(path)
		if err != nil {
			return err
		}
		if err := t.Restore(c); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	save := func() error {
		c, err := t.Checkpoint()
		if err != nil {
			return err
		}
		return nn.WriteCheckpoint(path, c)
	}
	for t.Iter < iters {
		if err := ctx.Err(); err != nil {
			if serr := save(); serr != nil {
				return errors.Join(err, serr)
			}
			return err
		}
		rng := rand.New(rand.NewPCG(seed, stream<<32|uint64(t.Iter)))
		st, err := t.Step(RealBatch(t.Cfg.Batch, rng), rng)
		if err != nil {
			return err
		}
		if onStep != nil {
			if err := onStep(t.Iter, st); err != nil {
				return err
			}
		}
		if t.Iter%every == 0 || t.Iter == iters {
			if err := save(); err != nil {
				return err
			}
		}
	}
	return nil
}
