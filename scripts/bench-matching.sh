#!/bin/sh
# bench-matching.sh — genlab's matching benchmarks and scipy's eigsh on the
# same matrices, in one run (docs/performance/matching.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%FT%TZ) $(go version) GOMAXPROCS=${GOMAXPROCS:-$(nproc)}"
go test ./matching/ -run '^$' -bench 'Eigen100|ZoomOutPair' -benchtime 3x -count 1
GENLAB_EXPORT_DIR="$tmp" go test ./matching/ -run TestExportBenchMatrices -count 1 >/dev/null
if python3 -c 'import scipy' 2>/dev/null; then
	python3 scripts/matching-eigsh.py "$tmp"
else
	echo "scipy not available: no peer timing"
fi
