#!/bin/sh
# bench-matching.sh — genlab's matching benchmarks and scipy's eigsh on the
# same matrices, in one run (docs/PERFORMANCE.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%FT%TZ) $(go version) GOMAXPROCS=${GOMAXPROCS:-$(nproc)} load: $(cut -d" " -f1-3 /proc/loadavg)"
go test ./matching/ -run '^$' -bench 'Eigen100' -benchtime 3x -count 1
go test ./matching/ -run '^$' -bench 'ZoomOutPair' -benchtime 1x -count 1
GENLAB_EXPORT_DIR="$tmp" go test ./matching/ -run TestExportBenchMatrices -count 1 >/dev/null
# Debian's python3-scipy lives under the system interpreter
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if "$py" -c 'import scipy' 2>/dev/null; then
	"$py" scripts/matching-eigsh.py "$tmp"
else
	echo "scipy not available: no peer timing"
fi
