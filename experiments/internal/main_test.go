package internal

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"genlab/nn"
)

// profiled returns its function's exit code and leaves a CPU profile in
// the file (gzip-compressed protobuf: it starts with the gzip magic); an
// uncreatable file is exit 2 without running the function.
func TestProfiled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	ran := false
	if code := profiled("x", path, func() int { ran = true; return 7 }); code != 7 || !ran {
		t.Fatalf("code %d, ran %v: want 7, true", code, ran)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile %q: %d bytes, err %v: want a gzip stream", path, len(b), err)
	}
	ran = false
	if code := profiled("x", filepath.Join(path, "no", "such"), func() int { ran = true; return 0 }); code != ExitUsage || ran {
		t.Fatalf("bad path: code %d, ran %v: want %d, false", code, ran, ExitUsage)
	}
}

// Every experiment's Runner records the build's matrix kernels (with
// -tags openblas, OpenBLAS and its core type), not a fixed string.
func TestRunnerRecordsBLAS(t *testing.T) {
	var c Common
	if got := c.Runner("x", io.Discard, io.Discard).BLAS; got != nn.BLAS() || got == "" {
		t.Fatalf("Runner BLAS %q, want nn.BLAS() = %q", got, nn.BLAS())
	}
}
