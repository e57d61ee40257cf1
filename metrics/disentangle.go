package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// entropyShare returns 1 − H(p)/ln(base) for the distribution p ∝ v (v ≥ 0):
// 1 when all mass sits in one entry, 0 when it is uniform. base ≤ 1 or a
// zero vector gives 1 (there is nothing to spread over), as dci.py does for
// a single code.
func entropyShare(v []float64, base int) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	if base <= 1 || s <= 0 {
		return 1
	}
	var h float64
	for _, x := range v {
		if x > 0 {
			p := x / s
			h -= p * math.Log(p)
		}
	}
	return 1 - h/math.Log(float64(base))
}

// Scores are DCI-style scores of a non-negative K×F matrix R (directions or
// codes × factors): importances for DCI, intervention effects for the
// intervention matrix.
type Scores struct {
	// Purity (DCI disentanglement) D = Σ_k ρ_k·(1 − H_F(R_k·/ΣR_k·)),
	// ρ_k = ΣR_k·/ΣR.
	Purity float64
	// Completeness C = Σ_f ρ_f·(1 − H_K(R_·f/ΣR_·f)), ρ_f = ΣR_·f/ΣR.
	Completeness float64
	// Coverage is the number of factors f whose best direction
	// k* = argmax_k R_kf has purity > 0.8 and has f as its largest entry.
	Coverage int
	// Live is the share of directions with Σ_f R_kf > 0.1·max_k Σ_f R_kf.
	Live float64
	// PerDirection holds 1 − H_F(R_k·) for each direction k.
	PerDirection []float64
}

// ScoreMatrix computes Scores of R (K rows, F columns, entries ≥ 0). Ragged
// rows or negative entries panic.
func ScoreMatrix(r [][]float64) Scores {
	k := len(r)
	if k == 0 {
		panic("metrics: ScoreMatrix: empty matrix")
	}
	f := len(r[0])
	var total float64
	rowSum := make([]float64, k)
	colSum := make([]float64, f)
	for i, row := range r {
		if len(row) != f {
			panic(fmt.Sprintf("metrics: ScoreMatrix: row %d has %d entries, want %d", i, len(row), f))
		}
		for j, v := range row {
			if v < 0 || math.IsNaN(v) {
				panic(fmt.Sprintf("metrics: ScoreMatrix: R[%d][%d] = %v", i, j, v))
			}
			rowSum[i] += v
			colSum[j] += v
			total += v
		}
	}
	s := Scores{PerDirection: make([]float64, k)}
	var maxRow float64
	for i, row := range r {
		s.PerDirection[i] = entropyShare(row, f)
		if total > 0 {
			s.Purity += rowSum[i] / total * s.PerDirection[i]
		}
		maxRow = math.Max(maxRow, rowSum[i])
	}
	col := make([]float64, k)
	for j := 0; j < f; j++ {
		best := 0
		for i := range r {
			col[i] = r[i][j]
			if r[i][j] > r[best][j] {
				best = i
			}
		}
		if total > 0 {
			s.Completeness += colSum[j] / total * entropyShare(col, k)
		}
		argmax := 0
		for jj, v := range r[best] {
			if v > r[best][argmax] {
				argmax = jj
			}
		}
		if colSum[j] > 0 && s.PerDirection[best] > 0.8 && argmax == j {
			s.Coverage++
		}
	}
	live := 0
	for _, v := range rowSum {
		if maxRow > 0 && v > 0.1*maxRow {
			live++
		}
	}
	s.Live = float64(live) / float64(k)
	return s
}

// Factor describes one measured factor: its name and, for angles, the
// period of the circular difference (0: not circular).
type Factor struct {
	Name   string
	Period float64
}

// FactorDiff returns the difference a − b of a factor's values, wrapped into
// [−Period/2, Period/2) for a circular factor.
func (f Factor) FactorDiff(a, b float64) float64 {
	d := a - b
	if f.Period > 0 {
		d = math.Mod(d+f.Period/2, f.Period)
		if d < 0 {
			d += f.Period
		}
		d -= f.Period / 2
	}
	return d
}

// discretise maps x into nbins equal-width bins over [min, max].
func discretise(x []float64, nbins int) []int {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	out := make([]int, len(x))
	if !(hi > lo) {
		return out
	}
	for i, v := range x {
		b := int(float64(nbins) * (v - lo) / (hi - lo))
		out[i] = min(max(b, 0), nbins-1)
	}
	return out
}

// discreteMI returns the mutual information (nats) of two discrete
// sequences and the entropy of b.
func discreteMI(a, b []int, na, nb int) (mi, hb float64) {
	n := float64(len(a))
	joint := make([]float64, na*nb)
	pa := make([]float64, na)
	pb := make([]float64, nb)
	for i := range a {
		joint[a[i]*nb+b[i]]++
		pa[a[i]]++
		pb[b[i]]++
	}
	for i := 0; i < na; i++ {
		for j := 0; j < nb; j++ {
			if c := joint[i*nb+j]; c > 0 {
				mi += c / n * math.Log(c*n/(pa[i]*pb[j]))
			}
		}
	}
	for _, c := range pb {
		if c > 0 {
			hb -= c / n * math.Log(c/n)
		}
	}
	return mi, hb
}

// MIG returns the mutual information gap (Chen et al. 2018, as in
// disentanglement_lib mig.py): codes (N×K) and factors (N×F) are each
// discretised into nbins equal-width bins, and
//
//	MIG = mean_f [I(c_(1); f) − I(c_(2); f)] / H(f),
//
// where c_(1), c_(2) are the codes with the largest and second-largest
// mutual information with factor f. It also returns the per-factor gaps.
// K must be ≥ 2.
func MIG(codes, factors *mat.Dense, nbins int) (float64, []float64, error) {
	n, k := codes.Dims()
	nf, f := factors.Dims()
	if n != nf || k < 2 || nbins < 2 {
		return 0, nil, fmt.Errorf("metrics: MIG: %d codes × %d, %d factor rows, %d bins", n, k, nf, nbins)
	}
	dc := make([][]int, k)
	for j := 0; j < k; j++ {
		dc[j] = discretise(mat.Col(nil, j, codes), nbins)
	}
	gaps := make([]float64, f)
	var sum float64
	for j := 0; j < f; j++ {
		df := discretise(mat.Col(nil, j, factors), nbins)
		mis := make([]float64, k)
		var h float64
		for c := 0; c < k; c++ {
			mis[c], h = discreteMI(dc[c], df, nbins, nbins)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(mis)))
		if h > 0 {
			gaps[j] = (mis[0] - mis[1]) / h
		}
		sum += gaps[j]
	}
	return sum / float64(f), gaps, nil
}

// standardise returns (x − mean)/std per column (std 0 → column of zeros).
func standardise(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	out := mat.NewDense(n, d, nil)
	for j := 0; j < d; j++ {
		var m, s float64
		for i := 0; i < n; i++ {
			m += x.At(i, j)
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			v := x.At(i, j) - m
			s += v * v
		}
		s = math.Sqrt(s / float64(n))
		for i := 0; i < n; i++ {
			if s > 0 {
				out.Set(i, j, (x.At(i, j)-m)/s)
			}
		}
	}
	return out
}

// Lasso fits y ≈ X·β (X already centred and scaled, y centred) minimising
// ‖y − Xβ‖²/(2n) + λ‖β‖₁ by cyclic coordinate descent with soft
// thresholding, to a change below tol or maxIter sweeps.
func Lasso(x *mat.Dense, y []float64, lambda float64, maxIter int, tol float64) []float64 {
	n, d := x.Dims()
	if len(y) != n {
		panic(fmt.Sprintf("metrics: Lasso: len(y) = %d, X has %d rows", len(y), n))
	}
	beta := make([]float64, d)
	res := append([]float64(nil), y...)
	colSq := make([]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			colSq[j] += x.At(i, j) * x.At(i, j)
		}
		colSq[j] /= float64(n)
	}
	for it := 0; it < maxIter; it++ {
		var change float64
		for j := 0; j < d; j++ {
			if colSq[j] == 0 {
				continue
			}
			var rho float64
			for i := 0; i < n; i++ {
				rho += x.At(i, j) * (res[i] + x.At(i, j)*beta[j])
			}
			rho /= float64(n)
			nb := math.Copysign(math.Max(math.Abs(rho)-lambda, 0), rho) / colSq[j]
			if db := nb - beta[j]; db != 0 {
				for i := 0; i < n; i++ {
					res[i] -= x.At(i, j) * db
				}
				change = math.Max(change, math.Abs(db))
				beta[j] = nb
			}
		}
		if change < tol {
			break
		}
	}
	return beta
}

// DCIResult holds the DCI scores (Eastwood & Williams 2018).
type DCIResult struct {
	Disentanglement, Completeness float64
	// Informativeness is the mean held-out R² of the per-factor regressors.
	Informativeness float64
	// Importance is the K×F matrix of |β| of the standardised Lasso fits.
	Importance [][]float64
}

// DCI computes disentanglement, completeness and informativeness from codes
// (N×K) and factors (N×F). Importances are the absolute coefficients of a
// Lasso (penalty lambda) of each standardised factor on the standardised
// codes, fitted on the first trainFrac of the rows; informativeness is the
// R² on the rest. D and C follow dci.py: D = Σ_k ρ_k(1 − H_F(P_k·)),
// C = Σ_f ρ_f(1 − H_K(P_·f)).
func DCI(codes, factors *mat.Dense, lambda, trainFrac float64) (DCIResult, error) {
	n, k := codes.Dims()
	nf, f := factors.Dims()
	ntr := int(trainFrac * float64(n))
	if n != nf || ntr < 2 || n-ntr < 2 {
		return DCIResult{}, fmt.Errorf("metrics: DCI: %d code rows, %d factor rows, %d training rows", n, nf, ntr)
	}
	xs := standardise(codes)
	ys := standardise(factors)
	imp := make([][]float64, k)
	for i := range imp {
		imp[i] = make([]float64, f)
	}
	xtr := xs.Slice(0, ntr, 0, k).(*mat.Dense)
	var r2 float64
	for j := 0; j < f; j++ {
		y := mat.Col(nil, j, ys)
		beta := Lasso(xtr, y[:ntr], lambda, 500, 1e-7)
		for c := 0; c < k; c++ {
			imp[c][j] = math.Abs(beta[c])
		}
		var sse, sst, mean float64
		for i := ntr; i < n; i++ {
			mean += y[i]
		}
		mean /= float64(n - ntr)
		for i := ntr; i < n; i++ {
			var p float64
			for c := 0; c < k; c++ {
				p += xs.At(i, c) * beta[c]
			}
			sse += (y[i] - p) * (y[i] - p)
			sst += (y[i] - mean) * (y[i] - mean)
		}
		if sst > 0 {
			r2 += 1 - sse/sst
		}
	}
	s := ScoreMatrix(imp)
	return DCIResult{Disentanglement: s.Purity, Completeness: s.Completeness, Informativeness: r2 / float64(f), Importance: imp}, nil
}

// FactorVAEScore returns the FactorVAE disentanglement score (Kim & Mnih
// 2018) adapted to measured factors: a vote picks a factor f, an anchor
// sample, and the groupSize samples nearest to the anchor in f (a narrow bin
// of f; circular distance for circular factors); codes are divided by their
// global std, codes whose global std is below 0.05 of the largest are
// pruned, and the vote goes to the code with the smallest within-group
// variance. A majority-vote classifier (code → factor) is fitted on nTrain
// votes and its accuracy on nEval fresh votes is returned.
func FactorVAEScore(codes, factors *mat.Dense, fs []Factor, groupSize, nTrain, nEval int, rng *rand.Rand) (float64, error) {
	n, k := codes.Dims()
	nf, f := factors.Dims()
	if n != nf || len(fs) != f || groupSize < 2 || groupSize > n || nTrain < 1 || nEval < 1 {
		return 0, fmt.Errorf("metrics: FactorVAEScore: codes %d×%d, factors %d×%d (%d described), group %d",
			n, k, nf, f, len(fs), groupSize)
	}
	std := make([]float64, k)
	var maxStd float64
	for c := 0; c < k; c++ {
		var m, s float64
		for i := 0; i < n; i++ {
			m += codes.At(i, c)
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			s += (codes.At(i, c) - m) * (codes.At(i, c) - m)
		}
		std[c] = math.Sqrt(s / float64(n))
		maxStd = math.Max(maxStd, std[c])
	}
	active := []int{}
	for c := 0; c < k; c++ {
		if std[c] > 0.05*maxStd {
			active = append(active, c)
		}
	}
	if len(active) == 0 {
		return 0, fmt.Errorf("metrics: FactorVAEScore: all codes are constant")
	}
	type pair struct {
		d float64
		i int
	}
	dist := make([]pair, n)
	vote := func() (code, factor int) {
		factor = rng.IntN(f)
		anchor := factors.At(rng.IntN(n), factor)
		for i := 0; i < n; i++ {
			dist[i] = pair{math.Abs(fs[factor].FactorDiff(factors.At(i, factor), anchor)), i}
		}
		sort.Slice(dist, func(a, b int) bool { return dist[a].d < dist[b].d })
		best, bestVar := -1, math.Inf(1)
		for _, c := range active {
			var m, s float64
			for _, p := range dist[:groupSize] {
				m += codes.At(p.i, c) / std[c]
			}
			m /= float64(groupSize)
			for _, p := range dist[:groupSize] {
				v := codes.At(p.i, c)/std[c] - m
				s += v * v
			}
			if s < bestVar {
				best, bestVar = c, s
			}
		}
		return best, factor
	}
	votes := make([][]int, k)
	for i := range votes {
		votes[i] = make([]int, f)
	}
	for t := 0; t < nTrain; t++ {
		c, fac := vote()
		votes[c][fac]++
	}
	class := make([]int, k)
	for c := range votes {
		for j := range votes[c] {
			if votes[c][j] > votes[c][class[c]] {
				class[c] = j
			}
		}
	}
	correct := 0
	for t := 0; t < nEval; t++ {
		c, fac := vote()
		if class[c] == fac {
			correct++
		}
	}
	return float64(correct) / float64(nEval), nil
}
