//go:build openblas

package nn

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"

	"genlab/nn/kern"
)

func TestBLASIsOpenBLAS(t *testing.T) {
	// "openblas <core>; nn/kern <impl>": the core OpenBLAS picked is named.
	core, rest, ok := strings.Cut(strings.TrimPrefix(BLAS(), "openblas "), "; ")
	if !strings.HasPrefix(BLAS(), "openblas ") || !ok || strings.TrimSpace(core) == "" || rest != "nn/kern "+kern.Impl() {
		t.Fatalf("BLAS() = %q", BLAS())
	}
	t.Logf("BLAS() = %q", BLAS())
	if _, ok := G.WhichBLAS().(netlib.Implementation); !ok {
		t.Fatalf("gorgonia uses %T", G.WhichBLAS())
	}
	if _, ok := blas32.Implementation().(netlib.Implementation); !ok {
		t.Fatalf("blas32 uses %T", blas32.Implementation())
	}
	if _, ok := blas64.Implementation().(netlib.Implementation); !ok {
		t.Fatalf("blas64 uses %T", blas64.Implementation())
	}
}
