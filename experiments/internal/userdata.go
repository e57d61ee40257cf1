package internal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"genlab/data"
	"genlab/data/mesh"
)

// CheckMesh loads the mesh file at path as the experiments do (mesh.Load):
// an unreadable or unusable file is a *UsageError naming it (exit 2), and
// faces the cleaning drops are reported as one warning line on stderr.
func CheckMesh(path string, stderr io.Writer, experiment string) error {
	_, rep, err := mesh.Load(path)
	if err != nil {
		return &UsageError{Err: err}
	}
	if n := len(rep.DegenerateFaces); n > 0 {
		fmt.Fprintf(stderr, "%s: warning: %s: %d degenerate faces %v dropped before the Laplacian\n", experiment, path, n, rep.DegenerateFaces[:min(n, 8)])
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
// says. It returns the file's content digest (data.FileDigest), which the
// task key hashes so that meshes are keyed by content, not by path.
func CGALMesh(dir, name, flag string, stderr io.Writer, experiment string) (digest string, err error) {
	path := filepath.Join(dir, name+".off")
	if _, err := os.Stat(path); err != nil {
		return "", Usagef("%s %s: %s not found (run scripts/cgal-meshes.sh)", flag, name, path)
	}
	if err := CheckMesh(path, stderr, experiment); err != nil {
		return "", err
	}
	if digest, err = data.FileDigest(path); err != nil {
		return "", Usagef("%s %s: %v", flag, name, err)
	}
	return digest, nil
}
