package mnistrun

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"genlab/diffusion"
	"genlab/kdiff"
	"genlab/nn"
	"genlab/pfgm"
	"genlab/results"
)

// Samples come from per-sample prior seeds: the first rows are the same
// whether 7 or 300 samples are drawn (300 spans two denoiser batches of 250).
func TestSamplesDoNotDependOnCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, err := nn.NewMLP(nn.MLPConfig{In: 49, Out: 49, Hidden: 32, Layers: 2, Fourier: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() { // a non-trivial network (the output layer starts at zero)
		for i := range p.Data() {
			if !p.Frozen {
				p.Data()[i] = float32(0.1 * rng.NormFloat64())
			}
		}
	}
	target := diffusion.EDM{SigmaData: 0.5}
	a, _, err := Sample(context.Background(), m, target, diffusion.Gaussian{}, 7, 49, 4, 42, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, nfe, err := Sample(context.Background(), m, target, diffusion.Gaussian{}, 300, 49, 4, 42, nil)
	if err != nil {
		t.Fatal(err)
	}
	if nfe != 7 {
		t.Errorf("Heun with 4 steps: %d evaluations, want 7", nfe)
	}
	for i := 0; i < 7; i++ {
		for j := 0; j < 49; j++ {
			if d := math.Abs(a.At(i, j) - b.At(i, j)); d > 1e-9 {
				t.Fatalf("sample %d pixel %d: %v with 7 samples, %v with 300", i, j, a.At(i, j), b.At(i, j))
			}
		}
	}
	c, _, err := Sample(context.Background(), m, target, diffusion.Gaussian{}, 7, 49, 4, 43, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.At(0, 0) == a.At(0, 0) {
		t.Error("another generation seed gave the same sample")
	}
}

// -k selects the k-Diff bridge: k = 1 is x-prediction (D = F exactly), k = 0
// is ε-prediction (c_skip = 1), and "learn" gives a target that trains k.
func TestParseTargetK(t *testing.T) {
	for _, c := range []struct {
		k           string
		cskip, cout float64
		learnable   bool
	}{
		{"1", 0, 1, false},
		{"0", 1, 0.7, false},
		{"learn", 0.5 / (0.5*0.7 + 0.5), 0.7 / (0.5*0.7 + 0.5), true},
	} {
		tg, err := ParseTarget(Config{Target: "k", K: c.k, Loss: "v", SigmaData: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		sc := tg.Scalings(0.7)
		if math.Abs(sc.CSkip-c.cskip) > 1e-12 || math.Abs(sc.COut-c.cout) > 1e-12 {
			t.Errorf("k=%s: c_skip %v c_out %v, want %v %v", c.k, sc.CSkip, sc.COut, c.cskip, c.cout)
		}
		if b, ok := tg.(*kdiff.Bridge); !ok || (b.Learned != nil) != c.learnable {
			t.Errorf("k=%s: target %T, want a bridge with learned k %v", c.k, tg, c.learnable)
		}
	}
	if _, err := ParseTarget(Config{Target: "k", K: "1", Loss: "w"}); err == nil {
		t.Error("loss space w accepted")
	}
	if tg, err := ParseTarget(Config{Target: "edm", SigmaData: 0.5}); err != nil || tg.Scalings(0.5).CSkip != 0.5 {
		t.Errorf("edm target: %v, %v", tg, err)
	}
}

// D is a number from the -D flag to the kernel, and in config.json (so in
// the task key) the string it always was: "128", "inf".
func TestDKeepsItsJSON(t *testing.T) {
	for _, c := range []struct {
		d    float64
		want string
	}{{128, `"D":"128"`}, {math.Inf(1), `"D":"inf"`}, {2.5, `"D":"2.5"`}} {
		b, err := results.Canonical(Config{D: AugD(c.d)})
		if err != nil || !strings.Contains(string(b), c.want) {
			t.Errorf("D = %v: %s (%v), want %s", c.d, b, err, c.want)
		}
		var back Config
		if err := json.Unmarshal(b, &back); err != nil || float64(back.D) != c.d {
			t.Errorf("D = %v: read back %v (%v)", c.d, back.D, err)
		}
	}
	var d AugD
	if err := d.UnmarshalText([]byte("0.5")); err == nil {
		t.Error("D = 0.5 accepted")
	}
	if k, err := Kernel(AugD(math.Inf(1))); err != nil || k != (diffusion.Gaussian{}) {
		t.Errorf("kernel(inf) = %v, %v; want the Gaussian", k, err)
	}
	if k, err := Kernel(AugD(64)); err != nil || k.(pfgm.Kernel).D != 64 {
		t.Errorf("kernel(64) = %v, %v", k, err)
	}
}

// The reference digits below 10,000 are a fixed draw that spans both halves
// of the test split (the first 5,000 digits come from other writers than
// the last 5,000): at n = 5,000 the count from the first half is
// hypergeometric with mean 2,500 and sd ≈ 25, so [2,400, 2,600] is ±4 sd.
// At n = total the draw is every digit in order, so N = 10,000 scores are
// those of the whole split.
func TestRefIndices(t *testing.T) {
	const total = 10000
	idx := RefIndices(total, 5000)
	first := 0
	for i, j := range idx {
		if i > 0 && j <= idx[i-1] {
			t.Fatalf("indices not strictly ascending at %d: %d after %d", i, j, idx[i-1])
		}
		if j < 0 || j >= total {
			t.Fatalf("index %d outside [0, %d)", j, total)
		}
		if j < total/2 {
			first++
		}
	}
	if first < 2400 || first > 2600 {
		t.Errorf("%d of 5000 reference digits from the first half, want 2400..2600", first)
	}
	if again := RefIndices(total, 5000); !slices.Equal(again, idx) {
		t.Error("RefIndices is not deterministic")
	}
	if small := RefIndices(total, 100); len(small) != 100 {
		t.Errorf("RefIndices(%d, 100) has %d indices", total, len(small))
	}
	for i, j := range RefIndices(total, total) {
		if i != j {
			t.Fatalf("RefIndices(total, total)[%d] = %d, want the identity", i, j)
		}
	}
}
