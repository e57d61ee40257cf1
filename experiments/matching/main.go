// Command matching runs the classical functional-map baseline on shape pairs
// with known correspondence: procedural limbed blobs (a re-posed copy on a
// different tessellation, vertices permuted) and CGAL meshes (a smoothly
// bent and articulated, permuted copy). For each pair it solves the map
// with each method, optionally refines it with ZoomOut, and reports the mean
// geodesic error ×100 (normalised by √area of the source), the cumulative
// error curve, the symmetric-flip rate (blobs), and correspondence pictures.
//
//	go run ./experiments/matching -preset default
//	go run ./experiments/matching -pairs blob,pig -method commutativity,resolvent -noise 0,0.005
//
// CGAL meshes are read from data/cgal/meshes (scripts/cgal-meshes.sh).
package main

import (
	"context"
	"io"
	"math"
	"path/filepath"
	"strings"

	"genlab/experiments/internal"
	"genlab/results"
)

const experiment = "matching"

func main() { internal.Main(experiment, run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := internal.NewFlagSet(experiment)
	var common internal.Common
	common.Register(fs)
	pairs := internal.Strings{Allowed: allPairs}
	fs.Var(&pairs, "pairs", "comma list of pair sources: "+strings.Join(allPairs, ", ")+" (one pair per seed)")
	methods := internal.Strings{Allowed: append(append([]string{}, allMethods...), "zoomout")}
	fs.Var(&methods, "method", "comma list of methods: lsq, commutativity, resolvent, axiomatic, oracle (each also after ZoomOut); zoomout = commutativity")
	var noise internal.Floats
	fs.Var(&noise, "noise", "comma list of target vertex jitter levels, fraction of √area (default 0)")
	flip := fs.Float64("flip", 0, "CGAL pairs: fraction in [0,1] of nearly flat edges flipped in the target, for a different tessellation")
	k := fs.Int("k", 0, "functional map size k (0: the preset's, 20)")
	zoom := fs.Int("zoomout", -1, "ZoomOut end size (0: off; default: the preset's)")
	cgal := fs.String("cgal", "", "directory of CGAL meshes (default data/cgal/meshes)")
	var defects internal.MeshDefects
	defects.Register(fs)
	if err := internal.Parse(fs, args, stderr); err != nil {
		return err
	}
	base, defPairs := preset(common.Preset)
	if len(pairs.Values) == 0 {
		pairs.Values = defPairs
	}
	if len(methods.Values) > 0 {
		base.Methods = methodList(methods.Values)
	}
	if *k < 0 || *k > 200 {
		return internal.Usagef("-k %d: want 1..200", *k)
	}
	if *k > 0 {
		base.K = *k
	}
	if *flip < 0 || *flip > 1 {
		return internal.Usagef("-flip %g: want a fraction in [0, 1]", *flip)
	}
	base.Flip = *flip
	if *zoom >= 0 {
		if *zoom > 0 && *zoom < base.K {
			return internal.Usagef("-zoomout %d: must be 0 or ≥ k = %d", *zoom, base.K)
		}
		base.ZoomEnd = *zoom
	}
	base.KEig = max(base.KEig, base.ZoomEnd, base.K)
	if *cgal != "" {
		base.CGALDir, base.MeshDir = "", *cgal
	}
	if len(noise) == 0 {
		noise = internal.Floats{0}
	}
	for _, n := range noise {
		if n < 0 || math.IsInf(n, 0) || n > 0.1 {
			return internal.Usagef("-noise %g: want 0 ≤ noise ≤ 0.1", n)
		}
	}
	digest, err := meshDigests(base, pairs.Values, defects, stderr)
	if err != nil {
		return err
	}
	tasks, err := internal.Expand(base,
		internal.Values("pair", pairs.Values, func(c *Config, v string) { c.Pair, c.MeshSHA = v, digest[v] }),
		internal.Values("noise", []float64(noise), func(c *Config, v float64) { c.Noise = v }),
		internal.Values("seed", []uint64(common.Seeds), func(c *Config, v uint64) { c.Seed = v }),
	)
	if err != nil {
		return err
	}
	return runAll(ctx, common, tasks, stdout, stderr)
}

// methodList returns the -method values in order, once each, zoomout
// standing for commutativity.
func methodList(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range values {
		if m == "zoomout" {
			m = "commutativity"
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// meshDigests checks the CGAL mesh of every non-blob pair and returns the
// content digests of those read from a -cgal directory, by pair (the
// default directory's tasks stay keyed by its path, as before).
func meshDigests(base Config, pairs []string, defects internal.MeshDefects, stderr io.Writer) (map[string]string, error) {
	digest := map[string]string{}
	for _, p := range pairs {
		if strings.HasPrefix(p, "blob") {
			continue
		}
		sum, err := internal.CGALMesh(base.meshDir(), p, "-pairs", defects.Policy, stderr, experiment)
		if err != nil {
			return nil, err
		}
		if base.MeshDir != "" {
			digest[p] = sum
		}
	}
	return digest, nil
}

// runAll runs the tasks and draws the summary figures.
func runAll(ctx context.Context, common internal.Common, tasks []internal.Task[Config], stdout, stderr io.Writer) error {
	r := common.Runner(experiment, stdout, stderr)
	r.Headline = []string{"cumulative_error.png"}
	err := internal.RunTasks(ctx, r, tasks, func(ctx context.Context, t internal.Task[Config], d *results.Dir) (map[string]float64, error) {
		bar := internal.NewProgress(stderr, len(t.Config.Methods), experiment+" "+t.Label+" methods")
		defer bar.Finish()
		return runTask(ctx, t.Config, d, bar)
	})
	if err != nil || common.Plan {
		return err
	}
	return internal.Finish(r, func(t *results.Table) error {
		return summaryFigures(filepath.Join(r.Out, experiment), t)
	})
}
