package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"genlab/data"
	"genlab/experiments/internal"
	"genlab/householder"
	"genlab/householder/gan"
	"genlab/metrics"
	"genlab/results"
)

// evaluator holds what every arm is compared against.
type evaluator struct {
	cfg      Config
	sigma    []float64  // per-factor std on real data
	realFeat *mat.Dense // factor features of real set A
	feat     *gan.FeatExtractor
	realCNN  *mat.Dense // CNN features of real set A
	dir      *results.Dir
	out      map[string]float64
}

// realSet draws cfg.MetricSamples real sprites from stream and returns
// their measured factors (and which could be measured) and their pixels.
func realSet(cfg Config, stream uint64) ([][data.NumSpriteFactors]float64, []bool, []float32) {
	imgs, _ := data.SpriteSet(cfg.MetricSamples, false, internal.NewRand(cfg.Seed, stream))
	f := make([][data.NumSpriteFactors]float64, len(imgs))
	ok := make([]bool, len(imgs))
	for i, im := range imgs {
		f[i], ok[i] = data.ReadSpriteFactors(im)
	}
	return f, ok, gan.Pixels(imgs)
}

// factorStd returns the sample standard deviation of each factor over f.
func factorStd(f [][data.NumSpriteFactors]float64) []float64 {
	sigma := make([]float64, data.NumSpriteFactors)
	for j := range sigma {
		var m, s float64
		for i := range f {
			m += f[i][j] / float64(len(f))
		}
		for i := range f {
			s += (f[i][j] - m) * (f[i][j] - m) / float64(len(f)-1)
		}
		sigma[j] = math.Sqrt(s)
	}
	return sigma
}

// newEvaluator measures two independent real sets: the factor std (for R),
// the real-vs-real Fréchet floors on factors (fd_floor) and on the CNN
// feature net's features (fd_cnn_floor). The feature net is trained once
// with its own fixed seed and shared by every task through the cache.
// Close the evaluator's feature extractor (e.feat) when done.
func newEvaluator(cfg Config, dir *results.Dir, cache string) (*evaluator, error) {
	e := &evaluator{cfg: cfg, dir: dir, out: map[string]float64{}}
	fA, okA, pixA := realSet(cfg, streamRealA)
	fB, okB, pixB := realSet(cfg, streamRealB)
	e.sigma = factorStd(fA)
	e.realFeat = gan.FactorFeatures(fA, okA)
	var err error
	if e.out["fd_floor"], err = metrics.FrechetDistance(e.realFeat, gan.FactorFeatures(fB, okB)); err != nil {
		return nil, err
	}
	fn, err := featNet(cfg, cache)
	if err != nil {
		return nil, err
	}
	if e.feat, err = fn.NewExtractor(cfg.EvalBatch); err != nil {
		return nil, err
	}
	if e.realCNN, _, err = e.feat.Features(pixA, cfg.MetricSamples); err == nil {
		var cnnB *mat.Dense
		if cnnB, _, err = e.feat.Features(pixB, cfg.MetricSamples); err == nil {
			e.out["fd_cnn_floor"], err = metrics.FrechetDistance(e.realCNN, cnnB)
		}
	}
	if err != nil {
		e.feat.Close()
		return nil, err
	}
	return e, nil
}

// genEval is the per-generator evaluation state (one sampler, shared codes).
type genEval struct {
	s       *gan.Sampler
	codes   gan.Codes  // MetricSamples codes at ψ = 1
	factors *mat.Dense // measured factors of their images (valid rows only)
	valid   []int
	base    [][]float64 // EvalCodes codes at ψ
	fd, ppl float64
	fdCNN   float64 // Fréchet distance on the feature net's features
}

// generator evaluates g: Fréchet distances of its samples' factors and CNN
// features to the real set's, the codes at ψ the arms edit, and the PPL
// analogue.
func (e *evaluator) generator(g *gan.Generator, rng *rand.Rand) (*genEval, error) {
	s, err := gan.NewSampler(g, e.cfg.EvalBatch)
	if err != nil {
		return nil, err
	}
	ge := &genEval{s: s}
	if err := e.fidelity(ge, rng); err != nil {
		return nil, err
	}
	bc, err := gan.SampleCodes(s, e.cfg.EvalCodes, e.cfg.Psi, rng)
	if err != nil {
		return nil, err
	}
	ge.base = bc.W
	if ge.ppl, err = e.ppl(s, rng); err != nil {
		return nil, err
	}
	return ge, nil
}

// fidelity samples MetricSamples codes at ψ = 1, measures the factors of
// their images and sets ge's codes, factors and Fréchet distances.
func (e *evaluator) fidelity(ge *genEval, rng *rand.Rand) error {
	var err error
	if ge.codes, err = gan.SampleCodes(ge.s, e.cfg.MetricSamples, 1, rng); err != nil {
		return err
	}
	imgs, err := gan.Render(ge.s, ge.codes.W, nil, 0)
	if err != nil {
		return err
	}
	f, ok := gan.MeasureImages(imgs, len(ge.codes.W))
	var rows []float64
	for i := range f {
		if ok[i] {
			ge.valid = append(ge.valid, i)
			rows = append(rows, f[i][:]...)
		}
	}
	if len(ge.valid) < 10 {
		return fmt.Errorf("only %d of %d generated images have a foreground", len(ge.valid), len(f))
	}
	ge.factors = mat.NewDense(len(ge.valid), int(data.NumSpriteFactors), rows)
	if ge.fd, err = metrics.FrechetDistance(gan.FactorFeatures(f, ok), e.realFeat); err != nil {
		return err
	}
	cnn, _, err := e.feat.Features(imgs, len(ge.codes.W))
	if err != nil {
		return err
	}
	ge.fdCNN, err = metrics.FrechetDistance(cnn, e.realCNN)
	return err
}

// pathEps is the step ε of the PPL and PIPL analogues.
const pathEps = 1e-3

// ppl is the PPL analogue: lerp in W at t ~ U(0,1), step ε, all slots.
func (e *evaluator) ppl(s *gan.Sampler, rng *rand.Rand) (float64, error) {
	pa, err := gan.SampleCodes(s, 2*e.cfg.PathPairs, 1, rng)
	if err != nil {
		return 0, err
	}
	var a, b [][]float64
	for i := 0; i < e.cfg.PathPairs; i++ {
		w1, w2 := pa.W[2*i], pa.W[2*i+1]
		t := rng.Float64()
		x, y := make([]float64, len(w1)), make([]float64, len(w1))
		for j := range w1 {
			x[j] = w1[j] + t*(w2[j]-w1[j])
			y[j] = w1[j] + (t+pathEps)*(w2[j]-w1[j])
		}
		a, b = append(a, x), append(b, y)
	}
	return gan.PathLength(s, a, b, pathEps)
}

// arm evaluates one set of directions (columns of dirs per slot group) on a
// generator and records "<arm>_<metric>" results, a traversal grid and the
// intervention heatmap.
func (e *evaluator) arm(name string, ge *genEval, groups []*mat.Dense, slots [][]int, rng *rand.Rand) error {
	var edits []gan.Edit
	var all *mat.Dense
	for gi, dirs := range groups {
		edits = append(edits, gan.DirectionEdits(dirs, slots[gi])...)
		if all == nil {
			all = mat.DenseCopyOf(dirs)
		} else {
			var cat mat.Dense
			cat.Augment(all, dirs)
			all = &cat
		}
	}
	put := func(k string, v float64) { e.out[name+"_"+k] = v }
	alpha, r, err := e.intervention(put, ge, edits)
	if err != nil {
		return err
	}
	if err := codeScores(put, ge, all, rng); err != nil {
		return err
	}
	put("fd", ge.fd)
	put("fd_cnn", ge.fdCNN)
	put("ppl", ge.ppl)
	pipl, err := e.pipl(ge, all, rng)
	if err != nil {
		return err
	}
	put("pipl", pipl)
	if err := e.traversal(name, ge, edits, alpha); err != nil {
		return err
	}
	var xs, ys []string
	for _, f := range gan.SpriteFactors {
		xs = append(xs, f.Name)
	}
	for k := range r {
		ys = append(ys, fmt.Sprintf("n%d", k))
	}
	return results.HeatmapRange(e.dir.Path("intervention_"+name+".png"), xs, ys, r,
		fmt.Sprintf("%s: intervention matrix R (k=%d)", name, e.cfg.K), 0, maxEntry(r))
}

// intervention calibrates each edit's step α to the target RMS change,
// computes the intervention matrix R and records its scores, the mean α
// and each factor's largest entry.
func (e *evaluator) intervention(put func(string, float64), ge *genEval, edits []gan.Edit) ([]float64, [][]float64, error) {
	calib := ge.base[:min(32, len(ge.base))]
	alpha, err := gan.CalibrateAlpha(ge.s, calib, edits, e.cfg.TargetRMS, e.cfg.MaxAlpha)
	if err != nil {
		return nil, nil, err
	}
	r, err := gan.InterventionMatrix(ge.s, ge.base, edits, alpha, e.sigma)
	if err != nil {
		return nil, nil, err
	}
	sc := metrics.ScoreMatrix(r)
	put("purity", sc.Purity)
	put("completeness", sc.Completeness)
	put("coverage", float64(sc.Coverage))
	put("live", sc.Live)
	var am float64
	for _, a := range alpha {
		am += a / float64(len(alpha))
	}
	put("alpha_mean", am)
	for f, fac := range gan.SpriteFactors {
		var best float64
		for k := range r {
			best = math.Max(best, r[k][f])
		}
		put("rmax_"+fac.Name, best)
	}
	return alpha, r, nil
}

// codeScores records the code-based scores (MIG, DCI, FactorVAE) of the
// codes c = Bᵀ(w − w̄) of the valid samples, B = all (d×k).
func codeScores(put func(string, float64), ge *genEval, all *mat.Dense, rng *rand.Rand) error {
	_, kk := all.Dims()
	codes := mat.NewDense(len(ge.valid), kk, nil)
	for i, idx := range ge.valid {
		w := ge.codes.W[idx]
		for j := 0; j < kk; j++ {
			var s float64
			for t := range w {
				s += all.At(t, j) * (w[t] - ge.codes.Mean[t])
			}
			codes.Set(i, j, s)
		}
	}
	if kk >= 2 {
		mig, _, err := metrics.MIG(codes, ge.factors, 20)
		if err != nil {
			return err
		}
		put("mig", mig)
	}
	dci, err := metrics.DCI(codes, ge.factors, 0.01, 0.8)
	if err != nil {
		return err
	}
	put("dci_d", dci.Disentanglement)
	put("dci_c", dci.Completeness)
	put("dci_i", dci.Informativeness)
	fv, err := metrics.FactorVAEScore(codes, ge.factors, gan.SpriteFactors, min(64, len(ge.valid)/4), 300, 300, rng)
	if err != nil {
		return err
	}
	put("fvae", fv)
	return nil
}

// pipl is the PIPL analogue: a step ε along a randomly chosen found
// direction (a column of all), all slots.
func (e *evaluator) pipl(ge *genEval, all *mat.Dense, rng *rand.Rand) (float64, error) {
	_, kk := all.Dims()
	var a, b [][]float64
	for i := 0; i < e.cfg.PathPairs; i++ {
		w := ge.codes.W[i%len(ge.codes.W)]
		j := rng.IntN(kk)
		y := make([]float64, len(w))
		for t := range w {
			y[t] = w[t] + pathEps*all.At(t, j)
		}
		a, b = append(a, w), append(b, y)
	}
	return gan.PathLength(ge.s, a, b, pathEps)
}

// traversal writes traversal_<name>.png: rows = directions, columns =
// α_k·(−3 … 3) applied to the first base code.
func (e *evaluator) traversal(name string, ge *genEval, edits []gan.Edit, alpha []float64) error {
	const cols = 7
	var imgs [][]float64
	for k, ed := range edits {
		ws := make([][]float64, cols)
		as := make([]float64, cols)
		for c := range ws {
			ws[c], as[c] = ge.base[0], alpha[k]*float64(c-cols/2)
		}
		im, err := gan.RenderEach(ge.s, ws, &ed, as)
		if err != nil {
			return err
		}
		imgs = append(imgs, unitImages(im, cols)...)
	}
	res := data.SpriteSize
	return results.ImageGrid(e.dir.Path("traversal_"+name+".png"), imgs, res, res, len(edits), cols)
}

// unitImages splits the first n sprite images of rendered pixels (in
// [−1, 1]) into images with values in [0, 1].
func unitImages(pix []float32, n int) [][]float64 {
	px := data.SpriteSize * data.SpriteSize
	out := make([][]float64, n)
	for c := range out {
		v := make([]float64, px)
		for i := range v {
			v[i] = gan.PixelsTo01(pix[c*px+i])
		}
		out[c] = v
	}
	return out
}

func maxEntry(r [][]float64) float64 {
	m := 1e-9
	for _, row := range r {
		for _, v := range row {
			m = math.Max(m, v)
		}
	}
	return m
}

// hpGroups returns each HP layer's read-off directions (d×k) and its slot,
// rotated by a random rotation from rot if rot is not nil.
func hpGroups(g *gan.Generator, rot *rand.Rand) ([]*mat.Dense, [][]int, error) {
	var groups []*mat.Dense
	var slots [][]int
	for _, l := range g.HPLayers() {
		dirs, err := g.Layers[l].Affine.HP.Directions()
		if err != nil {
			return nil, nil, err
		}
		if rot != nil {
			_, k := dirs.Dims()
			var r mat.Dense
			r.Mul(dirs, householder.RandomRotation(k, rot))
			dirs = &r
		}
		groups = append(groups, dirs)
		slots = append(slots, []int{l})
	}
	return groups, slots, nil
}
