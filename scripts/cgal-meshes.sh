#!/bin/sh
# cgal-meshes.sh — extract the CGAL sample meshes (CC0) from Debian's
# libcgal-demo package into data/cgal/ (git-ignored), without installing it
# or its large dependencies. Idempotent: does nothing if the meshes are there.
#
# usage: scripts/cgal-meshes.sh [DEST]     (default DEST: data/cgal next to this script's repo)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-"$root/data/cgal"}
if [ -f "$dest/meshes/pig.off" ] && [ -f "$dest/meshes/bunny00.off" ]; then
	echo "cgal-meshes: $dest/meshes already present" >&2
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download libcgal-demo >/dev/null 2>&1; then
	echo "cgal-meshes: 'apt-get download libcgal-demo' failed (run apt-get update?)" >&2
	exit 1
fi
dpkg-deb -x libcgal-demo_*.deb pkg
tarball=pkg/usr/share/doc/libcgal-dev/data.tar.gz
if [ ! -f "$tarball" ]; then
	echo "cgal-meshes: $tarball not found in the package" >&2
	exit 1
fi
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest"
if [ ! -d "$dest/meshes" ]; then
	# the archive may hold data/meshes
	if [ -d "$dest/data/meshes" ]; then
		mv "$dest/data/meshes" "$dest/meshes"
	fi
fi
n=$(ls "$dest/meshes" | wc -l)
echo "cgal-meshes: $n files in $dest/meshes" >&2
