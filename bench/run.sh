#!/bin/sh
# bench/run.sh — genlab's U-Net, fid_lenet and GAN benchmarks beside their
# PyTorch peers, interleaved in one run, printed as one table
# (docs/PERFORMANCE.md).
#
#   bench/run.sh                      # 2 repeats, 1 and 2 threads
#   REPS=3 THREADS=1 bench/run.sh     # 3 repeats, 1 thread only
#   MLP=0 SAMPLE=0 GAN=0 bench/run.sh # without the MLP steps / the U-Net sampling run / the GAN
#
# Besides the U-Net training step and the LeNet, it times the MLP denoiser
# step at the peer's two shapes (bench/torch_denoiser_step.py) and sampling
# 500 digits at 14² with the U-Net, Heun NFE 35 at batch 500
# (diffusion's BenchmarkSampleUNet against bench/torch_unet_sample.py).
# With GAN=1 (the default) it also times one iteration of the Householder
# experiment's GAN (D step, lazy R1, G step, EMA) at its default and spec
# shapes: householder/gan's BenchmarkGANStep and BenchmarkGANStepSpec with
# -benchtime $GAN_TIME against bench/torch_gan_step.py with --steps the same
# count, so both time the same share of R1 steps (16x: one in 16, as in
# training; the spec shape costs 0.3–0.6 s a step in Go, the default 0.08 s).
#
# Each repeat runs, for each thread count t: the pure-Go benchmarks (-cpu t,
# i.e. GOMAXPROCS=t), the same with -tags openblas and OPENBLAS_NUM_THREADS=1
# when libopenblas is installed, then the peers with torch.set_num_threads(t).
# Go reports wall ns/op and process CPU (cpu-ms/op, user+system of all
# threads); the peers report wall and time.process_time per step. Both warm
# up before timing. The raw lines are kept in $LOG (default: a temporary file).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
REPS=${REPS:-2}
THREADS=${THREADS:-"1 2"}
MLP=${MLP:-1}
SAMPLE=${SAMPLE:-1}
UNET_TIME=${UNET_TIME:-5x}
LENET_TIME=${LENET_TIME:-20x}
GAN=${GAN:-1}
GAN_TIME=${GAN_TIME:-16x} # Nx: the peer runs N timed steps too
py=/usr/bin/python3 # Debian's python3-torch lives under the system interpreter
case "$GAN_TIME" in
*[!0-9]*x | x | *[!x]) echo "bench/run.sh: GAN_TIME=$GAN_TIME, want a count such as 16x" >&2; exit 2 ;;
esac
LOG=${LOG:-$(mktemp)}
: >"$LOG"

if ! "$py" -c 'import torch' 2>/dev/null; then
	echo "bench/run.sh: $py cannot import torch (apt-get install python3-torch)" >&2
	exit 1
fi
impls=pure
if ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so'; then
	impls="pure openblas"
fi

log() { tee -a "$LOG" >&2; }

echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3-) torch $("$py" -c 'import torch; print(torch.__version__)')" | log
echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" | log
echo "# load at start: $(cut -d' ' -f1-3 /proc/loadavg)" | log

gobench() { # impl threads
	tags=
	[ "$1" = openblas ] && tags="-tags openblas"
	pat='TrainStepUNet'
	[ "$MLP" = 1 ] && pat='TrainStep(UNet|MLP)' # go test splits -bench at '/': no sub-benchmark names here
	# shellcheck disable=SC2086
	OPENBLAS_NUM_THREADS=1 go test $tags -run '^$' -bench "$pat" -benchtime "$UNET_TIME" -cpu "$2" -count 1 ./nn |
		grep '^Benchmark' | sed "s/^/impl=go-$1 threads=$2 /" | log
	if [ "$SAMPLE" = 1 ]; then
		# shellcheck disable=SC2086
		OPENBLAS_NUM_THREADS=1 go test $tags -run '^$' -bench SampleUNet -benchtime 1x -cpu "$2" -count 1 ./diffusion |
			grep '^Benchmark' | sed "s/^/impl=go-$1 threads=$2 /" | log
	fi
	# shellcheck disable=SC2086
	OPENBLAS_NUM_THREADS=1 go test $tags -run '^$' -bench 'TrainStep|Features' -benchtime "$LENET_TIME" -cpu "$2" -count 1 ./fidlenet |
		grep '^Benchmark' | sed "s/^/impl=go-$1 threads=$2 /" | log
	if [ "$GAN" = 1 ]; then
		# shellcheck disable=SC2086
		OPENBLAS_NUM_THREADS=1 go test $tags -run '^$' -bench '^BenchmarkGANStep(Spec)?$' -benchtime "$GAN_TIME" -cpu "$2" -count 1 ./householder/gan |
			grep '^Benchmark' | sed "s/^/impl=go-$1 threads=$2 /" | log
	fi
}

peers() { # threads
	for a in "--res 28 --channels 16 --batch 16" "--res 14 --channels 32 --batch 64"; do
		# shellcheck disable=SC2086
		"$py" bench/torch_unet_step.py $a --threads "$1"
	done | sed "s/^/impl=torch threads=$1 /" | log
	for m in train features; do
		"$py" bench/torch_lenet.py --mode "$m" --threads "$1"
	done | sed "s/^/impl=torch threads=$1 /" | log
	if [ "$MLP" = 1 ]; then
		"$py" bench/torch_denoiser_step.py --threads "$1" | sed "s/^/impl=torch threads=$1 /" | log
		"$py" bench/torch_denoiser_step.py --dim 2 --hidden 256 --batch 1024 --threads "$1" | sed "s/^/impl=torch threads=$1 /" | log
	fi
	if [ "$SAMPLE" = 1 ]; then
		"$py" bench/torch_unet_sample.py --threads "$1" | sed "s/^/impl=torch threads=$1 /" | log
	fi
	if [ "$GAN" = 1 ]; then
		for sh in default spec; do
			"$py" bench/torch_gan_step.py --shape "$sh" --steps "${GAN_TIME%x}" --threads "$1"
		done | sed "s/^/impl=torch threads=$1 /" | log
	fi
}

r=1
while [ "$r" -le "$REPS" ]; do
	for t in $THREADS; do
		for i in $impls; do
			gobench "$i" "$t"
		done
		peers "$t"
		echo "# repeat $r threads $t done, load $(cut -d' ' -f1-3 /proc/loadavg)" | log
	done
	r=$((r + 1))
done
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)" | log

"$py" - "$LOG" <<'PY'
import re, statistics, sys
from collections import defaultdict

rows = defaultdict(lambda: defaultdict(list))  # (bench, threads) -> impl -> [(wall_ms, cpu_ms, img/s)]
params = defaultdict(dict)
GAN_SHAPES = {"default": "GAN 32² const16 G16/16/8 D8/16/32/32 b16 step",
              "spec": "GAN 32² const32 G32/32/16 D16/32/32/32 b32 step"}
for line in open(sys.argv[1]):
    if not line.startswith("impl="):
        continue
    f = line.split()
    impl, threads = f[0][5:], int(f[1][8:])
    if f[2].startswith("Benchmark"):
        name = re.sub(r"-\d+$", "", f[2])
        m = {f[i + 1]: float(f[i]) for i in range(4, len(f) - 1, 2)}
        wall, cpu = m["ns/op"] / 1e6, m.get("cpu-ms/op")
        key = {"BenchmarkTrainStepUNet/res=28/ch=16/batch=16": "U-Net 1×28×28 ch16 b16 step",
               "BenchmarkTrainStepUNet/res=14/ch=32/batch=64": "U-Net 1×14×14 ch32 b64 step",
               "BenchmarkTrainStep": "LeNet train step b64",
               "BenchmarkFeatures": "LeNet features b200",
               "BenchmarkTrainStepMLP/dim=784/hidden=512/layers=4/batch=256": "MLP 784/512×4 b256 step",
               "BenchmarkTrainStepMLP/dim=2/hidden=256/layers=4/batch=1024": "MLP 2/256×4 b1024 step",
               "BenchmarkSampleUNet/res=14/ch=32/batch=500/n=500/nfe=35": "U-Net sample 500 at 14² ch32, NFE 35",
               "BenchmarkGANStep": GAN_SHAPES["default"],
               "BenchmarkGANStepSpec": GAN_SHAPES["spec"]}.get(name)
        if key is None:
            continue
        p = m.get("params")
        if "G-params" in m:
            p = f"{m['G-params']:.0f} G + {m['D-params']:.0f} D"
    else:
        kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
        if f[4] == "unet-sample":
            wall, cpu = float(kv["total_ms"]), float(kv["cpu_ms"])
            key = f"U-Net sample {kv['n']} at {kv['res']}² ch{kv['ch']}, NFE {kv['nfe']}"
            rows[(key, threads)][impl].append((wall, cpu, None))
            continue
        wall, cpu = float(kv["step_ms"]), (float(kv["cpu_ms"]) if "cpu_ms" in kv else None)
        p = float(kv["params"]) if "params" in kv else None
        if f[4] == "gan":
            key = GAN_SHAPES[kv["shape"]]
            p = f"{kv['g_params']} G + {kv['d_params']} D"
        elif "res" in kv:
            key = f"U-Net 1×{kv['res']}×{kv['res']} ch{kv['ch']} b{kv['batch']} step"
        elif "mode" in kv:
            key = "LeNet train step b64" if kv["mode"] == "train" else "LeNet features b200"
        else:
            key = f"MLP {kv['dim']}/{kv['hidden']}×{kv['layers']} b{kv['batch']} step"
    imgs = None
    if key.startswith("LeNet"):
        imgs = (64 if "train" in key else 200) / wall * 1e3
    rows[(key, threads)][impl].append((wall, cpu, imgs))
    if p is not None:
        params[key][impl] = p if isinstance(p, str) else int(p)

def mean(v):
    v = [x for x in v if x is not None]
    return statistics.mean(v) if v else None

def cell(rs):
    if not rs:
        return "–"
    w, c = mean([r[0] for r in rs]), mean([r[1] for r in rs])
    return f"{w:.0f} / {c:.0f}" if c is not None else f"{w:.0f} / –"

def ratio(a, b, i):
    x, y = mean([r[i] for r in a]) if a else None, mean([r[i] for r in b]) if b else None
    return f"{x / y:.1f}×" if x and y else "–"

print()
print("ms per step, wall / CPU (mean of the repeats); ratio = Go ÷ torch (CPU, wall); images/s from wall")
print()
print("| benchmark | threads | Go pure | Go OpenBLAS | torch | pure : torch CPU (wall) | OpenBLAS : torch CPU (wall) | images/s pure / OpenBLAS / torch |")
print("|---|---|---|---|---|---|---|---|")
order = list(dict.fromkeys(k for k, _ in rows))  # benchmarks in the order they ran
for (key, t) in sorted(rows, key=lambda k: (order.index(k[0]), k[1])):
    d = rows[(key, t)]
    pu, ob, to = d.get("go-pure", []), d.get("go-openblas", []), d.get("torch", [])
    imgs = " / ".join(f"{mean([r[2] for r in x]):,.0f}" if x else "–" for x in (pu, ob, to)) if key.startswith("LeNet") else ""
    print(f"| {key} | {t} | {cell(pu)} | {cell(ob)} | {cell(to)} | {ratio(pu, to, 1)} ({ratio(pu, to, 0)}) | "
          f"{ratio(ob, to, 1)} ({ratio(ob, to, 0)}) | {imgs} |")
print()
for key, p in sorted(params.items()):
    vals = sorted(set(p.values()))
    print(f"params {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(p.items())) + ("" if len(vals) == 1 else "  <-- DIFFER"))
PY
