package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"genlab/matching/prior"
	"genlab/metrics"
	"genlab/results"
)

// group is the rows of one summary group: a test set (or a split or pool of
// sets) at one k.
type group struct {
	set  string
	k    string
	rows []int
}

// groups is the summary's groups by key ("<set> k=<k>") and their keys,
// sorted.
type groups struct {
	m     map[string]*group
	order []string
}

// add appends row i to the group (set, k), creating it.
func (gs *groups) add(set, k string, i ...int) {
	key := set + " k=" + k
	g, ok := gs.m[key]
	if !ok {
		g = &group{set: set, k: k}
		gs.m[key] = g
		gs.order = append(gs.order, key)
	}
	g.rows = append(g.rows, i...)
}

// summaryGroups groups the rows by set and k, then adds the held-out blobs
// split by body — even pair indices carry the symmetry-breaking tail, odd
// ones are exactly mirror-symmetric (their intrinsic descriptors cannot
// tell a map from its mirror image) — the pooled category shift (every
// set but the held-out blobs) and, with more than one set, "all": every
// pair of every set pooled.
func summaryGroups(t *results.Table) *groups {
	gs := &groups{m: map[string]*group{}}
	for i := range t.Rows {
		gs.add(t.Get(i, "set"), t.Get(i, "k"), i)
	}
	for _, key := range append([]string{}, gs.order...) {
		g := gs.m[key]
		if g.set != "blob" {
			continue
		}
		for _, i := range g.rows {
			sub := "blob-asym"
			if n, err := t.Float(i, "pair"); err == nil && int(n)%2 == 1 {
				sub = "blob-sym"
			}
			gs.add(sub, g.k, i)
		}
	}
	sets := map[string]bool{}
	for _, key := range append([]string{}, gs.order...) {
		g := gs.m[key]
		if !strings.HasPrefix(g.set, "blob") {
			gs.add("shift-pooled", g.k, g.rows...)
		}
		if g.set != "blob-asym" && g.set != "blob-sym" {
			sets[g.set] = true
		}
	}
	if len(sets) > 1 {
		for i := range t.Rows {
			gs.add("all", t.Get(i, "k"), i)
		}
	}
	sort.Strings(gs.order)
	return gs
}

// col returns the parseable values of column c over rows.
func col(t *results.Table, rows []int, c string) []float64 {
	var v []float64
	for _, i := range rows {
		if x, err := t.Float(i, c); err == nil {
			v = append(v, x)
		}
	}
	return v
}

// paired returns the values of columns a and b over the rows where both
// parse, in row order.
func paired(t *results.Table, rows []int, a, b string) (x, y []float64) {
	for _, i := range rows {
		u, err1 := t.Float(i, a)
		v, err2 := t.Float(i, b)
		if err1 == nil && err2 == nil {
			x, y = append(x, u), append(y, v)
		}
	}
	return x, y
}

// signRow is the paired comparison, after ZoomOut over a group's pairs, of a
// method against a reference mask: the sign test's wins (method lower),
// losses, pairs n (ties included), two-sided p, and the mean difference
// Δ = method − reference with its 95% t half-width (NaN for n < 2).
type signRow struct {
	Regime, Label, Ref string
	Wins, Losses, N    int
	P, Mean, Half      float64
}

// signRefs are the reference masks of the sign tests: the Laplacian mask
// (M1) and the mean-map mask (M3).
var signRefs = []prior.Method{prior.LapMask, prior.MeanMask}

// signRows returns the sign tests of the group rows in regime r: every
// prior method (M4, M5 with each prior) against M1 and M3, the axiomatic
// refinement against M1, and M3 against M1.
func signRows(t *results.Table, rows []int, base Config, r string) []signRow {
	var out []signRow
	for _, m := range base.Methods {
		for _, p := range priorsOf(base, m) {
			for _, ref := range signRefs {
				switch {
				case prior.Method(m) == ref:
					continue
				case p == "" && ref != prior.LapMask:
					continue
				case p == "" && m != string(prior.AxiomRefine) && m != string(prior.MeanMask):
					continue
				}
				a, b := paired(t, rows, methodName(r, m, p)+"_zo_err", methodName(r, string(ref), "")+"_zo_err")
				if len(a) == 0 {
					continue
				}
				w, l, pv, _ := metrics.SignTest(a, b)
				mean, half := metrics.MeanCI95(diff(a, b))
				out = append(out, signRow{Regime: r, Label: methodLabel(m, p), Ref: string(ref), Wins: w, Losses: l, N: len(a), P: pv, Mean: mean, Half: half})
			}
		}
	}
	return out
}

// ci formats the mean ± 95% CI of v ("–" when empty, the mean alone for one
// value).
func ci(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	m, h := metrics.MeanCI95(v)
	if len(v) < 2 || math.IsNaN(h) {
		return fmt.Sprintf("%.2f", m)
	}
	return fmt.Sprintf("%.2f ± %.2f", m, h)
}

// share formats the mean of 0/1 values v as a percentage.
func share(v []float64) string {
	if len(v) == 0 {
		return "–"
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return fmt.Sprintf("%.0f%%", 100*s/float64(len(v)))
}

// priorsOf returns the priors method m runs with ("" for prior-free
// methods).
func priorsOf(base Config, m string) []string {
	if prior.Method(m).UsesPrior() {
		return base.Priors
	}
	return []string{""}
}

// methodLabel is the table label of method m with prior p.
func methodLabel(m, p string) string {
	if p != "" {
		return m + " (" + p + ")"
	}
	return m
}

// summary writes table.md (method × regime per test set: error before and
// after ZoomOut with 95% CIs, flipped-map shares), signtest.md (each prior
// method vs the Laplacian mask after ZoomOut), matrix.md (the same as a
// method × regime matrix per group) and a bar figure per set.
func summary(dir string, t *results.Table, base Config) error {
	gs := summaryGroups(t)
	var tb, sb strings.Builder
	tb.WriteString("| set | regime | method | n | error ×100 | after ZoomOut | flipped (raw → ZO) |\n|---|---|---|---|---|---|---|\n")
	sb.WriteString("| set | regime | method | vs | wins | losses | n | p (two-sided sign test) | mean Δ after ZO | 95% CI of Δ |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, key := range gs.order {
		if err := tableGroup(&tb, &sb, dir, t, base, key, gs.m[key]); err != nil {
			return err
		}
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "table.md"), []byte(tb.String())); err != nil {
		return err
	}
	var mb strings.Builder
	for _, key := range gs.order {
		matrixGroup(&mb, t, base, key, gs.m[key])
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "matrix.md"), []byte(mb.String())); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, "signtest.md"), []byte(sb.String()))
}

// tableGroup writes one group's rows of table.md (tb) and signtest.md (sb)
// and its bar figure error_<set>_k<k>.png.
func tableGroup(tb, sb *strings.Builder, dir string, t *results.Table, base Config, key string, g *group) error {
	c := func(name string) []float64 { return col(t, g.rows, name) }
	fmt.Fprintf(tb, "| %s | – | oracle | %d | %s | %s | %s → %s |\n", key, len(g.rows),
		ci(c("oracle_err")), ci(c("oracle_zo_err")), share(c("oracle_flipped")), share(c("oracle_zo_flipped")))
	var labels []string
	var vals [][]float64
	for _, r := range base.Regimes {
		for _, m := range base.Methods {
			for _, p := range priorsOf(base, m) {
				name := methodName(r, m, p)
				raw := c(name + "_err")
				if len(raw) == 0 {
					continue
				}
				zo := c(name + "_zo_err")
				label := methodLabel(m, p)
				fmt.Fprintf(tb, "| %s | %s | %s | %d | %s | %s | %s → %s |\n", key, r, label, len(raw), ci(raw), ci(zo),
					share(c(name+"_flipped")), share(c(name+"_zo_flipped")))
				labels = append(labels, r+" "+label)
				vals = append(vals, zo)
			}
		}
		for _, sr := range signRows(t, g.rows, base, r) {
			half := "–"
			if !math.IsNaN(sr.Half) {
				half = fmt.Sprintf("[%+.2f, %+.2f]", sr.Mean-sr.Half, sr.Mean+sr.Half)
			}
			fmt.Fprintf(sb, "| %s | %s | %s | %s | %d | %d | %d | %.3g | %+.2f | %s |\n", key, r, sr.Label, sr.Ref, sr.Wins, sr.Losses, sr.N, sr.P, sr.Mean, half)
		}
	}
	if len(labels) == 0 {
		return nil
	}
	fn := fmt.Sprintf("error_%s_k%s.png", g.set, g.k)
	return results.BarsCI(filepath.Join(dir, fn), "spectral-prior: "+key+", error ×100 after ZoomOut",
		"error ×100 (mean ± 95% CI over pairs)", results.NonNegative, labels, vals)
}

// matrixGroup writes one group of matrix.md: method × regime, error after
// ZoomOut (raw in brackets), flipped shares, and the paired sign tests
// against the Laplacian and the mean-map masks (wins/losses, two-sided p,
// mean Δ ± 95% CI).
func matrixGroup(mb *strings.Builder, t *results.Table, base Config, key string, g *group) {
	hdr := "| " + key + " (n = " + fmt.Sprint(len(g.rows)) + ") |"
	sep := "|---|"
	for _, r := range base.Regimes {
		hdr += " " + r + " |"
		sep += "---|"
	}
	cell := func(r, m, p, suffix string) []float64 { return col(t, g.rows, methodName(r, m, p)+suffix) }
	mb.WriteString("### " + key + ": error ×100 after ZoomOut, mean ± 95% CI (before ZoomOut)\n\n" + hdr + "\n" + sep + "\n")
	fmt.Fprintf(mb, "| oracle C_gt |")
	for range base.Regimes {
		fmt.Fprintf(mb, " %s (%s) |", ci(col(t, g.rows, "oracle_zo_err")), ci(col(t, g.rows, "oracle_err")))
	}
	mb.WriteString("\n")
	var flips strings.Builder
	signs := make([]strings.Builder, len(signRefs))
	flips.WriteString("\n" + key + ": share of left/right-flipped maps after ZoomOut\n\n" + hdr + "\n" + sep + "\n")
	for si, ref := range signRefs {
		fmt.Fprintf(&signs[si], "\n%s: paired sign test against %s after ZoomOut (wins/losses, two-sided p, mean Δ ± 95%% CI)\n\n%s\n%s\n",
			key, ref, hdr, sep)
	}
	for _, m := range base.Methods {
		for _, p := range priorsOf(base, m) {
			label := methodLabel(m, p)
			fmt.Fprintf(mb, "| %s |", label)
			fmt.Fprintf(&flips, "| %s |", label)
			for _, r := range base.Regimes {
				fmt.Fprintf(mb, " %s (%s) |", ci(cell(r, m, p, "_zo_err")), ci(cell(r, m, p, "_err")))
				fmt.Fprintf(&flips, " %s |", share(cell(r, m, p, "_zo_flipped")))
			}
			mb.WriteString("\n")
			flips.WriteString("\n")
			for si, ref := range signRefs {
				if m == string(ref) {
					continue
				}
				fmt.Fprintf(&signs[si], "| %s |", label)
				for _, r := range base.Regimes {
					a, b := paired(t, g.rows, methodName(r, m, p)+"_zo_err", methodName(r, string(ref), "")+"_zo_err")
					if len(a) == 0 {
						signs[si].WriteString(" – |")
						continue
					}
					w, l, pv, _ := metrics.SignTest(a, b)
					fmt.Fprintf(&signs[si], " %d/%d (p %.2g) %s |", w, l, pv, ci(diff(a, b)))
				}
				signs[si].WriteString("\n")
			}
		}
	}
	mb.WriteString(flips.String())
	for si := range signs {
		mb.WriteString(signs[si].String())
	}
	mb.WriteString("\n")
}

// diff returns a − b elementwise.
func diff(a, b []float64) []float64 {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}
