package kdiffrun

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/kdiff"
	"genlab/metrics"
	"genlab/results"
)

// teacherForced adds tf_mse_s<s> = E‖x̂ − x‖² (summed over the N
// coordinates, so comparable across N) at each s of TFLevels on
// held-out data with fixed noise, their mean, and for synthetic manifolds the
// share of that error normal to the manifold (tf_normal_frac_*).
func teacherForced(res map[string]float64, cfg Config, ds *Dataset, net *kdiff.NetU, k float64) error {
	rows := min(1000, ds.HeldA.RawMatrix().Rows)
	x := ds.HeldA.Slice(0, rows, 0, ds.HeldA.RawMatrix().Cols).(*mat.Dense)
	_, N := x.Dims()
	rng := rand.New(rand.NewPCG(cfg.Seed, streamTF))
	e := mat.NewDense(rows, N, nil)
	for i := 0; i < rows; i++ {
		for j := 0; j < N; j++ {
			e.Set(i, j, rng.NormFloat64())
		}
	}
	z := mat.NewDense(rows, N, nil)
	u := mat.NewDense(rows, N, nil)
	xh := mat.NewDense(rows, N, nil)
	var sum, sumNorm float64
	for _, s := range TFLevels {
		for i := 0; i < rows; i++ {
			kdiff.Interpolate(z.RawRowView(i), x.RawRowView(i), e.RawRowView(i), s)
		}
		if err := net.PredictU(u, z, s); err != nil {
			return err
		}
		var mse float64
		for i := 0; i < rows; i++ {
			kdiff.Invert(xh.RawRowView(i), nil, nil, z.RawRowView(i), u.RawRowView(i), s, k, cfg.Clamp)
			for j, v := range xh.RawRowView(i) {
				d := v - x.At(i, j)
				mse += d * d
			}
		}
		mse /= float64(rows)
		name := "tf_mse_s" + strconv.FormatFloat(s, 'f', 1, 64)
		res[name] = mse
		sum += mse
		if lin, ok := ds.M.(*data.LinearEmbedding); ok {
			// x is on the subspace, so the normal part of x̂ − x is that of x̂.
			var nrm float64
			for _, r := range lin.Residual(xh) {
				nrm += r * r
			}
			frac := nrm / float64(rows) / mse
			res["tf_normal_frac_s"+strconv.FormatFloat(s, 'f', 1, 64)] = frac
			sumNorm += frac
		}
	}
	res["tf_mse_mean"] = sum / float64(len(TFLevels))
	if _, ok := ds.M.(*data.LinearEmbedding); ok {
		res["tf_normal_frac_mean"] = sumNorm / float64(len(TFLevels))
	}
	return nil
}

// score adds the sample metrics: intrinsic SW₁/SW₂ and MMD² against held-out
// coordinates (with the floor of a second held-out draw), off-manifold RMS
// ‖residual‖/√N, and for MNIST the Fréchet distance of pixels.
func score(res map[string]float64, cfg Config, ds *Dataset, gen *mat.Dense) error {
	_, N := gen.Dims()
	if !finite(gen) {
		res["nonfinite_samples"] = 1
		for _, m := range []string{"sw1", "sw2", "mmd2", "off_rms"} {
			res[m] = math.NaN()
		}
		return nil
	}
	if ds.M == nil {
		fd, err := metrics.FrechetDistance(gen, ds.HeldA)
		if err != nil {
			return err
		}
		floor, err := metrics.FrechetDistance(ds.HeldB, ds.HeldA)
		if err != nil {
			return err
		}
		res["fd_pixels"], res["fd_pixels_floor"] = fd, floor
		return nil
	}
	c := ds.M.Coords(gen)
	_, n := c.Dims()
	dirs := SharedDirs(n)
	res["sw1"] = metrics.SlicedWassersteinDirs(c, ds.CoordsA, dirs, 1)
	res["sw2"] = metrics.SlicedWassersteinDirs(c, ds.CoordsA, dirs, 2)
	res["sw1_floor"] = metrics.SlicedWassersteinDirs(ds.CoordsB, ds.CoordsA, dirs, 1)
	h := metrics.MedianHeuristic(ds.CoordsA, 20000, rand.New(rand.NewPCG(cfg.Seed, streamMMD)))
	hs := []float64{h / 4, h / 2, h, 2 * h, 4 * h}
	res["mmd2"] = metrics.MMD2(c, ds.CoordsA, hs)
	res["mmd2_floor"] = metrics.MMD2(ds.CoordsB, ds.CoordsA, hs)
	var ss float64
	for _, r := range ds.M.Residual(gen) {
		ss += r * r
	}
	rows, _ := gen.Dims()
	res["off_rms"] = math.Sqrt(ss / float64(rows*N))
	return nil
}

func finite(x *mat.Dense) bool {
	r, _ := x.Dims()
	for i := 0; i < r; i++ {
		for _, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
				return false
			}
		}
	}
	return true
}

// pictures writes samples.png (intrinsic scatter or an image grid), loss.png
// and, for a learned k, k.png.
func pictures(cfg Config, ds *Dataset, gen *mat.Dense, dir *results.Dir) error {
	rows, _ := gen.Dims()
	switch {
	case ds.ImgW > 0:
		n := min(36, rows)
		imgs := make([][]float64, n)
		for i := range imgs {
			imgs[i] = append([]float64(nil), gen.RawRowView(i)...)
			for j, v := range imgs[i] {
				imgs[i][j] = math.Min(math.Max(v, ds.Lo), ds.Hi)
			}
		}
		if err := results.ImageGridRange(dir.Path("samples.png"), imgs, ds.ImgW, ds.ImgW, 6, 6, ds.Lo, ds.Hi); err != nil {
			return err
		}
	case finite(gen):
		c := ds.M.Coords(gen)
		if _, n := c.Dims(); n >= 2 {
			title := fmt.Sprintf("%s N=%d k=%s seed %d (intrinsic coords 1-2)", cfg.Data, cfg.N, cfg.K, cfg.Seed)
			if err := results.Scatter2D(dir.Path("samples.png"), title, c.Slice(0, rows, 0, 2).(*mat.Dense),
				ds.CoordsA.Slice(0, ds.CoordsA.RawMatrix().Rows, 0, 2).(*mat.Dense)); err != nil {
				return err
			}
		}
	}
	steps, err := results.ReadMetrics(dir.Path("metrics.jsonl"))
	if err != nil {
		return err
	}
	if err := results.LossCurve(dir.Path("loss.png"), steps, "loss", true); err != nil {
		return err
	}
	if strings.HasPrefix(cfg.K, "learn") { // k, or the mean of k(s) over training σ
		var refs []results.RefLine
		if cfg.NIntr > 0 {
			refs = append(refs, results.RefLine{Y: KStar(cfg.N, cfg.NIntr), Label: fmt.Sprintf("k* = N/(N+n) = %.3g", KStar(cfg.N, cfg.NIntr))})
		}
		return results.LossCurve(dir.Path("k.png"), steps, "k", false, refs...)
	}
	return nil
}
