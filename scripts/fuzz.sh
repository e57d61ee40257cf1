#!/bin/sh
# Runs every fuzz target (func Fuzz… in a _test.go file) for FUZZTIME each,
# one after the other on one worker, and prints one line per target: the
# package, the target, the time and the corpus size the fuzzer reported.
# Usage: scripts/fuzz.sh [FUZZTIME]   (default 15s; CI uses this, make fuzz longer)
# A crasher fails the script, with the fuzzer's report and the input saved
# under the package's testdata/fuzz/; the time limit hit mid-input (Go's
# "context deadline exceeded" with no failing input) does not.
set -eu
cd "$(dirname "$0")/.."
t=${1:-15s}
status=0
for f in $(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go'); do
  for fz in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
    pkg=./$(dirname "$f")
    start=$(date +%s)
    if out=$(go test -run '^$' -fuzz "^$fz\$" -fuzztime "$t" -fuzzminimizetime 5s -parallel 1 "$pkg" 2>&1); then
      res=ok
    elif echo "$out" | grep -q 'context deadline exceeded' && ! echo "$out" | grep -q 'Failing input written'; then
      # Go's fuzzer reports the time limit reached while it still ran or
      # minimised a new corpus entry as a failure; no input failed, so it
      # is not one (a crasher is always written to testdata/fuzz).
      res=ok
    else
      res=FAIL; status=1
      echo "$out" >&2
    fi
    corpus=$(echo "$out" | sed -n 's/.*(total: \([0-9]*\)).*/\1/p' | tail -1)
    printf '%-4s %-28s %-24s %4ss  corpus %s\n' "$res" "$pkg" "$fz" "$(( $(date +%s) - start ))" "${corpus:-?}"
  done
done
exit $status
