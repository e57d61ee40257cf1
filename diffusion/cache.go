package diffusion

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"genlab/nn"
	"genlab/results"
)

// Files of a ModelCache entry besides the results contract's config.json,
// metrics.jsonl and result.json (the completion marker).
const (
	CacheEMAFile        = "ema.params"     // the trained EMA weights (nn.SaveParams)
	CacheCheckpointFile = "checkpoint.bin" // the training checkpoint an interrupted run resumes from
	CacheLossFile       = "loss.png"       // the training loss curve
)

// ModelCache keeps trained networks, their EMA weights, so that the tasks
// and experiments that need the same model train it once. An entry lives in
// Root/Name/<key>, key = results.Key of the configuration that determines
// the model; it is written as a results task directory (results.OpenCache):
// checkpoint, metrics.jsonl, the EMA weights written atomically, and
// result.json last, so an interrupted training resumes from its checkpoint
// and a half-written entry is never taken for a finished one.
//
// A ModelCache is safe for concurrent use, within a process and across
// processes sharing Root (the array elements of a Slurm sweep): a task that
// asks for a model another task is training waits for it (the entry's lock
// file, results.AcquireLock) and then loads it.
// Use one ModelCache per run root (share it between the tasks of a run).
type ModelCache struct {
	Root string // run root, e.g. "runs"
	Name string // directory of the cache under Root, e.g. "pfgm-models"

	mu   sync.Mutex
	busy map[string]*sync.Mutex // one per key in use in this process
}

// CachedModel is a model from a ModelCache.
type CachedModel struct {
	Net    nn.Model           // the EMA network
	Result map[string]float64 // the entry's result.json (what CacheTrain returned, e.g. final_loss)
	Cached bool               // loaded from the cache rather than trained by this call
	Dir    string             // the entry's directory
}

// CacheTrain trains the model of a cache entry: it resumes from (and
// writes) the checkpoint file when given one and may log each step through
// record (metrics.jsonl of the entry; TrainConfig.Record takes it as it
// is). It returns the EMA network and the values to keep in the entry's
// result.json, such as the final loss.
type CacheTrain func(ctx context.Context, checkpoint string, record func(step int, values map[string]float64) error) (nn.Model, map[string]float64, error)

// LoadOrTrain returns the model of cfg. When the entry is finished, net (a
// freshly built network of the model's shape) receives its EMA weights and
// comes back with Cached set; otherwise train runs, its EMA is saved with a
// loss curve, and its values are written to result.json last. A call for a
// cfg that another call, of this process or another, is training waits for
// it.
func (c *ModelCache) LoadOrTrain(ctx context.Context, cfg any, net nn.Model, train CacheTrain) (CachedModel, error) {
	key, err := results.Key(cfg)
	if err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache: %w", err)
	}
	unlock := c.lock(key)
	defer unlock()
	lk, err := results.AcquireLock(ctx, filepath.Join(c.Root, c.Name, key), nil) // other processes: array elements of a sweep
	if err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache: %w", err)
	}
	defer lk.Release()
	d, err := results.OpenCache(c.Root, c.Name, cfg)
	if err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache: %w", err)
	}
	defer d.Close()
	if d.Done() {
		return load(d, net)
	}
	ema, res, err := train(ctx, d.Path(CacheCheckpointFile), d.RecordValues)
	if err != nil {
		return CachedModel{}, err
	}
	var buf bytes.Buffer
	if err := nn.SaveParams(&buf, ema); err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache %s: %w", d.Dir(), err)
	}
	if err := results.WriteFileAtomic(d.Path(CacheEMAFile), buf.Bytes()); err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache: %w", err)
	}
	if steps, err := results.ReadMetrics(d.Path(results.MetricsFile)); err == nil && len(steps) > 1 {
		_ = results.LossCurve(d.Path(CacheLossFile), steps, "loss", true) // a picture only: its failure is no error
	}
	if err := d.WriteResult(res); err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: model cache: %w", err)
	}
	return CachedModel{Net: ema, Result: res, Dir: d.Dir()}, nil
}

// load fills net with the EMA weights of the finished entry d.
func load(d *results.Dir, net nn.Model) (CachedModel, error) {
	b, err := os.ReadFile(d.Path(CacheEMAFile))
	if err == nil {
		err = nn.LoadParams(bytes.NewReader(b), net)
	}
	var res map[string]float64
	if err == nil {
		res, err = d.Result()
	}
	if err != nil {
		return CachedModel{}, fmt.Errorf("diffusion: cached model %s: %w", d.Dir(), err)
	}
	return CachedModel{Net: net, Result: res, Cached: true, Dir: d.Dir()}, nil
}

// lock takes the in-process lock of key and returns its release.
func (c *ModelCache) lock(key string) (unlock func()) {
	c.mu.Lock()
	if c.busy == nil {
		c.busy = map[string]*sync.Mutex{}
	}
	m, ok := c.busy[key]
	if !ok {
		m = &sync.Mutex{}
		c.busy[key] = m
	}
	c.mu.Unlock()
	m.Lock()
	return m.Unlock
}
