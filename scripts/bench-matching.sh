#!/bin/sh
# bench-matching.sh — genlab's Laplace–Beltrami eigensolver and scipy's eigsh
# on the same matrices, back to back, one thread each (docs/PERFORMANCE.md).
#
#   scripts/bench-matching.sh            pure-Go gonum BLAS, then scipy
#   TAGS=openblas scripts/bench-matching.sh   also the -tags openblas run
#   ZOOMOUT=1 scripts/bench-matching.sh  also the full ZoomOut pair
#
# Everything runs under nice -n 19 with GOMAXPROCS=1 and
# OPENBLAS_NUM_THREADS=1, so on a shared machine compare the ratios of the
# CPU seconds, not the seconds themselves; the load average is printed
# before and after.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOMAXPROCS=1 OPENBLAS_NUM_THREADS=1
run="nice -n 19"
echo "# $(date -u +%FT%TZ) $(go version) GOMAXPROCS=$GOMAXPROCS load: $(cut -d" " -f1-3 /proc/loadavg)"
GENLAB_EXPORT_DIR="$tmp" $run go test ./matching/ -run TestExportBenchMatrices -count 1 >/dev/null
$run go test ./matching/ -run '^$' -bench 'Eigs' -benchtime 3x -count 1 | grep Benchmark
# Debian's python3-scipy lives under the system interpreter
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if "$py" -c 'import scipy' 2>/dev/null; then
	$run "$py" scripts/matching-eigsh.py "$tmp"
else
	echo "scipy not available: no peer timing"
fi
if [ -n "${TAGS:-}" ]; then
	$run go test -tags "$TAGS" ./matching/ -run '^$' -bench 'Eigs' -benchtime 3x -count 1 | grep Benchmark | sed "s/^/[$TAGS] /"
fi
if [ -n "${ZOOMOUT:-}" ]; then
	$run go test ./matching/ -run '^$' -bench 'ZoomOutPair' -benchtime 1x -count 1 | grep Benchmark
fi
echo "# load after: $(cut -d" " -f1-3 /proc/loadavg)"
