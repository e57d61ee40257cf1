//go:build !openblas

package nn

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"genlab/nn/kern"
)

func TestBLASIsGonum(t *testing.T) {
	if !strings.HasSuffix(BLAS(), "gonum (pure Go)") || !strings.Contains(BLAS(), kern.Impl()) {
		t.Fatalf("BLAS() = %q", BLAS())
	}
	if _, ok := G.WhichBLAS().(gonum.Implementation); !ok {
		t.Fatalf("gorgonia uses %T", G.WhichBLAS())
	}
	if _, ok := blas32.Implementation().(gonum.Implementation); !ok {
		t.Fatalf("blas32 uses %T", blas32.Implementation())
	}
}
