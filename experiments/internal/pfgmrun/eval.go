package pfgmrun

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"genlab/metrics"
)

// Evaluator scores generated samples against a data set's reference draw.
// Its random parts (projection directions, MMD bandwidths) depend only on
// the data set's dimension and reference, so scores are comparable across
// D, seeds and perturbations.
type Evaluator struct {
	ds       *DataSet
	dirs     *mat.Dense // sliced-Wasserstein directions, shared by every task of this dimension
	hs       []float64  // MMD bandwidths
	mmdRef   *mat.Dense // reference subset for MMD (its cost is quadratic)
	refNorms []float64  // sorted ‖x‖ of the reference
	q99      float64
	q999     float64
}

// NewEvaluator prepares the metrics of ds; mmdN caps the reference size of
// the MMD.
func NewEvaluator(ds *DataSet, mmdN int) *Evaluator {
	ev := &Evaluator{ds: ds}
	ev.dirs = metrics.RandomDirections(ds.Dim, 256, rand.New(rand.NewPCG(0, 0x5357+uint64(ds.Dim))))
	nRef, _ := ds.Ref.Dims()
	ev.mmdRef = ds.Ref.Slice(0, min(mmdN, nRef), 0, ds.Dim).(*mat.Dense)
	h := metrics.MedianHeuristic(ev.mmdRef, 20000, rand.New(rand.NewPCG(0, streamMMD)))
	// Five RBF bandwidths around the median distance, as the PFGM++ toy
	// notebook's five-kernel sum.
	ev.hs = []float64{h / 4, h / 2, h, 2 * h, 4 * h}
	ev.refNorms = metrics.RowNorms(ds.Ref)
	slices.Sort(ev.refNorms)
	ev.q99 = metrics.Quantile(ev.refNorms, 0.99)
	ev.q999 = metrics.Quantile(ev.refNorms, 0.999)
	return ev
}

// Score returns the metrics of samples x (prefix + name → value):
//
//	sw1, sw2    sliced Wasserstein-1/-2 to the reference (256 shared directions)
//	mmd2        unbiased MMD² with five RBF bandwidths
//	q99_err, q999_err  |log(q_gen/q_ref)| of the 99th/99.9th percentile of ‖x‖
//	q99_lr, q999_lr    signed log ratio log(q_gen/q_ref) (> 0: tail too heavy)
//	far_share   share of samples with ‖x‖ above the reference's 99.9th percentile (reference: 0.001)
//	far10_share share with ‖x‖ above 10× the reference's 99th percentile
//	hill        Hill estimate of the tail index of ‖x‖ on the top 2%
//	nonfinite   share of samples with a non-finite coordinate (they are dropped first)
//
// and, for the two-cluster toy, in its latent coordinates z:
//
//	cluster_balance  |share with mean(z) > 0 − ½|
//	latent_rmse      RMS of z − (nearest of ±1) over coordinates (data: 0.2)
func (ev *Evaluator) Score(prefix string, x *mat.Dense) map[string]float64 {
	res := map[string]float64{}
	n, _ := x.Dims()
	x, bad := finiteRows(x)
	res[prefix+"nonfinite"] = float64(bad) / float64(n)
	if m, _ := x.Dims(); m < 2 {
		for _, k := range []string{"sw1", "sw2", "mmd2", "q99_err", "q999_err", "q99_lr", "q999_lr", "far_share", "far10_share", "hill"} {
			res[prefix+k] = math.NaN()
		}
		return res
	}
	res[prefix+"sw1"] = metrics.SlicedWassersteinDirs(x, ev.ds.Ref, ev.dirs, 1)
	res[prefix+"sw2"] = metrics.SlicedWassersteinDirs(x, ev.ds.Ref, ev.dirs, 2)
	res[prefix+"mmd2"] = metrics.MMD2(x, ev.mmdRef, ev.hs)
	nx := metrics.RowNorms(x)
	slices.Sort(nx)
	lr99 := math.Log(metrics.Quantile(nx, 0.99) / ev.q99)
	lr999 := math.Log(metrics.Quantile(nx, 0.999) / ev.q999)
	res[prefix+"q99_lr"], res[prefix+"q999_lr"] = lr99, lr999
	res[prefix+"q99_err"], res[prefix+"q999_err"] = math.Abs(lr99), math.Abs(lr999)
	var far, far10 float64
	for _, v := range nx {
		if v > ev.q999 {
			far++
		}
		if v > 10*ev.q99 {
			far10++
		}
	}
	res[prefix+"far_share"] = far / float64(n)
	res[prefix+"far10_share"] = (far10 + float64(bad)) / float64(n)
	res[prefix+"hill"] = metrics.Hill(nx, max(10, len(nx)/50))
	if ev.ds.Cluster != nil {
		if z, err := ev.ds.Cluster.Latent(x); err == nil {
			m, _ := z.Dims()
			var plus, se float64
			for i := 0; i < m; i++ {
				row := z.RawRowView(i)
				var mean float64
				for _, v := range row {
					mean += v / float64(len(row))
				}
				c := -1.0
				if mean > 0 {
					plus++
					c = 1
				}
				for _, v := range row {
					se += (v - c) * (v - c)
				}
			}
			res[prefix+"cluster_balance"] = math.Abs(plus/float64(m) - 0.5)
			res[prefix+"latent_rmse"] = math.Sqrt(se / float64(m*len(z.RawRowView(0))))
		}
	}
	return res
}

// Floor returns the metrics of an independent draw of the data (the value a
// perfect generator would score at this sample size), with prefix "floor_".
func (ev *Evaluator) Floor() map[string]float64 { return ev.Score("floor_", ev.ds.Floor) }

// RefTail returns the reference's tail constants (for the record).
func (ev *Evaluator) RefTail() map[string]float64 {
	return map[string]float64{
		"ref_q99": ev.q99, "ref_q999": ev.q999,
		"ref_hill": metrics.Hill(ev.refNorms, max(10, len(ev.refNorms)/50)),
	}
}

// finiteRows returns x without rows holding a non-finite value, and how
// many were dropped.
func finiteRows(x *mat.Dense) (*mat.Dense, int) {
	n, c := x.Dims()
	keep := make([]int, 0, n)
	for i := 0; i < n; i++ {
		ok := true
		for _, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, i)
		}
	}
	if len(keep) == n {
		return x, 0
	}
	out := mat.NewDense(max(len(keep), 1), c, nil)
	for j, i := range keep {
		out.SetRow(j, x.RawRowView(i))
	}
	if len(keep) == 0 {
		return &mat.Dense{}, n
	}
	return out, n - len(keep)
}
