package internal

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"genlab/data"
	"genlab/data/mesh"
)

// MeshDefects is the -mesh-defects flag value: what an experiment does
// with a mesh file whose faces or vertices would break the Laplace–Beltrami
// solvers (mesh.Check: zero-area or sliver faces, repeated faces,
// non-manifold edges, unreferenced vertices). "clean" (the default) drops
// them with one warning line on stderr; "refuse" exits 2 with one line
// naming the file and the face and vertex indices. It does not enter the
// task key: a mesh either has no defects, and both give the same mesh, or
// "refuse" runs nothing.
type MeshDefects struct{ Policy mesh.Policy }

// String returns "clean" or "refuse".
func (d *MeshDefects) String() string { return d.Policy.String() }

// Set parses "clean" or "refuse".
func (d *MeshDefects) Set(s string) error {
	p, err := mesh.ParsePolicy(s)
	if err != nil {
		return fmt.Errorf("%q: want clean or refuse", s)
	}
	d.Policy = p
	return nil
}

// Register adds -mesh-defects to fs.
func (d *MeshDefects) Register(fs *flag.FlagSet) {
	fs.Var(d, "mesh-defects", "`policy` for mesh files with zero-area, sliver, repeated or non-manifold faces or unreferenced vertices: clean (drop them with a warning; the default) or refuse (exit 2 naming the file and faces)")
}

// CheckMesh loads the mesh file at path as the experiments do
// (mesh.LoadWith with policy p): an unreadable file, one left without a
// usable face, or under mesh.RefuseDefects one with defects, is a
// *UsageError naming the file and the defective faces and vertices (exit
// 2); what cleaning drops is reported as one warning line on stderr.
func CheckMesh(path string, p mesh.Policy, stderr io.Writer, experiment string) error {
	_, rep, err := mesh.LoadWith(path, p)
	if err != nil {
		return &UsageError{Err: err}
	}
	if w := rep.Warnings(); len(w) > 0 {
		fmt.Fprintf(stderr, "%s: warning: %s: %s before the Laplacian (-mesh-defects refuse: exit instead)\n",
			experiment, path, strings.Join(w, "; "))
	}
	return nil
}

// MNISTData resolves a -data-dir flag value (empty: the checkout's
// data/mnist) and returns the directory and its data.MNISTDigest, which a
// task key hashes; a missing directory or file, or contents that are not
// MNIST idx files, is a *UsageError naming it.
func MNISTData(flagDir string) (dir, digest string, err error) {
	dir = flagDir
	if dir == "" {
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return "", "", Usagef("-data-dir not given and %v", err)
		}
	}
	if digest, err = data.MNISTDigest(dir); err != nil {
		return "", "", Usagef("-data-dir %s: %v", dir, err)
	}
	// Malformed contents are bad input too: read both splits now (a second
	// of work) so that they exit 2 here, not 1 when a task reads them.
	for _, s := range []data.MNISTSplit{data.MNISTTrain, data.MNISTTest} {
		if _, err := data.LoadMNIST(dir, s); err != nil {
			return "", "", Usagef("-data-dir %s: %v", dir, err)
		}
	}
	return dir, digest, nil
}

// CGALMesh checks the mesh file name.off in dir before any task runs: a
// missing file is a *UsageError naming the flag, the value and the path
// (with the script that fetches the meshes), an unusable one as CheckMesh
// says under policy p. It returns the file's content digest
// (data.FileDigest), which the task key hashes so that meshes are keyed by
// content, not by path.
func CGALMesh(dir, name, flagName string, p mesh.Policy, stderr io.Writer, experiment string) (digest string, err error) {
	path := filepath.Join(dir, name+".off")
	if _, err := os.Stat(path); err != nil {
		return "", Usagef("%s %s: %s not found (run scripts/cgal-meshes.sh)", flagName, name, path)
	}
	if err := CheckMesh(path, p, stderr, experiment); err != nil {
		return "", err
	}
	if digest, err = data.FileDigest(path); err != nil {
		return "", Usagef("%s %s: %v", flagName, name, err)
	}
	return digest, nil
}
