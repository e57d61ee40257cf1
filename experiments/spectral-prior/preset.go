package main

import (
	"genlab/experiments/internal"
	"genlab/matching/prior"
)

// MapCfg is the training set of ground-truth maps (see prior.MapSetConfig).
type MapCfg struct {
	K         int      `json:"k"`
	Bodies    int      `json:"bodies"`
	Poses     int      `json:"poses"`
	Level     int      `json:"level"`
	MaxAngle  float64  `json:"max_angle"`
	MaxBend   float64  `json:"max_bend"`
	CGAL      []string `json:"cgal"`
	CGALSHA   []string `json:"cgal_sha256,omitempty"` // data.FileDigest of each CGAL mesh file: meshes are keyed by content
	CGALPoses int      `json:"cgal_poses"`
	DefBend   float64  `json:"def_bend"`
	DefAngle  float64  `json:"def_angle"`
}

// NetCfg is the network prior (see prior.NetConfig).
type NetCfg struct {
	Hidden      int     `json:"hidden"`
	Layers      int     `json:"layers"`
	Fourier     int     `json:"fourier"`
	Steps       int     `json:"steps"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	EMAHalfLife float64 `json:"ema_half_life"`
	// GradClip is Adam's global gradient-norm clip (0: none, the presets'
	// default; left out of the JSON then, so earlier task keys stay valid).
	GradClip float64 `json:"grad_clip,omitempty"`
}

// TuneCfg is the per-mask λ grid searched on validation blob pairs.
type TuneCfg struct {
	Pairs  int       `json:"pairs"`
	MuLap  []float64 `json:"mu_lap"`
	MuRes  []float64 `json:"mu_res"`
	MuMean []float64 `json:"mu_mean"`
	MuDist []float64 `json:"mu_dist"`
}

// Config is the resolved configuration of one test pair; its canonical
// JSON is hashed into the task key.
type Config struct {
	Set         string             `json:"set"`                  // blob, shift3, shift6 or a CGAL mesh
	SetSHA      string             `json:"set_sha256,omitempty"` // data.FileDigest of a CGAL set's mesh file
	Pair        int                `json:"pair"`                 // pair index within the set
	Seed        uint64             `json:"seed"`                 // replicate: training set, network, test pairs
	K           int                `json:"k"`
	KEig        int                `json:"k_eig"`
	ZoomEnd     int                `json:"zoom_end"`
	ZoomStep    int                `json:"zoom_step"`
	Priors      []string           `json:"priors"`
	Regimes     []string           `json:"regimes"`
	Methods     []string           `json:"methods"`
	Map         MapCfg             `json:"map"`
	Net         NetCfg             `json:"net"`
	Tune        TuneCfg            `json:"tune"`
	Sigma       float64            `json:"sigma"` // distillation σ
	S           int                `json:"s"`     // distillation copies
	MeanEps     float64            `json:"mean_eps"`
	Gamma       float64            `json:"gamma"`
	Refine      prior.RefineConfig `json:"refine"`
	Axiom       prior.RefineConfig `json:"axiom"`
	Noise       float64            `json:"noise"` // R2 target jitter, fraction of √area
	WKSNum      int                `json:"wks_num"`
	WKSNEv      int                `json:"wks_nev"`
	WKSStep     int                `json:"wks_step"`
	FewStep     int                `json:"few_step"`
	PartialFrac float64            `json:"partial_frac"`
	SrcLevel    int                `json:"src_level"`
	TgtCube     int                `json:"tgt_cube"`
	MaxAngle    float64            `json:"max_angle"`
	MaxBend     float64            `json:"max_bend"`
	DefBend     float64            `json:"def_bend"`
	DefAngle    float64            `json:"def_angle"`
	MaxEval     int                `json:"max_eval"`
	SymTol      float64            `json:"sym_tol"`
	CGALDir     string             `json:"cgal_dir"` // always data/cgal/meshes (no flag changes it); the meshes' content is keyed by SetSHA and Map.CGALSHA
	Pictures    int                `json:"pictures"` // draw pictures for pair indices < Pictures
}

var (
	allPriors = []string{"exact", "gaussian", "net"}
	allSets   = []string{"blob", "shift3", "shift6", "pig", "hand", "elephant", "cow"}
)

func names[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = string(x)
	}
	return out
}

// preset returns the base configuration, the test sets and the pairs per
// set.
func preset(p internal.Preset) (Config, []string, []int) {
	refine := prior.RefineConfig{Steps: 100, LR: 1e-3, Beta1: 0.9, Beta2: 0.99, WDescr: 1, WProper: 1, WSDS: 1,
		SDSSamples: 16, SDSSigmaMin: 0.01, SDSSigmaSpan: 1, TargetEvery: 25, ZoomExtra: 10}
	axiom := refine
	axiom.WSDS, axiom.WLap, axiom.WOrtho, axiom.WBij = 0, 1, 1, 1
	c := Config{K: 20, KEig: 60, ZoomEnd: 60, ZoomStep: 2,
		Priors: append([]string{}, allPriors...), Regimes: names(prior.Regimes), Methods: names(prior.Methods),
		Map: MapCfg{K: 20, Bodies: 40, Poses: 4, Level: 3, MaxAngle: 0.6, MaxBend: 0.15,
			CGAL: []string{"pig"}, CGALPoses: 6, DefBend: 0.6, DefAngle: 0.6},
		Net: NetCfg{Hidden: 256, Layers: 3, Fourier: 16, Steps: 50000, Batch: 64, LR: 1e-3, Warmup: 200, EMAHalfLife: 20000},
		Tune: TuneCfg{Pairs: 3, MuLap: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, MuRes: []float64{10, 100, 1e3, 1e4},
			MuMean: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, MuDist: []float64{0.01, 0.1, 1, 10, 100}},
		Sigma: 1, S: 100, MeanEps: 0.05, Gamma: 0.5, Refine: refine, Axiom: axiom,
		Noise: 0.01, WKSNum: 100, WKSNEv: 50, WKSStep: 5, FewStep: 25, PartialFrac: 0.3,
		SrcLevel: 3, TgtCube: 10, MaxAngle: 0.6, MaxBend: 0.15, DefBend: 0.6, DefAngle: 0.6,
		MaxEval: 300, SymTol: 0.01, CGALDir: "data/cgal/meshes", Pictures: 1}
	sets := []string{"blob", "shift3", "shift6", "hand"}
	npairs := []int{8, 2, 2, 2}
	switch p {
	case internal.Quick:
		c.K, c.KEig, c.ZoomEnd, c.ZoomStep = 12, 30, 30, 2
		c.Map = MapCfg{K: 12, Bodies: 6, Poses: 3, Level: 2, MaxAngle: 0.6, MaxBend: 0.15}
		c.Net = NetCfg{Hidden: 64, Layers: 2, Fourier: 8, Steps: 300, Batch: 32, LR: 2e-3, Warmup: 50, EMAHalfLife: 2000}
		c.Tune.Pairs = 1
		c.Refine.Steps, c.Axiom.Steps = 20, 20
		c.Refine.SDSSamples, c.Refine.TargetEvery, c.Axiom.TargetEvery = 8, 10, 10
		c.Refine.ZoomExtra, c.Axiom.ZoomExtra = 6, 6
		c.WKSNEv = 30
		c.SrcLevel, c.TgtCube, c.MaxEval, c.S = 2, 5, 150, 50
		sets, npairs = []string{"blob", "shift3"}, []int{1, 1}
	case internal.Full:
		// The spec's scale: 120 test pairs (100 held-out blobs and category
		// shift, 20 deformed CGAL meshes), the MLP prior trained 30k steps
		// (-net-steps, or -net-curve's largest count, changes it).
		c.Map.Bodies, c.Net.Steps, c.Tune.Pairs = 100, 30000, 6
		c.Refine.Steps, c.Axiom.Steps, c.Refine.TargetEvery, c.Axiom.TargetEvery = 300, 300, 10, 10
		c.ZoomStep, c.S = 1, 200
		c.Refine.SDSSamples = 32
		sets, npairs = []string{"blob", "shift3", "shift6", "hand", "elephant"}, []int{60, 20, 20, 10, 10}
	}
	return c, sets, npairs
}
