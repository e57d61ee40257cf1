package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"genlab/data"
	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/mnistrun"
	"genlab/experiments/internal/pfgmrun"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

// mnistRun is a finished run of the mnist experiment: its task key (the
// directory under <out>/mnist) and configuration.
type mnistRun struct {
	Key string
	Cfg mnistrun.Config
}

// findMNISTRuns lists the finished runs of the mnist experiment under
// out/mnist — those with result.json, config.json and the final
// checkpoint — in key order. A missing directory is an empty list.
func findMNISTRuns(out string) ([]mnistRun, error) {
	root := filepath.Join(out, "mnist")
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var runs []mnistRun
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || !exists(filepath.Join(dir, results.ResultFile)) || !exists(filepath.Join(dir, mnistrun.CheckpointFile)) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			continue
		}
		var c mnistrun.Config
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
		}
		runs = append(runs, mnistRun{Key: e.Name(), Cfg: c})
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Key < runs[j].Key })
	return runs, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// trainingIdentity is a run's configuration without its evaluation
// settings (sample counts, samplers, evaluation cadence): two runs with the
// same identity trained the same weights.
func trainingIdentity(c mnistrun.Config) mnistrun.Config {
	c.NEval, c.HeunSteps, c.EvalEvery, c.EvalN, c.Quick = 0, nil, 0, 0, false
	return c
}

// pickMNISTRun returns the finished U-Net EDM-target run of D and seed on
// the data with digest, of steps training steps when steps > 0. Runs that
// differ only in how they were evaluated trained the same weights, and the
// first by key is taken; runs with different training settings are an
// ambiguity the caller must resolve (-steps), reported with their keys.
func pickMNISTRun(runs []mnistRun, d float64, seed uint64, steps int, digest, out string) (mnistRun, error) {
	var hit []mnistRun
	for _, r := range runs {
		c := r.Cfg
		if c.Net == "unet" && c.Target == "edm" && float64(c.D) == d && c.Seed == seed && c.Data == digest && (steps == 0 || c.Steps == steps) {
			hit = append(hit, r)
		}
	}
	want := fmt.Sprintf("D=%s seed %d", pfgm.FormatD(d), seed)
	if steps > 0 {
		want += fmt.Sprintf(" %d steps", steps)
	}
	if len(hit) == 0 {
		cmd := fmt.Sprintf("go run ./experiments/mnist -preset default -noise pfgm -D %s -seeds %d -out %s", pfgm.FormatD(d), seed, out)
		if steps > 0 {
			cmd += " -steps " + strconv.Itoa(steps)
		}
		return mnistRun{}, internal.Usagef("-data %s: no finished mnist U-Net run (EDM target, %s) in %s; train it first: %s",
			pfgmrun.MNISTUNetName, want, filepath.Join(out, "mnist"), cmd)
	}
	for _, r := range hit[1:] {
		if !reflect.DeepEqual(trainingIdentity(r.Cfg), trainingIdentity(hit[0].Cfg)) {
			keys := make([]string, len(hit))
			for i, h := range hit {
				keys[i] = fmt.Sprintf("%s (%d steps)", h.Key, h.Cfg.Steps)
			}
			return mnistRun{}, internal.Usagef("-data %s: %d mnist runs with %s trained differently: %s; pick one with -steps",
				pfgmrun.MNISTUNetName, len(hit), want, strings.Join(keys, ", "))
		}
	}
	return hit[0], nil
}

// mnistSets loads the MNIST splits once per process for the image tasks.
type mnistSets struct {
	once sync.Once
	sets *mnistrun.Sets
	err  error
}

func (m *mnistSets) get() (*mnistrun.Sets, error) {
	m.once.Do(func() {
		dir, err := data.DefaultMNISTDir()
		if err != nil {
			m.err = err
			return
		}
		m.sets, m.err = mnistrun.LoadSets(dir)
	})
	return m.sets, m.err
}

// runMNISTTask measures one mnist U-Net model (the EMA weights of the run
// c.MNISTKey) clean and under every perturbation of c: N = c.NEval samples
// from the mnist run's own headline prior draws (the clean samples are the
// first N of its samples), fid_lenet against N test digits (RefIndices) for
// each sampler, and ΔM = M(perturbed) − M(clean); the clean draw also gets
// precision/recall and the floor. It writes a sample grid per sampler and
// the clean samples (samples.npy, uint8).
func runMNISTTask(ctx context.Context, c Config, out string, ms *mnistSets, dir *results.Dir, bar internal.Progress) (map[string]float64, error) {
	sets, err := ms.get()
	if err != nil {
		return nil, err
	}
	mc := *c.MNIST
	bar.Phase("load " + c.MNISTKey)
	tr, err := mnistrun.Load(ctx, mc, sets, filepath.Join(out, "mnist", c.MNISTKey, mnistrun.CheckpointFile))
	if err != nil {
		return nil, err
	}
	ev, _, err := sets.Evaluator(mc.Res, c.NEval)
	if err != nil {
		return nil, err
	}
	res := map[string]float64{}
	var clean float64
	measure := func(prefix string, net nn.Model, steps int, hook diffusion.Hook) error {
		bar.Phase("sample and evaluate " + strings.TrimSuffix(prefix, "_"))
		x, nfe, err := mnistrun.Sample(ctx, net, tr.Target, tr.Kernel, c.NEval, tr.Dim, steps, mc.GenSeed(), hook)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
		q := data.QuantizeUnit(x, mc.Res, mc.Res)
		if err := results.ImageGridRange(dir.Path("samples_"+strings.TrimSuffix(prefix, "_")+".png"), mnistrun.GridImages(q), mc.Res, mc.Res, 8, 8, -1, 1); err != nil {
			return err
		}
		res[prefix+"nfe"] = float64(nfe)
		if prefix == "clean_" {
			m, err := ev.Evaluate(q, rand.New(rand.NewPCG(c.Seed, 1)))
			if err != nil {
				return err
			}
			for k, v := range m.Flat(prefix) {
				res[k] = v
			}
			clean = m.FIDLeNet
			return dir.WriteNPYUint8(results.SamplesFile, q.Pix, q.N, q.H, q.W)
		}
		fid, err := ev.FID(q)
		if err != nil {
			return err
		}
		res[prefix+"fid_lenet"] = fid
		res["d_"+prefix+"fid_lenet"] = fid - clean
		return nil
	}
	if err := measure("clean_", tr.EMA, c.Heun, nil); err != nil {
		return nil, err
	}
	fm, err := ev.Evaluate(sets.Floor(mc, c.NEval), rand.New(rand.NewPCG(c.Seed, 2)))
	if err != nil {
		return nil, err
	}
	for k, v := range fm.Flat("floor_") {
		res[k] = v
	}
	for _, a := range c.Alphas {
		// The same ε at every D: the noise seed depends on the task seed only.
		if err := measure("a"+fkey(a)+"_", tr.EMA, c.Heun, pfgm.StateNoise(a, pfgmrun.GenSeed(c.Seed)^0xa1fa, 0)); err != nil {
			return nil, err
		}
	}
	for _, b := range c.Bits {
		q, _, err := pfgm.QuantizeWeights(tr.EMA, b)
		if err != nil {
			return nil, err
		}
		if err := measure("b"+strconv.Itoa(b)+"_", q, c.Heun, nil); err != nil {
			return nil, err
		}
	}
	for _, n := range c.Steps {
		if err := measure("n"+strconv.Itoa(n)+"_", tr.EMA, n, nil); err != nil {
			return nil, err
		}
	}
	return res, nil
}
