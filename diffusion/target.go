package diffusion

import (
	"fmt"
	"math"
)

// EDM is the preconditioning of Karras et al. (2022) for data of standard
// deviation σd:
//
//	c_skip = σd²/(σ²+σd²)   c_out = σ·σd/√(σ²+σd²)
//	c_in   = 1/√(σ²+σd²)    c_noise = ¼·ln σ
//	D(x;σ) = c_skip·x + c_out·F(c_in·x; c_noise),   λ(σ) = 1/c_out².
//
// With λ = 1/c_out² the loss is plain MSE on F, whose regression target has
// unit variance at every σ. (Up to its sign, this F-target is the
// v-prediction target of Salimans & Ho for σd = 1.)
type EDM struct{ SigmaData float64 }

// Eps is ε-prediction: F predicts the noise n/σ and D = x − σ·F. The loss is
// MSE on F, i.e. λ(σ) = 1/σ² on ‖D − y‖².
type Eps struct{ SigmaData float64 }

// X is x-prediction (sample prediction): F predicts y directly, D = F, with
// MSE on F (λ = 1). The input is scaled by c_in as in EDM.
type X struct{ SigmaData float64 }

// V is v-prediction (Salimans & Ho, 2022). With x = y + σ·n, F predicts
//
//	v = (σd²·n − σ·y) / (σd·√(σ²+σd²)),
//
// which for σd = 1 is α·n − s·y in the variance-preserving view
// (α = 1/√(1+σ²), s = σ/√(1+σ²)). It is the negative of EDM's F-target, so
// c_skip is EDM's and c_out = −σ·σd/√(σ²+σd²); the loss is MSE on F. It is
// kept as its own name so configs can say "v_prediction".
type V struct{ SigmaData float64 }

func cin(sigma, sd float64) float64 { return 1 / math.Sqrt(sigma*sigma+sd*sd) }

// Scalings implements Target.
func (e EDM) Scalings(sigma float64) Scalings {
	sd := e.SigmaData
	return Scalings{
		CSkip:  sd * sd / (sigma*sigma + sd*sd),
		COut:   sigma * sd / math.Sqrt(sigma*sigma+sd*sd),
		CIn:    cin(sigma, sd),
		CNoise: math.Log(sigma) / 4,
	}
}

// Weight implements Target: λ(σ) = (σ²+σd²)/(σ·σd)².
func (e EDM) Weight(sigma float64) float64 {
	c := e.Scalings(sigma).COut
	return 1 / (c * c)
}

// Scalings implements Target: c_skip = 1, c_out = −σ.
func (e Eps) Scalings(sigma float64) Scalings {
	return Scalings{CSkip: 1, COut: -sigma, CIn: cin(sigma, e.SigmaData), CNoise: math.Log(sigma) / 4}
}

// Weight implements Target: 1/σ².
func (e Eps) Weight(sigma float64) float64 { return 1 / (sigma * sigma) }

// Scalings implements Target: c_skip = 0, c_out = 1.
func (e X) Scalings(sigma float64) Scalings {
	return Scalings{CSkip: 0, COut: 1, CIn: cin(sigma, e.SigmaData), CNoise: math.Log(sigma) / 4}
}

// Weight implements Target: 1.
func (X) Weight(float64) float64 { return 1 }

// Scalings implements Target.
func (v V) Scalings(sigma float64) Scalings {
	s := EDM(v).Scalings(sigma)
	s.COut = -s.COut
	return s
}

// Weight implements Target.
func (v V) Weight(sigma float64) float64 { return EDM(v).Weight(sigma) }

// CanonicalTarget maps a target name or its diffusers alias to the one
// name genlab stores in configs and task keys: "edm"; "eps" (also
// "epsilon"); "v" ("v_prediction"); "x" ("sample"). Unknown names are an
// error naming the value.
func CanonicalTarget(name string) (string, error) {
	switch name {
	case "edm", "eps", "v", "x":
		return name, nil
	case "epsilon":
		return "eps", nil
	case "v_prediction":
		return "v", nil
	case "sample":
		return "x", nil
	}
	return "", fmt.Errorf("unknown target %q (want edm, eps, v or x, or epsilon, v_prediction, sample)", name)
}

// ParseTarget returns the target named by name with data std σd. Names are
// EDM's and diffusers' prediction_type names: "edm", "epsilon" (or "eps"),
// "v_prediction" (or "v"), "sample" (or "x").
func ParseTarget(name string, sigmaData float64) (Target, error) {
	c, err := CanonicalTarget(name)
	if err != nil {
		return nil, err
	}
	switch c {
	case "edm":
		return EDM{sigmaData}, nil
	case "eps":
		return Eps{sigmaData}, nil
	case "v":
		return V{sigmaData}, nil
	}
	return X{sigmaData}, nil
}
