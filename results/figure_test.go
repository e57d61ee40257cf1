package results

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"
)

func TestCIText(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"SW1 (mean ± 95% CI over seeds)", 1, "SW1 (n = 1)"},
		{"ring8: MMD² vs D (mean, 95% CI over seeds)", 1, "ring8: MMD² vs D (n = 1)"},
		{"error ×100 (mean ± 95% CI over pairs)", 0, "error ×100 (n = 1)"},
		{"Δ sw1 = M(perturbed) − M(clean), mean ± 95% CI", 1, "Δ sw1 = M(perturbed) − M(clean), n = 1"},
		{"SW1 (mean ± 95% CI over seeds)", 3, "SW1 (mean ± 95% CI over seeds)"},
		{"fid_lenet", 1, "fid_lenet"},
	}
	for _, c := range cases {
		if got := CIText(c.in, c.n); got != c.want {
			t.Errorf("CIText(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestBoundsClip(t *testing.T) {
	cases := []struct {
		b              Bounds
		m, h           float64
		wantLo, wantHi float64
	}{
		{NonNegative, 2, 5, 2, 5},       // an error's bar stops at 0
		{UnitRange, 0.9, 0.3, 0.3, 0.1}, // a share's at 1
		{Unbounded, -1, 3, 3, 3},
		{Bounds{}, 2, 5, 5, 5}, // the zero value is unbounded
		{NonNegative, 1, 0, 0, 0},
	}
	for _, c := range cases {
		lo, hi := c.b.clip(c.m, c.h)
		if math.Abs(lo-c.wantLo) > 1e-12 || math.Abs(hi-c.wantHi) > 1e-12 {
			t.Errorf("%+v.clip(%v, %v) = %v, %v; want %v, %v", c.b, c.m, c.h, lo, hi, c.wantLo, c.wantHi)
		}
	}
}

// TestLogTickLabels: no label on a log axis carries float noise
// (1.0000000000000007, 1.00000000000004e-05), over decades and within one.
func TestLogTickLabels(t *testing.T) {
	for _, r := range [][2]float64{{1e-5, 1}, {3e-6, 0.02}, {0.9, 1.1}, {90, 400}, {1e-16, 30}} {
		n := 0
		for _, tk := range (LogTicks{}).Ticks(r[0], r[1]) {
			if tk.Label == "" {
				continue
			}
			n++
			if n > maxLogLabels+1 {
				t.Errorf("range %v: more than %d labels", r, maxLogLabels)
			}
			v, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil || len(tk.Label) > 6 || math.Abs(v-tk.Value) > 1e-3*tk.Value {
				t.Errorf("range %v: tick %v labelled %q", r, tk.Value, tk.Label)
			}
		}
	}
}

// TestLegendPlacement: a legend goes inside where the data leave a corner
// free (the figure keeps its width) and outside, widening the figure, when
// data fill every corner.
func TestLegendPlacement(t *testing.T) {
	dir := figDir(t)
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	var free, full []Series
	for i, n := range names {
		if i < 3 {
			free = append(free, Series{Name: "series " + n, X: []float64{1, 2, 3}, Y: [][]float64{{0.1 * float64(i)}, {0.2}, {0.3}}})
		}
		// zig-zags through all four corners
		full = append(full, Series{Name: "series " + n, X: []float64{1, 1.5, 2, 2.5, 3}, Y: [][]float64{{0}, {10}, {float64(i)}, {0}, {10}}})
	}
	free = append(free, Series{Name: "top", X: []float64{1, 3}, Y: [][]float64{{0}, {10}}}) // the diagonal leaves the top-left free
	widths := map[string]int{}
	for name, ser := range map[string][]Series{"free": free, "full": full} {
		p := filepath.Join(dir, "legend_"+name+".png")
		if err := MetricVsParam(p, SweepPlot{Title: name, XLabel: "x", YLabel: "y", Series: ser,
			Refs: []RefLine{{Y: 0.5, Label: "floor"}}}); err != nil {
			t.Fatal(err)
		}
		widths[name] = decodePNG(t, p).Bounds().Dx()
	}
	std := int(FigWidth.Dots(96))
	if widths["free"] != std || widths["full"] <= std {
		t.Errorf("widths %v: want %d with a free corner, wider when every corner holds data", widths, std)
	}
}

// TestSweepTicksApart: a tick too close to the previous one (k = 0.886
// beside 0.88) keeps its mark but loses its label, so the two do not
// print over each other; ticks far apart keep theirs.
func TestSweepTicksApart(t *testing.T) {
	ticks := sweepTicks([]float64{0, 0.5, 0.88, 0.886, 1}, false, 0, false).Ticks(-0.04, 1.04)
	got := map[float64]string{}
	for _, tk := range ticks {
		got[tk.Value] = tk.Label
	}
	want := map[float64]string{0: "0", 0.5: "0.5", 0.88: "0.88", 0.886: "", 1: "1"}
	for v, l := range want {
		if g, ok := got[v]; !ok || g != l {
			t.Errorf("tick %v: label %q (present %v), want %q", v, g, ok, l)
		}
	}
}
