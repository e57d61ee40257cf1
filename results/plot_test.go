package results

import (
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// figDir is where figure tests write: RESULTS_FIG_DIR when set (to look at
// the figures), else a fresh temporary directory.
func figDir(t *testing.T) string {
	if d := os.Getenv("RESULTS_FIG_DIR"); d != "" {
		return d
	}
	return t.TempDir()
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// countNonWhite counts pixels that are not (near) white.
func countNonWhite(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				n++
			}
		}
	}
	return n
}

func TestMetricVsParamInf(t *testing.T) {
	dir := figDir(t)
	spec := SweepPlot{
		Title: "FID vs D", XLabel: "D", YLabel: "fid", LogX: true,
		Series: []Series{
			{Name: "x-pred", X: []float64{1, 4, 16, math.Inf(1)}, Y: [][]float64{{9, 10, 11}, {5, 6}, {3}, {2, 2.5, math.NaN()}}},
			{Name: "eps-pred", X: []float64{1, 16, math.Inf(1)}, Y: [][]float64{{12}, {4, 4.2}, {3, 3.1}}},
		},
	}
	path := filepath.Join(dir, "fid_vs_D.png")
	if err := MetricVsParam(path, spec); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if b := img.Bounds(); b.Dx() != 576 || b.Dy() != 384 {
		t.Fatalf("size %v, want 576×384 (6×4 in at 96 dpi)", b)
	}
	if n := countNonWhite(img); n < 2000 {
		t.Fatalf("only %d drawn pixels", n)
	}
	// The ∞ tick sits past the largest finite x: 16·10^max(0.3, log10(16)/5).
	inf := InfPosition([]float64{1, 4, 16}, true)
	if want := 16 * math.Pow(10, 0.3); math.Abs(inf-want) > 1e-12 {
		t.Fatalf("InfPosition %v, want %v", inf, want)
	}
	ticks := sweepTicks([]float64{1, 4, 16}, true, inf, true).Ticks(1, inf)
	if len(ticks) != 4 || ticks[3].Label != "∞" || ticks[3].Value != inf || ticks[2].Label != "16" {
		t.Fatalf("ticks %+v", ticks)
	}
	if got := InfPosition([]float64{0, 10}, false); got != 12 {
		t.Fatalf("linear InfPosition %v, want 12", got)
	}
	// Log axis with a non-positive finite x is an input error.
	bad := SweepPlot{LogX: true, Series: []Series{{X: []float64{0, 1}, Y: [][]float64{{1}, {2}}}}}
	if err := MetricVsParam(filepath.Join(dir, "bad.png"), bad); err == nil {
		t.Fatal("x = 0 on a log axis accepted")
	}
}

func TestFigures(t *testing.T) {
	dir := figDir(t)
	rng := rand.New(rand.NewPCG(1, 2))

	var steps []Step
	for i := 0; i < 200; i++ {
		steps = append(steps, Step{Step: i, Values: map[string]float64{"loss": math.Exp(-float64(i)/50) + 0.05*rng.Float64()}})
	}
	lc := filepath.Join(dir, "loss.png")
	if err := LossCurve(lc, steps, "loss", true); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, lc)
	if err := LossCurve(filepath.Join(dir, "none.png"), steps, "fid", false); err == nil {
		t.Fatal("curve of an absent key succeeded")
	}

	ref := mat.NewDense(2000, 2, nil)
	for i := 0; i < 2000; i++ {
		a := rng.Float64() * 2 * math.Pi
		ref.Set(i, 0, math.Cos(a)+0.05*rng.NormFloat64())
		ref.Set(i, 1, math.Sin(a)+0.05*rng.NormFloat64())
	}
	smp := mat.NewDense(300, 2, nil)
	for i := 0; i < 300; i++ {
		smp.Set(i, 0, rng.NormFloat64())
		smp.Set(i, 1, rng.NormFloat64())
	}
	smp.Set(0, 0, 100) // one sample far outside
	sc := filepath.Join(dir, "samples.png")
	if err := Scatter2D(sc, "ring", smp, ref); err != nil {
		t.Fatal(err)
	}
	if b := decodePNG(t, sc).Bounds(); b.Dx() != 480 || b.Dy() != 480 {
		t.Fatalf("scatter size %v", b)
	}

	hm := filepath.Join(dir, "heat.png")
	z := [][]float64{{1, 2, 3}, {4, math.NaN(), 6}}
	if err := Heatmap(hm, []string{"0", "0.5", "1"}, []string{"1", "∞"}, z, "FID (D × k)"); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, hm)
	if b := img.Bounds(); b.Dx() != 576 || b.Dy() != 384 {
		t.Fatalf("heatmap size %v", b)
	}
	// The colour bar occupies the right sixth: it must run from blue (low)
	// at the bottom to red (high) at the top.
	blueY, redY, nb, nr := 0, 0, 0, 0
	for y := 20; y < 360; y++ {
		for x := 500; x < 576; x++ {
			r, _, b, _ := img.At(x, y).RGBA()
			if b > r+0x4000 {
				blueY += y
				nb++
			}
			if r > b+0x4000 {
				redY += y
				nr++
			}
		}
	}
	if nb == 0 || nr == 0 || redY/nr >= blueY/nb {
		t.Fatalf("colour bar: %d blue pixels (mean row %d), %d red (mean row %d)", nb, blueY/max(nb, 1), nr, redY/max(nr, 1))
	}

	// A shared scale wider than the data leaves the extremes unused: no
	// saturated red appears in the cells when hi is far above max(z).
	hr := filepath.Join(dir, "heat_range.png")
	if err := HeatmapRange(hr, []string{"a", "b"}, []string{"r"}, [][]float64{{1, 2}}, "fixed", 0, 100); err != nil {
		t.Fatal(err)
	}
	img = decodePNG(t, hr)
	for y := 40; y < 340; y++ {
		for x := 40; x < 440; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r > b+0x4000 && g < 0x8000 {
				t.Fatalf("red pixel at (%d,%d) with values 1, 2 on a 0–100 scale", x, y)
			}
		}
	}
	if err := HeatmapRange(hr, []string{"a"}, []string{"r"}, [][]float64{{1}}, "bad", 2, 1); err == nil {
		t.Fatal("empty colour range accepted")
	}

	bc := filepath.Join(dir, "bars.png")
	if err := BarsCI(bc, "k", "fid", NonNegative, []string{"eps", "x", "v"}, [][]float64{{1, 2, 3}, {2}, {4, 5}}); err != nil {
		t.Fatal(err)
	}
	decodePNG(t, bc)
}

func TestImageGrid(t *testing.T) {
	path := filepath.Join(figDir(t), "grid.png")
	imgs := [][]float64{
		{0, 1, 0.5, 2},   // 2×2: black, white / mid, clipped white
		{-1, 0.25, 1, 0}, // clipped black, quarter / white, black
		{1, 1, 1, 1},
	}
	if err := ImageGrid(path, imgs, 2, 2, 2, 2); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path).(*image.Gray)
	// scale = ceil(48/2) = 24, cells 48 px, 2 px padding: 2·48 + 3·2 = 102.
	if b := img.Bounds(); b.Dx() != 102 || b.Dy() != 102 {
		t.Fatalf("size %v", b)
	}
	at := func(x, y int) uint8 { return img.GrayAt(x, y).Y }
	cases := []struct {
		x, y int
		want uint8
	}{
		{0, 0, 128},                 // border
		{2, 2, 0}, {2 + 24, 2, 255}, // image 0 top row
		{2, 2 + 24, 128}, {2 + 47, 49, 255}, // image 0 bottom row: 0.5 → 128, 2 → 255
		{52, 2, 0}, {52 + 24, 2, 64}, {52, 26, 255}, // image 1
		{2, 52, 255},  // image 2
		{52, 52, 128}, // missing fourth image: grey
	}
	for _, c := range cases {
		if got := at(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
}

// TestIndexLabelsFold: tasks appear by their labels (key on hover), the
// columns that vary come first, constant ones are folded into one line, and
// the headline figure opens the section.
func TestIndexLabelsFold(t *testing.T) {
	root := t.TempDir()
	writeTask(t, root, "exp", "aaaaaaaaaaaa", `{"D":1,"seed":0,"steps":100}`, `{"fid":2,"n":5,"config_key":"aaaaaaaaaaaa"}`)
	writeTask(t, root, "exp", "bbbbbbbbbbbb", `{"D":4,"seed":0,"steps":100}`, `{"fid":3,"n":5,"config_key":"bbbbbbbbbbbb"}`)
	for key, label := range map[string]string{"aaaaaaaaaaaa": "D=1-seed0", "bbbbbbbbbbbb": "D=4-seed0"} {
		os.WriteFile(filepath.Join(root, "exp", key, LabelFile), []byte(label+"\n"), 0o644)
	}
	if _, err := Collect(root, "exp"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a.png", "z.png"} {
		os.WriteFile(filepath.Join(root, "exp", f), []byte("png"), 0o644)
	}
	if err := WriteHeadline(root, "exp", "z.png"); err != nil {
		t.Fatal(err)
	}
	if err := WriteHeadline(root, "exp", "../z.png"); err == nil {
		t.Error("WriteHeadline accepted a path")
	}
	if err := WriteIndex(root); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, IndexFile))
	s := string(b)
	for _, want := range []string{
		`<th class="label">label</th><th>D</th><th>fid</th></tr>`,
		`<td class="label" title="aaaaaaaaaaaa">D=1-seed0</td><td>1</td><td>2</td>`,
		`<code>seed = 0</code> <code>steps = 100</code> <code>n = 5</code>`,
		`<b>D=4-seed0</b> <code>bbbbbbbbbbbb</code>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	h, a := strings.Index(s, `<img src="exp/z.png"`), strings.Index(s, `<img src="exp/a.png"`)
	tab := strings.Index(s, "<table>")
	if h < 0 || a < 0 || !(h < tab && tab < a) {
		t.Errorf("headline z.png at %d, table at %d, other figure at %d: want headline first", h, tab, a)
	}
}

// TestWriteLabel: the label round-trips, survives Clear, and an empty one
// is not written.
func TestWriteLabel(t *testing.T) {
	d, err := Open(t.TempDir(), "exp", map[string]int{"D": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteLabel(""); err != nil || d.Label() != "" {
		t.Fatalf("empty label: %v, %q", err, d.Label())
	}
	if err := d.WriteLabel("D=1-seed0"); err != nil {
		t.Fatal(err)
	}
	if err := d.Clear(); err != nil {
		t.Fatal(err)
	}
	if got := d.Label(); got != "D=1-seed0" {
		t.Errorf("label after Clear %q", got)
	}
}

func TestWriteIndex(t *testing.T) {
	root := t.TempDir()
	writeTask(t, root, "pfgm_toy", "aaaaaaaaaaaa", `{"D":"inf","seed":0}`, `{"fid":1.25,"kid":0.0123456789,"config_key":"aaaaaaaaaaaa"}`)
	writeTask(t, root, "pfgm_toy", "bbbbbbbbbbbb", `{"D":4,"seed":0}`, "")
	os.WriteFile(filepath.Join(root, "pfgm_toy", "aaaaaaaaaaaa", "samples.png"), []byte("png"), 0o644)
	if _, err := Collect(root, "pfgm_toy"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "pfgm_toy", "fid_vs_D.png"), []byte("png"), 0o644)
	writeTask(t, root, "x<y", "cccccccccccc", `{"a":"<b>"}`, `{"m":2,"config_key":"cccccccccccc"}`)
	if _, err := Collect(root, "x<y"); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	if _, err := OpenCache(root, "some-models", map[string]int{"D": 4}); err != nil {
		t.Fatal(err)
	}
	if err := WriteIndex(root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`<th class="label">label</th><th>fid</th><th>kid</th>`, // one row: its results shown, its configuration folded
		`<td class="label">aaaaaaaaaaaa</td><td>1.25</td><td title="0.0123456789">0.01235</td>`,
		`<code>D = inf</code> <code>seed = 0</code>`,
		`<img src="pfgm_toy/fid_vs_D.png"`,
		`<img src="pfgm_toy/aaaaaaaaaaaa/samples.png"`,
		`href="pfgm_toy/aaaaaaaaaaaa/result.json"`,
		`href="pfgm_toy/summary.csv"`,
		"bbbbbbbbbbbb</code> <span class=\"pending\">(unfinished)",
		"<code>a = &lt;b&gt;</code>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(s, "some-models") {
		t.Error("index.html lists the model cache some-models as an experiment")
	}
	if strings.Contains(s, `id="empty"`) || strings.Contains(s, "<b>") || strings.Contains(s, "<script") || strings.Contains(s, "http") {
		t.Error("index.html lists an empty experiment, leaks raw HTML, or links outside")
	}
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

// An axis spanning less than a decade still gets at least two labels, and
// then every tick lies inside the range (wide ranges keep gonum's ticks).
func TestLogTicksLabelsNarrowRanges(t *testing.T) {
	for _, r := range [][2]float64{{90, 400}, {260, 405}, {1.2, 1.9}, {0.03, 40}} {
		n := 0
		for _, tk := range (LogTicks{}).Ticks(r[0], r[1]) {
			if r[1]/r[0] < 10 && (tk.Value < r[0]*(1-1e-12) || tk.Value > r[1]*(1+1e-12)) {
				t.Errorf("range %v: tick %v outside", r, tk.Value)
			}
			if tk.Label != "" {
				n++
			}
		}
		if n < 2 {
			t.Errorf("range %v: %d labelled ticks", r, n)
		}
	}
}
