package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"genlab/diffusion"
	"genlab/experiments/internal"
	"genlab/experiments/internal/exptest"
	"genlab/matching/prior"
)

// TestHeldOutLossGaussian: for maps drawn from N(0, diag v) and the exact
// posterior mean of that Gaussian, the held-out loss is the closed form
//
//	(1/Q)·Σ_q λ(σ_q)·Σ_j v_j·σ_q²/(v_j + σ_q²)
//
// on the Q quantile levels, and the per-entry error at σ is
// (1/d)·Σ_j v_j·σ²/(v_j + σ²). A wrong weight, level or average fails it.
func TestHeldOutLossGaussian(t *testing.T) {
	v := []float64{0.5, 0.1, 0.02, 0.2, 0.05, 1}
	n, d := 4000, len(v)
	rng := rand.New(rand.NewPCG(3, 4))
	y := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := range v {
			y.Set(i, j, math.Sqrt(v[j])*rng.NormFloat64())
		}
	}
	w := diffusion.EDM{SigmaData: 0.3}
	const sigma = 1.0
	loss, mse, err := heldOutLoss(prior.NewDiagGaussian(make([]float64, d), v), y, w, sigma, 7)
	if err != nil {
		t.Fatal(err)
	}
	want, wantMSE := 0.0, 0.0
	ln := diffusion.DefaultLogNormal
	for q := 0; q < valLevels; q++ {
		s := math.Exp(ln.PMean + ln.PStd*distuv.UnitNormal.Quantile((float64(q)+0.5)/valLevels))
		for _, vj := range v {
			want += w.Weight(s) * vj * s * s / (vj + s*s) / valLevels
		}
	}
	for _, vj := range v {
		wantMSE += vj * sigma * sigma / (vj + sigma*sigma) / float64(d)
	}
	t.Logf("held-out loss %.4f (closed form %.4f), mse at σ = 1 %.4f (%.4f)", loss, want, mse, wantMSE)
	if math.Abs(loss/want-1) > 0.03 || math.Abs(mse/wantMSE-1) > 0.03 {
		t.Errorf("held-out loss %.4f, mse %.4f; want %.4f, %.4f within 3%%", loss, mse, want, wantMSE)
	}
}

// netEntry is the part of a model-cache entry's config.json that names a
// network prior and its step count.
type netEntry struct {
	Kind string `json:"kind"`
	Net  struct {
		Steps int `json:"steps"`
	} `json:"net"`
}

// netDirs returns the network-prior entries of the model cache under root
// by step count.
func netDirs(t *testing.T, root string) map[int]string {
	t.Helper()
	cfgs, err := filepath.Glob(filepath.Join(root, modelsExperiment, "*", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, c := range cfgs {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		var e netEntry
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == "net" {
			out[e.Net.Steps] = filepath.Dir(c)
		}
	}
	return out
}

// readCurve parses net_curve.csv into one map per row.
func readCurve(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	for _, r := range recs[1:] {
		m := map[string]float64{}
		for j, c := range recs[0] {
			if f, err := strconv.ParseFloat(r[j], 64); err == nil {
				m[c] = f
			}
		}
		rows = append(rows, m)
	}
	return rows
}

// TestNetCurve runs -net-curve 50,150,300 on the quick preset and checks:
// each count continues from the previous one's checkpoint, and the 150-step
// snapshot so trained has the
// same EMA weights, byte for byte, and the same training loss as a run with
// -net-steps 150 from scratch; net_curve.csv has one row per count with
// the held-out loss lower at 300 steps than at 50, the references equal on
// every row and μ fixed at the exact prior's best μ of the distilled grid;
// a re-run trains and measures nothing; -collect rewrites the curve.
func TestNetCurve(t *testing.T) {
	common := []string{"-preset", "quick", "-sets", "blob", "-npairs", "1", "-regime", "clean,noisy", "-method", "lap,distilled", "-prior", "net"}
	a, b := t.TempDir(), t.TempDir()
	argsA := append(append([]string{}, common...), "-net-curve", "50,150,300", "-out", a)
	code, _, stderr := internal.Capture(experiment, argsA, run)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", argsA, code, stderr)
	}
	for _, s := range []int{50, 150} { // trained on, not again from scratch
		if !strings.Contains(stderr, "continues from its "+strconv.Itoa(s)+"-step checkpoint") {
			t.Errorf("the network prior did not continue from its %d-step checkpoint: stderr %q", s, stderr)
		}
	}
	exptest.RunOne(t, experiment, run, append(append([]string{}, common...), "-net-steps", "150", "-out", b)...)
	da, db := netDirs(t, a), netDirs(t, b)
	if len(da) != 3 || len(db) != 1 || da[150] == "" || db[150] == "" {
		t.Fatalf("network entries: curve %v, -net-steps 150 %v", da, db)
	}
	for _, f := range []string{diffusion.CacheEMAFile, "result.json"} {
		x, err1 := os.ReadFile(filepath.Join(da[150], f))
		y, err2 := os.ReadFile(filepath.Join(db[150], f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if f == "result.json" { // the training time differs
			var rx, ry map[string]any
			if err := json.Unmarshal(x, &rx); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(y, &ry); err != nil {
				t.Fatal(err)
			}
			if rx["final_loss"] != ry["final_loss"] {
				t.Errorf("final loss at 150 steps: curve %v, from scratch %v", rx["final_loss"], ry["final_loss"])
			}
			continue
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s at 150 steps: the curve's snapshot differs from a run with -net-steps 150", f)
		}
	}
	dir := filepath.Join(a, experiment)
	exptest.Files(t, dir, "net_curve.csv", "error_vs_net_steps.png", "loss_vs_net_steps.png")
	rows := readCurve(t, filepath.Join(dir, "net_curve.csv"))
	if len(rows) != 3 {
		t.Fatalf("net_curve.csv: %d rows, want 3", len(rows))
	}
	for i, r := range rows {
		t.Logf("steps %v: held-out loss %.4g, train %.4g, M4 %.2f (best %.2f), M5 %.2f; exact %.2f, gaussian %.2f, lap %.2f, meanmap %.2f",
			r["steps"], r["val_loss"], r["train_loss"], r["m4_err"], r["m4_best_err"], r["m5_err"], r["exact_m4_err"], r["gaussian_m4_err"], r["lap_err"], r["meanmap_err"])
		if r["steps"] != []float64{50, 150, 300}[i] {
			t.Errorf("row %d: steps %v", i, r["steps"])
		}
		for _, c := range []string{"exact_m4_err", "lap_err", "meanmap_err", "exact_val_loss", "gaussian_val_loss", "mu_fixed"} {
			if r[c] != rows[0][c] {
				t.Errorf("row %d: reference %s %v, row 0 %v", i, c, r[c], rows[0][c])
			}
		}
		if r["mu_fixed"] != r["exact_mu"] || !(r["m4_err"] > 0) || !(r["m5_zo_err"] > 0) || r["m4_best_err"] > r["m4_err"] {
			t.Errorf("row %d: μ fixed %v (exact %v), M4 %v (best %v), M5 after ZoomOut %v", i, r["mu_fixed"], r["exact_mu"], r["m4_err"], r["m4_best_err"], r["m5_zo_err"])
		}
	}
	if !(rows[2]["val_loss"] < rows[0]["val_loss"]) {
		t.Errorf("held-out loss %v at 50 steps, %v at 300: want a decrease", rows[0]["val_loss"], rows[2]["val_loss"])
	}
	code, _, stderr = internal.Capture(experiment, argsA, run)
	if code != 0 || strings.Contains(stderr, "training the network prior") || strings.Contains(stderr, "net curve") {
		t.Errorf("re-run: exit %d, stderr %q: want everything cached", code, stderr)
	}
	if err := os.Remove(filepath.Join(dir, "net_curve.csv")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := internal.Capture(experiment, append(argsA, "-collect"), run); code != 0 {
		t.Fatalf("-collect: exit %d: %s", code, stderr)
	}
	if got := readCurve(t, filepath.Join(dir, "net_curve.csv")); len(got) != 3 || got[1]["val_loss"] != rows[1]["val_loss"] {
		t.Errorf("-collect: net_curve.csv %v, want the 3 cached rows", got)
	}
}
