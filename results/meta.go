package results

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Meta is the provenance of one task run, written to meta.json. Results can
// only be compared bit for bit under the same commit, Go version, BLAS and
// GOMAXPROCS, because float reductions change order with them.
type Meta struct {
	Experiment string    `json:"experiment"`
	Key        string    `json:"key"`
	Commit     string    `json:"commit"`     // `git rev-parse HEAD`, or "unknown"
	GoVersion  string    `json:"go_version"` // runtime.Version()
	BuildTags  []string  `json:"build_tags"` // from the binary's build info
	BLAS       string    `json:"blas"`       // BLAS implementation and its threads, as given by the caller
	GOMAXPROCS int       `json:"gomaxprocs"`
	NumCPU     int       `json:"num_cpu"`
	Hostname   string    `json:"hostname"`
	Args       []string  `json:"args,omitempty"`
	Seeds      []uint64  `json:"seeds"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end,omitzero"`
	Seconds    float64   `json:"seconds,omitempty"` // End − Start
	Status     string    `json:"status,omitempty"`  // "running", "done", "failed: …"
	Attempt    int       `json:"attempt,omitempty"` // 1 for the first run of the task, +1 per resume
}

// Meta reads the task's meta.json.
func (d *Dir) Meta() (Meta, error) {
	var m Meta
	b, err := os.ReadFile(d.Path(MetaFile))
	if err != nil {
		return m, fmt.Errorf("results: read meta: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("results: read meta %s: %w", d.Path(MetaFile), err)
	}
	return m, nil
}

// WriteMeta writes meta.json atomically. Fields left zero are filled in from
// the running process: Experiment and Key from d, Commit via GitCommit,
// GoVersion, BuildTags, GOMAXPROCS, NumCPU, Hostname, and Start (now).
// Seconds is End − Start when End is set.
func (d *Dir) WriteMeta(m Meta) error {
	if m.Experiment == "" {
		m.Experiment = d.Experiment
	}
	if m.Key == "" {
		m.Key = d.Key
	}
	if m.Commit == "" {
		m.Commit = GitCommit()
	}
	if m.GoVersion == "" {
		m.GoVersion = runtime.Version()
	}
	if m.BuildTags == nil {
		m.BuildTags = BuildTags()
	}
	if m.GOMAXPROCS == 0 {
		m.GOMAXPROCS = runtime.GOMAXPROCS(0)
	}
	if m.NumCPU == 0 {
		m.NumCPU = runtime.NumCPU()
	}
	if m.Hostname == "" {
		if h, err := os.Hostname(); err == nil {
			m.Hostname = h
		} else {
			m.Hostname = "unknown"
		}
	}
	if m.Start.IsZero() {
		m.Start = time.Now()
	}
	if !m.End.IsZero() {
		m.Seconds = m.End.Sub(m.Start).Seconds()
	}
	if m.Seeds == nil {
		m.Seeds = []uint64{}
	}
	b, err := CanonicalIndent(m)
	if err != nil {
		return fmt.Errorf("results: write meta: %w", err)
	}
	if err := WriteFileAtomic(d.Path(MetaFile), b); err != nil {
		return fmt.Errorf("results: write meta: %w", err)
	}
	return nil
}

// GitCommit returns the commit the process was built from: the vcs.revision
// of the build info when the binary carries one, else `git rev-parse HEAD`
// in the working directory (with "-dirty" appended when `git status
// --porcelain` reports tracked changes), else "unknown".
func GitCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if rev == "" {
		return "unknown"
	}
	st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "-dirty"
	}
	return rev
}

// BuildTags returns the -tags the binary was built with (empty when none or
// unknown).
func BuildTags() []string {
	tags := []string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return tags
	}
	for _, s := range bi.Settings {
		if s.Key == "-tags" && s.Value != "" {
			for _, t := range strings.Split(s.Value, ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
		}
	}
	return tags
}
