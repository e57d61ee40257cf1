package main

import "genlab/experiments/internal"

// Config is the resolved configuration of one pair; its canonical JSON is
// hashed into the task key.
type Config struct {
	Pair      string   `json:"pair"`
	Seed      uint64   `json:"seed"`
	Noise     float64  `json:"noise"`          // target jitter, fraction of √area
	K         int      `json:"k"`              // functional map size
	KEig      int      `json:"k_eig"`          // eigenpairs computed
	ZoomEnd   int      `json:"zoom_end"`       // ZoomOut end size (0: off)
	ZoomStep  int      `json:"zoom_step"`      // ZoomOut step
	DescrNum  int      `json:"descr_num"`      // WKS energies (pyFM n_descr)
	DescrNEv  int      `json:"descr_nev"`      // eigenpairs used by the WKS
	DescrStep int      `json:"descr_step"`     // keep every step-th descriptor
	MuLap     float64  `json:"mu_lap"`         // μ of the Laplacian mask (DiffuMatch lap_mask: 1e-3)
	MuRes     float64  `json:"mu_res"`         // μ of the resolvent mask (ULRSSM: 100)
	Gamma     float64  `json:"gamma"`          // resolvent γ
	WAxiom    float64  `json:"w_axiom"`        // orthogonality and bijectivity weight of "axiomatic"
	SrcLevel  int      `json:"src_level"`      // blob source icosphere level
	TgtCube   int      `json:"tgt_cube"`       // blob target cube-sphere resolution
	MaxAngle  float64  `json:"max_angle"`      // blob articulation range (rad)
	MaxBend   float64  `json:"max_bend"`       // blob bend range
	DefBend   float64  `json:"def_bend"`       // CGAL deformation bend range
	DefAngle  float64  `json:"def_angle"`      // CGAL deformation joint angle range (rad)
	MaxEval   int      `json:"max_eval"`       // evaluated target vertices (random subset; 0: all)
	SymTol    float64  `json:"sym_tol"`        // CGAL: mirror residual/√area below which the source counts as symmetric
	Flip      float64  `json:"flip,omitempty"` // CGAL: fraction of nearly flat edges flipped in the target (new tessellation)
	Methods   []string `json:"methods"`
	// CGALDir is the default mesh directory (the Debian package's files,
	// keyed by path as before); a -cgal directory is MeshDir instead, out of
	// the key, and the pair's mesh file is keyed by content, MeshSHA.
	CGALDir string `json:"cgal_dir,omitempty"`
	MeshDir string `json:"-"`
	MeshSHA string `json:"mesh_sha256,omitempty"`
}

// meshDir returns the directory the pair's mesh is read from.
func (c Config) meshDir() string {
	if c.MeshDir != "" {
		return c.MeshDir
	}
	return c.CGALDir
}

// Methods that solve the initial map; each is also reported after ZoomOut:
// lsq (plain least squares), commutativity (Laplacian mask, μ = 1e-3),
// resolvent (ULRSSM mask, μ = 100, γ = 0.5), axiomatic (the commutativity
// maps of both directions refined by L-BFGS with orthogonality and
// bijectivity terms, weights WAxiom) and oracle (the ground-truth map
// projected on the k-dimensional bases: the floor of the representation).
var allMethods = []string{"lsq", "commutativity", "resolvent", "axiomatic", "oracle"}

// allPairs are the pair sources: blob (re-posed blob, icosphere → permuted
// cube-sphere), blob-same (same tessellation, permuted) and CGAL meshes.
var allPairs = []string{"blob", "blob-same", "pig", "hand", "elephant", "cow", "knot1", "homer", "bunny00"}

func preset(p internal.Preset) (Config, []string) {
	c := Config{K: 20, KEig: 60, ZoomEnd: 60, ZoomStep: 1, DescrNum: 100, DescrNEv: 50, DescrStep: 5,
		MuLap: 1e-3, MuRes: 100, Gamma: 0.5, WAxiom: 0.1, SrcLevel: 3, TgtCube: 10, MaxAngle: 0.6, MaxBend: 0.15,
		DefBend: 0.6, DefAngle: 0.6, MaxEval: 1000, SymTol: 0.01, Methods: allMethods, CGALDir: "data/cgal/meshes"}
	pairs := []string{"blob", "blob-same", "pig", "hand", "elephant", "cow"}
	switch p {
	case internal.Quick:
		c.SrcLevel, c.TgtCube, c.KEig, c.ZoomEnd, c.MaxEval = 2, 6, 40, 40, 300
		pairs = []string{"blob", "pig"}
	case internal.Full:
		c.KEig, c.ZoomEnd = 100, 100
		pairs = []string{"blob", "blob-same", "pig", "hand", "elephant", "cow", "knot1", "homer"}
	}
	return c, pairs
}
