package data

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// fileID is what a file digest is cached under: a file whose path, size and
// modification time are unchanged is taken to have unchanged content.
type fileID struct {
	path  string
	size  int64
	mtime time.Time
}

// digestCache maps a fileID to the hex SHA-256 of the file's content, for
// the life of the process (hashing all of MNIST takes ~50 ms, so nothing
// is kept on disk).
var digestCache sync.Map

// FileDigest returns the hex SHA-256 of the content of the file at path,
// cached by absolute path, size and modification time.
func FileDigest(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("data: digest: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("data: digest: %w", err)
	}
	id := fileID{abs, st.Size(), st.ModTime()}
	if d, ok := digestCache.Load(id); ok {
		return d.(string), nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", fmt.Errorf("data: digest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("data: digest %s: %w", path, err)
	}
	d := hex.EncodeToString(h.Sum(nil))
	digestCache.Store(id, d)
	return d, nil
}

// MNISTDigest returns the identity of the MNIST files in dir: the first 16
// hex digits of the SHA-256 over each of the four files' name (without
// ".gz") and content digest, in a fixed order, taking each file gzipped or
// not as LoadMNIST does. Two directories with the same files have the same
// digest wherever they are; any changed byte changes it. It is what a task
// key hashes for a -data-dir.
func MNISTDigest(dir string) (string, error) {
	h := sha256.New()
	for _, split := range []MNISTSplit{MNISTTrain, MNISTTest} {
		img, lbl, _ := MNISTFiles(split)
		for _, name := range []string{img, lbl} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				p = p[:len(p)-len(".gz")]
			}
			d, err := FileDigest(p)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %s\n", name[:len(name)-len(".gz")], d)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
