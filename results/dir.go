// Package results holds genlab's run-directory contract: one directory per
// task, keyed by a hash of its configuration, with config.json, meta.json,
// metrics.jsonl and result.json (written last, atomically, as the completion
// marker); Collect merges finished tasks into summary.csv; the plotting
// functions write PNG figures; WriteIndex links everything in one HTML page.
//
// Layout under a root directory (default "runs"):
//
//	root/<experiment>/<key>/config.json    resolved configuration (canonical JSON)
//	root/<experiment>/<key>/meta.json      commit, Go version, BLAS, GOMAXPROCS, seeds, timings
//	root/<experiment>/<key>/metrics.jsonl  one {"step": n, name: value, …} line per Record
//	root/<experiment>/<key>/result.json    flat metric → number; its presence marks completion
//	root/<experiment>/<key>/label          the task's human label (display only)
//	root/<experiment>/<key>/lock           host, pid and start of the process running the task (AcquireLock)
//	root/<experiment>/<key>/events.out.tfevents.<unix>.<host>  the same scalars for TensorBoard
//	root/<experiment>/<key>/samples.npy    the final samples (NumPy .npy)
//	root/<experiment>/summary.csv          one row per finished task
//	root/index.html                        every experiment's table and figures
package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"genlab/data/npy"
)

// Standard file names inside a task directory.
const (
	ConfigFile  = "config.json"
	MetaFile    = "meta.json"
	MetricsFile = "metrics.jsonl"
	ResultFile  = "result.json"
	SummaryFile = "summary.csv"
	IndexFile   = "index.html"
	// LabelFile holds a task's human label ("D=128-seed1"), one line: the
	// directory stays named by its key, the label is for people.
	LabelFile = "label"
	// CacheFile marks an experiment directory as a cache of trained models
	// shared by experiments (pfgm-models, …): WriteIndex leaves it out.
	CacheFile = "CACHE"
)

// KeyField is the field of result.json that records the task key the result
// belongs to. Done compares it with the directory's key.
const KeyField = "config_key"

// ChecksumField is the field of result.json holding the SHA-256 (hex) of the
// canonical JSON of every other field. A result.json whose checksum does not
// match was edited or damaged: Done reports false (the task is recomputed)
// and Result refuses it with ErrResultChecksum. Files written before the
// field existed have none and are accepted.
const ChecksumField = "result_sha256"

// ErrResultChecksum reports a result.json whose ChecksumField does not match
// its content.
var ErrResultChecksum = errors.New("result.json does not match its checksum (edited or damaged): delete it, or rerun with -force, to recompute")

// KeyLen is the number of hex digits of a task key.
const KeyLen = 12

// Key returns the task key of cfg: the first 12 hex digits (48 bits) of the
// SHA-256 of Canonical(cfg).
//
// The canonical encoding sorts object keys, so reordering struct fields or
// building a map in another order keeps the key; renaming a field (or its
// json tag), changing a value, or adding a non-omitempty field changes it.
// With 48 bits, a sweep of 10⁴ tasks collides with probability ≈ 2·10⁻⁷.
func Key(cfg any) (string, error) {
	b, err := Canonical(cfg)
	if err != nil {
		return "", fmt.Errorf("results: key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:KeyLen], nil
}

// Dir is one task directory root/<experiment>/<key>. Its methods are safe
// for concurrent use.
type Dir struct {
	Root       string // run root, e.g. "runs"
	Experiment string // experiment name
	Key        string // task key, Key(config)
	dir        string

	mu       sync.Mutex
	metrics  *os.File
	events   *EventWriter // the TensorBoard event file of this process, opened by the first Record
	lastStep int          // the largest step recorded by this process
}

// Open creates (if needed) the task directory root/<experiment>/<Key(cfg)>
// and writes config.json, the canonical indented JSON of cfg, atomically.
// An existing directory is reused as it is: checkpoints, metrics and a
// finished result.json survive, so a rerun can skip or resume.
func Open(root, experiment string, cfg any) (*Dir, error) {
	if experiment == "" || strings.ContainsAny(experiment, `/\`) || experiment == "." || experiment == ".." {
		return nil, fmt.Errorf("results: open: bad experiment name %q", experiment)
	}
	key, err := Key(cfg)
	if err != nil {
		return nil, fmt.Errorf("results: open %s: %w", experiment, err)
	}
	js, err := CanonicalIndent(cfg)
	if err != nil {
		return nil, fmt.Errorf("results: open %s: %w", experiment, err)
	}
	d := &Dir{Root: root, Experiment: experiment, Key: key, dir: filepath.Join(root, experiment, key)}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: open: %w", err)
	}
	removeStaleTemps(d.dir)
	cp := d.Path(ConfigFile)
	if old, err := os.ReadFile(cp); err != nil || !bytes.Equal(old, js) {
		if err := WriteFileAtomic(cp, js); err != nil {
			return nil, fmt.Errorf("results: open %s: %w", experiment, err)
		}
	}
	return d, nil
}

// View returns the task directory root/<experiment>/<key> for reading
// only: unlike Open it creates and writes nothing, and the directory need
// not exist. Done, Result, Meta and Label read it.
func View(root, experiment, key string) *Dir {
	return &Dir{Root: root, Experiment: experiment, Key: key, dir: filepath.Join(root, experiment, key)}
}

// OpenCache is Open for a directory of cached models rather than an
// experiment: it also marks root/name with CacheFile (see MarkCache), so
// runs/index.html does not list it as an experiment.
func OpenCache(root, name string, cfg any) (*Dir, error) {
	d, err := Open(root, name, cfg)
	if err != nil {
		return nil, err
	}
	if err := MarkCache(filepath.Join(root, name)); err != nil {
		return nil, err
	}
	return d, nil
}

// MarkCache writes CacheFile into dir (creating dir) unless it is there.
func MarkCache(dir string) error {
	p := filepath.Join(dir, CacheFile)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: mark cache: %w", err)
	}
	return WriteFileAtomic(p, []byte("Trained models shared by experiments; not an experiment of its own.\n"))
}

// WriteLabel writes the task's human label into LabelFile (atomically,
// only when it changed). An empty label is left unwritten.
func (d *Dir) WriteLabel(label string) error {
	if label == "" {
		return nil
	}
	p := d.Path(LabelFile)
	if old, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(old)) == label {
		return nil
	}
	if err := WriteFileAtomic(p, []byte(label+"\n")); err != nil {
		return fmt.Errorf("results: label: %w", err)
	}
	return nil
}

// Label returns the task's label from LabelFile, or "" when there is none.
func (d *Dir) Label() string { return readLabel(d.dir) }

func readLabel(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, LabelFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Dir returns the task directory's path.
func (d *Dir) Dir() string { return d.dir }

// Path returns the path of the file called name inside the task directory.
func (d *Dir) Path(name string) string { return filepath.Join(d.dir, name) }

// Done reports whether the task has finished: result.json exists, parses,
// matches its checksum and records this directory's key in its KeyField. A
// damaged or edited result.json is not done, so the task is recomputed.
func (d *Dir) Done() bool {
	m, err := readResult(d.Path(ResultFile))
	if err != nil {
		return false
	}
	k, _ := m[KeyField].(string)
	return k == d.Key
}

// Result reads result.json and returns its numeric fields (the strings
// "inf", "-inf" and "nan" included); other fields are dropped.
func (d *Dir) Result() (map[string]float64, error) {
	all, err := readResult(d.Path(ResultFile))
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(all))
	for k, v := range all {
		if f, ok := parseNumber(v); ok {
			out[k] = f
		}
	}
	return out, nil
}

// maxResultBytes bounds the size of a result.json or config.json read
// back: both are small flat objects.
const maxResultBytes = 16 << 20

// readResult reads a result.json: a JSON object, checked against its
// ChecksumField when it has one (which it then drops).
func readResult(path string) (map[string]any, error) {
	b, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	m, err := decodeResult(b)
	if err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return m, nil
}

// readSmall reads a JSON file of at most maxResultBytes.
func readSmall(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if st.Size() > maxResultBytes {
		return nil, fmt.Errorf("results: %s: %d bytes, more than a result or config can be", path, st.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return b, nil
}

// decodeResult parses the bytes of a result.json (numbers kept as
// json.Number) and verifies and drops its ChecksumField.
func decodeResult(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	sum, has := m[ChecksumField]
	if !has {
		return m, nil
	}
	delete(m, ChecksumField)
	want, err := resultChecksum(m)
	if err != nil {
		return nil, err
	}
	if s, _ := sum.(string); s != want {
		return nil, ErrResultChecksum
	}
	return m, nil
}

// resultChecksum is the hex SHA-256 of json.Marshal(m) for m as decoded
// from result.json (numbers as json.Number, keys sorted by Marshal).
func resultChecksum(m map[string]any) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// removeStaleTemps removes the temporary files an interrupted atomic write
// left in dir (".name.tmp…", as WriteFileAtomic and nn.WriteCheckpoint make
// them). Only one process works in a task directory at a time, so none of
// them is in flight.
func removeStaleTemps(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp") {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// Clear removes everything in the task directory except config.json, the
// label and the lock (its holder is the caller), so
// that a forced rerun starts from scratch. result.json goes first, so an
// interrupted Clear never leaves a directory that looks finished.
func (d *Dir) Clear() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_ = d.closeFiles() // everything but config.json and the label goes anyway
	if err := os.Remove(d.Path(ResultFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("results: clear: %w", err)
	}
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("results: clear: %w", err)
	}
	for _, e := range ents {
		if e.Name() == ConfigFile || e.Name() == LabelFile || e.Name() == LockFile {
			continue
		}
		if err := os.RemoveAll(d.Path(e.Name())); err != nil {
			return fmt.Errorf("results: clear: %w", err)
		}
	}
	return nil
}

// Record appends one line to metrics.jsonl: s.Values flattened next to
// "step", keys sorted, non-finite values written as "inf"/"-inf"/"nan". Each
// line goes out in one write, so a crash loses at most the line in flight,
// which ReadMetrics ignores. The same values go into the task's TensorBoard
// event file (EventWriter; one file per process, so a resumed run adds a
// file beside the first). Dir satisfies the trainers' Recorder interface
// (Record(Step) error).
func (d *Dir) Record(s Step) error {
	line, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	line = append(line, '\n')
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.metrics == nil {
		f, err := os.OpenFile(d.Path(MetricsFile), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("results: record: %w", err)
		}
		if err := dropTornTail(f); err != nil {
			f.Close()
			return fmt.Errorf("results: record: %s: %w", d.Path(MetricsFile), err)
		}
		d.metrics = f
	}
	if _, err := d.metrics.Write(line); err != nil {
		return fmt.Errorf("results: record step %d: %w", s.Step, err)
	}
	d.lastStep = max(d.lastStep, s.Step)
	return d.scalars(int64(s.Step), s.Values)
}

// scalars writes values at step into the event file, opening it first if
// needed. d.mu must be held.
func (d *Dir) scalars(step int64, values map[string]float64) error {
	if d.events == nil {
		w, err := NewEventWriter(d.dir, time.Now())
		if err != nil {
			return err
		}
		d.events = w
	}
	return d.events.Scalars(time.Now(), step, values)
}

// dropTornTail truncates f after its last newline: a line a crash cut
// short would otherwise run into the next appended line and make
// metrics.jsonl unreadable for every later run.
func dropTornTail(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	const block = 4096
	end := st.Size()
	for end > 0 {
		off := max(0, end-block)
		buf := make([]byte, end-off)
		if _, err := f.ReadAt(buf, off); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			end = off + int64(i) + 1
			break
		}
		end = off
	}
	if end == st.Size() {
		return nil
	}
	return f.Truncate(end)
}

// RecordValues is Record of Step{Step: step, Values: v}: the shape of the
// training loops' Record callbacks (diffusion.TrainConfig.Record and
// friends), so they can take dir.RecordValues directly.
func (d *Dir) RecordValues(step int, v map[string]float64) error {
	return d.Record(Step{Step: step, Values: v})
}

// Close flushes and closes metrics.jsonl and the event file if Record
// opened them. The Dir stays usable: a later Record reopens the files.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closeFiles()
}

func (d *Dir) closeFiles() error {
	var err error
	if d.events != nil {
		err = d.events.Close()
		d.events = nil
	}
	if d.metrics == nil {
		return err
	}
	merr := d.metrics.Sync()
	if cerr := d.metrics.Close(); merr == nil {
		merr = cerr
	}
	d.metrics = nil
	if merr != nil {
		return fmt.Errorf("results: close metrics: %w", merr)
	}
	return err
}

// WriteResult writes result.json: the metrics r plus any extra fields
// (strings, counts, hashes), plus KeyField = d.Key. It must be the last write
// of a task: metrics.jsonl is synced and closed first, then result.json is
// written atomically (WriteFileAtomic), so it either exists complete or not
// at all. A name used twice, or the reserved KeyField, is an error. The
// metrics r also go into the event file as "result/<name>" scalars at the
// last recorded step.
func (d *Dir) WriteResult(r map[string]float64, extra ...map[string]any) error {
	d.mu.Lock()
	final := make(map[string]float64, len(r))
	for k, v := range r {
		final["result/"+k] = v
	}
	err := d.scalars(int64(d.lastStep), final)
	if cerr := d.closeFiles(); err == nil {
		err = cerr
	}
	d.mu.Unlock()
	if err != nil {
		return err
	}
	out := make(map[string]any, len(r)+1)
	for k, v := range r {
		if k == KeyField {
			return fmt.Errorf("results: write result: %q is reserved", KeyField)
		}
		out[k] = v
	}
	for _, e := range extra {
		for k, v := range e {
			if _, dup := out[k]; dup || k == KeyField {
				return fmt.Errorf("results: write result: field %q given twice or reserved", k)
			}
			out[k] = v
		}
	}
	out[KeyField] = d.Key
	b, err := encodeResult(out)
	if err != nil {
		return fmt.Errorf("results: write result: %w", err)
	}
	if err := WriteFileAtomic(d.Path(ResultFile), b); err != nil {
		return fmt.Errorf("results: write result: %w", err)
	}
	return nil
}

// encodeResult returns the indented canonical JSON of the fields out plus
// their ChecksumField, computed over the fields as decodeResult reads them.
func encodeResult(out map[string]any) ([]byte, error) {
	if _, dup := out[ChecksumField]; dup {
		return nil, fmt.Errorf("%q is reserved", ChecksumField)
	}
	b, err := CanonicalIndent(out)
	if err != nil {
		return nil, err
	}
	tree, err := decodeResult(b)
	if err != nil {
		return nil, err
	}
	sum, err := resultChecksum(tree)
	if err != nil {
		return nil, err
	}
	with := make(map[string]any, len(out)+1)
	for k, v := range out {
		with[k] = v
	}
	with[ChecksumField] = sum
	return CanonicalIndent(with)
}

// WriteFileAtomic writes data to path so that readers see either the old
// file or the complete new one: it writes a temporary file in the same
// directory, fsyncs it, renames it over path and fsyncs the directory. On
// error the temporary file is removed.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("results: atomic write %s: %w", path, err)
	}
	if df, derr := os.Open(dir); derr == nil {
		// Some file systems refuse to fsync a directory; the rename is
		// already visible, so that is not worth failing the write.
		_ = df.Sync()
		df.Close()
	}
	return nil
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// SamplesFile is the name under which experiments save a task's final
// samples: samples.npy, readable by numpy.load.
const SamplesFile = "samples.npy"

// WriteNPY writes x (one sample per row) as the float32 .npy file name in
// the task directory, shape (rows, cols), atomically.
func (d *Dir) WriteNPY(name string, x *mat.Dense) error { return WriteNPY(d.Path(name), x) }

// WriteNPY writes x as a float32 .npy file of shape (rows, cols) at path,
// atomically.
func WriteNPY(path string, x *mat.Dense) error {
	r, c := x.Dims()
	v := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		v = append(v, x.RawRowView(i)...)
	}
	b, err := npy.EncodeFloat32([]int{r, c}, v)
	if err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	return WriteFileAtomic(path, b)
}

// WriteNPYUint8 writes pix (8-bit images, n of h×w) as the uint8 .npy file
// name in the task directory, shape (n, h, w), atomically.
func (d *Dir) WriteNPYUint8(name string, pix []uint8, n, h, w int) error {
	b, err := npy.EncodeUint8([]int{n, h, w}, pix)
	if err != nil {
		return fmt.Errorf("results: %s: %w", name, err)
	}
	return WriteFileAtomic(d.Path(name), b)
}
