// Package data holds genlab's datasets and generators: 2-D toys,
// heavy-tailed sets, low-dimensional manifolds embedded in N dimensions,
// MNIST idx files and sprites with known factors. Every generator takes an
// explicit *rand.Rand; rows of the returned matrices are samples.
package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Toy names a 2-D toy distribution.
type Toy string

// The 2-D toys. Each is scaled to roughly unit standard deviation per
// coordinate, so EDM's σ_data = 0.5 … 1 and σ_max = 80 are sensible.
const (
	Ring8        Toy = "ring8"        // 8 Gaussians of std Ring8Std on a circle of radius Ring8Radius
	Moons        Toy = "moons"        // two interleaved half circles with Gaussian noise 0.05
	Checkerboard Toy = "checkerboard" // uniform on the dark squares of a 4×4 board on [−2,2]²
	SwissRoll    Toy = "swissroll"    // 2-D swiss roll (t·cos t, t·sin t)/5, t ∈ [1.5π, 4.5π], noise 0.05
	Rings        Toy = "rings"        // two concentric circles, radii 0.75 and 2.25, noise 0.06
)

// Toys lists every toy in a fixed order.
func Toys() []Toy { return []Toy{Ring8, Moons, Checkerboard, SwissRoll, Rings} }

// ParseToy returns the toy named s or an error naming the known ones.
func ParseToy(s string) (Toy, error) {
	for _, t := range Toys() {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, 0, len(Toys()))
	for _, t := range Toys() {
		names = append(names, string(t))
	}
	sort.Strings(names)
	return "", fmt.Errorf("unknown toy %q (known: %v)", s, names)
}

// Ring8Radius and Ring8Std define the 8-Gaussian ring: centres at angles
// 2πj/8 on a circle of radius Ring8Radius, each an isotropic Gaussian of
// standard deviation Ring8Std.
const (
	Ring8Radius = 2.0
	Ring8Std    = 0.05 * Ring8Radius
)

// Ring8Centers returns the 8 mode centres of the ring (8×2).
func Ring8Centers() *mat.Dense {
	c := mat.NewDense(8, 2, nil)
	for j := 0; j < 8; j++ {
		a := 2 * math.Pi * float64(j) / 8
		c.Set(j, 0, Ring8Radius*math.Cos(a))
		c.Set(j, 1, Ring8Radius*math.Sin(a))
	}
	return c
}

// Sample draws n points of toy t (n×2).
func (t Toy) Sample(n int, rng *rand.Rand) *mat.Dense {
	x := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		var a, b float64
		switch t {
		case Ring8:
			j := rng.IntN(8)
			ang := 2 * math.Pi * float64(j) / 8
			a = Ring8Radius*math.Cos(ang) + Ring8Std*rng.NormFloat64()
			b = Ring8Radius*math.Sin(ang) + Ring8Std*rng.NormFloat64()
		case Moons:
			// sklearn's make_moons layout, centred and scaled by 1.5.
			u := math.Pi * rng.Float64()
			if rng.IntN(2) == 0 {
				a, b = math.Cos(u), math.Sin(u)
			} else {
				a, b = 1-math.Cos(u), 0.5-math.Sin(u)
			}
			a = 1.5*(a-0.5) + 0.05*1.5*rng.NormFloat64()
			b = 1.5*(b-0.25) + 0.05*1.5*rng.NormFloat64()
		case Checkerboard:
			// Dark squares of a 4×4 board of unit squares on [−2,2]²:
			// those with (column + row) even.
			for {
				a = 4*rng.Float64() - 2
				b = 4*rng.Float64() - 2
				if (int(math.Floor(a+2))+int(math.Floor(b+2)))%2 == 0 {
					break
				}
			}
		case SwissRoll:
			u := 1.5*math.Pi + 3*math.Pi*rng.Float64()
			a = u*math.Cos(u)/5 + 0.05*rng.NormFloat64()
			b = u*math.Sin(u)/5 + 0.05*rng.NormFloat64()
		case Rings:
			r := 0.75
			if rng.IntN(2) == 0 {
				r = 2.25
			}
			u := 2 * math.Pi * rng.Float64()
			a = r*math.Cos(u) + 0.06*rng.NormFloat64()
			b = r*math.Sin(u) + 0.06*rng.NormFloat64()
		default:
			panic(fmt.Sprintf("data: unknown toy %q", string(t)))
		}
		x.Set(i, 0, a)
		x.Set(i, 1, b)
	}
	return x
}
