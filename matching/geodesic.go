package matching

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"genlab/data/mesh"
)

// Graph is a weighted vertex graph of a mesh whose shortest paths
// approximate geodesic distances from above: every edge weight is the length
// of a path on the surface.
type Graph struct {
	adj [][]gEdge
}

type gEdge struct {
	to int
	w  float64
}

// NewGraph returns the edge graph of m (weights = edge lengths). With
// shortcuts set it also links the two vertices opposite each interior edge
// when the straight segment between them, unfolded into the plane of the two
// triangles, crosses that edge; its unfolded length is a surface path, so
// distances stay upper bounds while the metrication error of the edge graph
// shrinks.
func NewGraph(m *mesh.Mesh, shortcuts bool) *Graph {
	g := &Graph{adj: make([][]gEdge, len(m.V))}
	add := func(a, b int, w float64) {
		g.adj[a] = append(g.adj[a], gEdge{b, w})
		g.adj[b] = append(g.adj[b], gEdge{a, w})
	}
	for _, e := range m.Edges() {
		add(e.I, e.J, mesh.Norm(mesh.Sub(m.V[e.I], m.V[e.J])))
	}
	if !shortcuts {
		return g
	}
	// opposite vertices per edge
	opp := map[mesh.Edge][]int{}
	for _, f := range m.F {
		for c := 0; c < 3; c++ {
			a, b := f[c], f[(c+1)%3]
			if a > b {
				a, b = b, a
			}
			opp[mesh.Edge{I: a, J: b}] = append(opp[mesh.Edge{I: a, J: b}], f[(c+2)%3])
		}
	}
	for e, o := range opp {
		if len(o) != 2 || o[0] == o[1] {
			continue
		}
		// unfold: shared edge from P=V[I] to Q=V[J] on the x axis
		P, Q := m.V[e.I], m.V[e.J]
		ex := mesh.Sub(Q, P)
		L := mesh.Norm(ex)
		if L == 0 {
			continue
		}
		ex = mesh.Scale(1/L, ex)
		flat := func(v int) (x, y float64) {
			d := mesh.Sub(m.V[v], P)
			x = mesh.Dot(d, ex)
			y = math.Sqrt(math.Max(mesh.Dot(d, d)-x*x, 0))
			return
		}
		x1, y1 := flat(o[0])
		x2, y2 := flat(o[1])
		y2 = -y2 // the second triangle lies on the other side
		if y1-y2 <= 0 {
			continue
		}
		t := y1 / (y1 - y2)
		xc := x1 + t*(x2-x1) // crossing of the x axis
		if xc <= 0 || xc >= L {
			continue
		}
		add(o[0], o[1], math.Hypot(x2-x1, y2-y1))
	}
	return g
}

type pqItem struct {
	v int
	d float64
}
type pq []pqItem

func (q pq) Len() int               { return len(q) }
func (q pq) Less(i, j int) bool     { return q[i].d < q[j].d }
func (q pq) Swap(i, j int)          { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)            { *q = append(*q, x.(pqItem)) }
func (q *pq) Pop() any              { o := *q; it := o[len(o)-1]; *q = o[:len(o)-1]; return it }
func (q *pq) push(v int, d float64) { heap.Push(q, pqItem{v, d}) }

// Distances returns the shortest-path distances from src to every vertex
// (Dijkstra; +Inf for unreachable vertices).
func (g *Graph) Distances(src int) []float64 {
	d := make([]float64, len(g.adj))
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[src] = 0
	q := &pq{}
	q.push(src, 0)
	for q.Len() > 0 {
		it := heap.Pop(q).(pqItem)
		if it.d > d[it.v] {
			continue
		}
		for _, e := range g.adj[it.v] {
			if nd := it.d + e.w; nd < d[e.to] {
				d[e.to] = nd
				q.push(e.to, nd)
			}
		}
	}
	return d
}

// GeodesicErrors returns, for each evaluated target vertex y (all when
// eval is nil), the geodesic distance on the source between the predicted
// vertex p2p21[y] and the true one gt[y], divided by √area of the source
// (pyFM's accuracy). One Dijkstra run per distinct true vertex, in parallel.
func GeodesicErrors(ctx context.Context, g *Graph, area float64, p2p21, gt, eval []int) ([]float64, error) {
	if len(p2p21) != len(gt) {
		panic("matching: GeodesicErrors: map and ground truth lengths differ")
	}
	if eval == nil {
		eval = make([]int, len(gt))
		for i := range eval {
			eval[i] = i
		}
	}
	bySrc := map[int][]int{}
	for _, y := range eval {
		bySrc[gt[y]] = append(bySrc[gt[y]], y)
	}
	srcs := make([]int, 0, len(bySrc))
	for s := range bySrc {
		srcs = append(srcs, s)
	}
	sort.Ints(srcs)
	errs := make(map[int]float64, len(eval))
	var mu sync.Mutex
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	s := 1 / math.Sqrt(area)
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := k; i < len(srcs); i += w {
				if ctx.Err() != nil {
					return
				}
				d := g.Distances(srcs[i])
				mu.Lock()
				for _, y := range bySrc[srcs[i]] {
					errs[y] = d[p2p21[y]] * s
				}
				mu.Unlock()
			}
		}(k)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]float64, len(eval))
	for i, y := range eval {
		out[i] = errs[y]
		if math.IsInf(out[i], 0) {
			return nil, fmt.Errorf("matching: vertex %d maps to a different connected component", y)
		}
	}
	return out, nil
}

// Mean returns the arithmetic mean of x.
func Mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// CumulativeCurve returns, for each threshold t, the fraction of errors ≤ t.
func CumulativeCurve(errs, thresholds []float64) []float64 {
	s := append([]float64(nil), errs...)
	sort.Float64s(s)
	out := make([]float64, len(thresholds))
	for i, t := range thresholds {
		out[i] = float64(sort.Search(len(s), func(j int) bool { return s[j] > t })) / float64(len(s))
	}
	return out
}

// FlipRate returns the fraction of evaluated vertices whose predicted image
// is closer to the mirror image of the true vertex, sym[gt[y]], than to the
// true vertex gt[y]; errSym and errTrue are the two per-vertex geodesic
// errors from GeodesicErrors with the ground truths sym∘gt and gt. A
// correct map scores ≈ 0, a left/right-flipped map ≈ 1.
func FlipRate(errTrue, errSym []float64) float64 {
	if len(errTrue) != len(errSym) {
		panic("matching: FlipRate length mismatch")
	}
	c := 0
	for i := range errTrue {
		if errSym[i] < errTrue[i] {
			c++
		}
	}
	return float64(c) / float64(len(errTrue))
}

// Evaluator holds the geodesic distance rows needed to score many point
// maps of one pair against a fixed ground truth: one Dijkstra run per
// distinct true source vertex of the evaluated target vertices.
type Evaluator struct {
	eval  []int
	gt    []int
	rows  map[int][]float64
	scale float64
}

// NewEvaluator precomputes, in parallel, the distances from gt[y] for every
// y in eval (all target vertices when eval is nil) on graph g; errors are
// divided by √area.
func NewEvaluator(ctx context.Context, g *Graph, area float64, gt, eval []int) (*Evaluator, error) {
	if eval == nil {
		eval = make([]int, len(gt))
		for i := range eval {
			eval[i] = i
		}
	}
	e := &Evaluator{eval: eval, gt: gt, rows: map[int][]float64{}, scale: 1 / math.Sqrt(area)}
	var srcs []int
	for _, y := range eval {
		if _, ok := e.rows[gt[y]]; !ok {
			e.rows[gt[y]] = nil
			srcs = append(srcs, gt[y])
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for i := k; i < len(srcs); i += w {
				if ctx.Err() != nil {
					return
				}
				d := g.Distances(srcs[i])
				mu.Lock()
				e.rows[srcs[i]] = d
				mu.Unlock()
			}
		}(k)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// Errors returns d(p2p21[y], gt[y])/√area for each evaluated vertex y.
// It panics if p2p21 is shorter than the ground truth.
func (e *Evaluator) Errors(p2p21 []int) ([]float64, error) {
	if len(p2p21) != len(e.gt) {
		panic("matching: Evaluator.Errors: map and ground truth lengths differ")
	}
	out := make([]float64, len(e.eval))
	for i, y := range e.eval {
		out[i] = e.rows[e.gt[y]][p2p21[y]] * e.scale
		if math.IsInf(out[i], 0) {
			return nil, fmt.Errorf("matching: vertex %d maps to a different connected component", y)
		}
	}
	return out, nil
}
