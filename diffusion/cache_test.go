package diffusion

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"genlab/data"
	"genlab/nn"
	"genlab/results"
)

// TestModelCacheTrainsOnce: three concurrent requests for one model train
// it once; the two that waited load weights equal to the trained EMA; a
// new cache on the same root (a later process) loads it too.
func TestModelCacheTrainsOnce(t *testing.T) {
	train := data.Moons.Sample(500, rand.New(rand.NewPCG(1, 1)))
	var calls atomic.Int32
	fn := func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		calls.Add(1)
		r, err := Train(ctx, newMLP(t, 3), train, edm, TrainConfig{Steps: 30, Batch: 16, Seed: 2, EMAHalfLife: 100,
			LogEvery: 10, CheckpointPath: ckpt, Record: record})
		if err != nil {
			return nil, nil, err
		}
		return r.EMA, map[string]float64{"final_loss": r.FinalLoss}, nil
	}
	root := t.TempDir()
	cfg := struct {
		Seed  uint64 `json:"seed"`
		Steps int    `json:"steps"`
	}{2, 30}
	c := &ModelCache{Root: root, Name: "models"}
	got := make([]CachedModel, 3)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			m, err := c.LoadOrTrain(context.Background(), cfg, newMLP(t, 7), fn)
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	trained := 0
	for i, m := range got {
		if !m.Cached {
			trained++
		}
		if !equalParams(m.Net, got[0].Net) || m.Result["final_loss"] != got[0].Result["final_loss"] {
			t.Fatalf("request %d: weights or loss differ", i)
		}
	}
	if calls.Load() != 1 || trained != 1 {
		t.Fatalf("trained %d times (%d uncached results), want once", calls.Load(), trained)
	}
	key, _ := results.Key(cfg)
	for _, f := range []string{CacheEMAFile, CacheCheckpointFile, results.MetricsFile, results.ResultFile, CacheLossFile} {
		if _, err := os.Stat(filepath.Join(root, "models", key, f)); err != nil {
			t.Error(err)
		}
	}
	later, err := (&ModelCache{Root: root, Name: "models"}).LoadOrTrain(context.Background(), cfg, newMLP(t, 8), fn)
	if err != nil || !later.Cached || calls.Load() != 1 || !equalParams(later.Net, got[0].Net) {
		t.Fatalf("later process: err %v cached %v calls %d", err, later.Cached, calls.Load())
	}
}

// TestModelCacheAcrossCaches: two ModelCaches on one root, as two
// processes of a sweep have, asked for the same model at once: the entry's
// lock file makes one train it and the other wait and load it.
func TestModelCacheAcrossCaches(t *testing.T) {
	poll := results.LockPoll
	results.LockPoll = 5 * time.Millisecond
	t.Cleanup(func() { results.LockPoll = poll })
	train := data.Moons.Sample(500, rand.New(rand.NewPCG(1, 1)))
	var calls atomic.Int32
	fn := func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		calls.Add(1)
		r, err := Train(ctx, newMLP(t, 3), train, edm, TrainConfig{Steps: 30, Batch: 16, Seed: 2, EMAHalfLife: 100, CheckpointPath: ckpt})
		if err != nil {
			return nil, nil, err
		}
		return r.EMA, map[string]float64{"final_loss": r.FinalLoss}, nil
	}
	root := t.TempDir()
	cfg := struct {
		Seed uint64 `json:"seed"`
	}{5}
	got := make([]CachedModel, 2)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			m, err := (&ModelCache{Root: root, Name: "models"}).LoadOrTrain(context.Background(), cfg, newMLP(t, 7), fn)
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if calls.Load() != 1 || got[0].Cached == got[1].Cached || !equalParams(got[0].Net, got[1].Net) {
		t.Fatalf("trained %d times (cached %v, %v), want once", calls.Load(), got[0].Cached, got[1].Cached)
	}
}

// TestModelCacheResumes: a training that fails leaves no finished entry;
// the next request trains again from the same checkpoint file.
func TestModelCacheResumes(t *testing.T) {
	c := &ModelCache{Root: t.TempDir(), Name: "models"}
	var ckpts []string
	fail := errors.New("interrupted")
	fn := func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		ckpts = append(ckpts, ckpt)
		if len(ckpts) == 1 {
			return nil, nil, os.WriteFile(ckpt, []byte("partial"), 0o644)
		}
		if b, err := os.ReadFile(ckpt); err != nil || string(b) != "partial" {
			return nil, nil, errors.New("checkpoint of the first attempt lost")
		}
		return newMLP(t, 5), map[string]float64{"final_loss": 1}, nil
	}
	failing := func(ctx context.Context, ckpt string, record func(int, map[string]float64) error) (nn.Model, map[string]float64, error) {
		if _, _, err := fn(ctx, ckpt, record); err != nil {
			return nil, nil, err
		}
		return nil, nil, fail
	}
	if _, err := c.LoadOrTrain(context.Background(), "cfg", newMLP(t, 1), failing); !errors.Is(err, fail) {
		t.Fatalf("first attempt: %v", err)
	}
	m, err := c.LoadOrTrain(context.Background(), "cfg", newMLP(t, 1), fn)
	if err != nil || m.Cached || len(ckpts) != 2 || ckpts[0] != ckpts[1] || !equalParams(m.Net, newMLP(t, 5)) {
		t.Fatalf("second attempt: err %v cached %v checkpoints %v", err, m.Cached, ckpts)
	}
}
