package results

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTornMetricsLineRecovered: a kill mid-write leaves a line without its
// newline; the next Record used to append to it, making a malformed line
// that failed every later run. The torn tail is dropped on reopening.
func TestTornMetricsLineRecovered(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root, "exp", cfgA{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RecordValues(1, map[string]float64{"loss": 0.5}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	f, err := os.OpenFile(d.Path(MetricsFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"step":2,"lo`) // torn
	f.Close()
	d2, err := Open(root, "exp", cfgA{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d2.RecordValues(2, map[string]float64{"loss": 0.25}); err != nil {
		t.Fatal(err)
	}
	d2.Close()
	steps, err := ReadMetrics(d2.Path(MetricsFile))
	if err != nil || len(steps) != 2 || steps[1].Values["loss"] != 0.25 {
		t.Fatalf("metrics after a torn line: %v, %v", steps, err)
	}
}

// TestResultChecksumDetectsEdit: result.json carries a checksum; an edited
// file is refused by Result (naming the fix) and not Done, so the task is
// recomputed. NaN and Inf survive the round trip.
func TestResultChecksumDetectsEdit(t *testing.T) {
	d, err := Open(t.TempDir(), "exp", cfgA{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteResult(map[string]float64{"fid": 1.25, "std": math.NaN(), "d": math.Inf(1)}, map[string]any{"note": "<x&y>"}); err != nil {
		t.Fatal(err)
	}
	r, err := d.Result()
	if err != nil || !d.Done() || r["fid"] != 1.25 || !math.IsNaN(r["std"]) || !math.IsInf(r["d"], 1) {
		t.Fatalf("fresh result: %v, %v, done %v", r, err, d.Done())
	}
	if _, ok := r[ChecksumField]; ok {
		t.Error("checksum reported as a metric")
	}
	b, _ := os.ReadFile(d.Path(ResultFile))
	if !strings.Contains(string(b), ChecksumField) {
		t.Fatalf("no checksum in %s", b)
	}
	edited := strings.Replace(string(b), "1.25", "0.5", 1)
	os.WriteFile(d.Path(ResultFile), []byte(edited), 0o644)
	if _, err := d.Result(); !errors.Is(err, ErrResultChecksum) || !strings.Contains(err.Error(), "-force") {
		t.Errorf("edited result: %v, want ErrResultChecksum naming the fix", err)
	}
	if d.Done() {
		t.Error("an edited result.json counts as done")
	}
	// a result.json from before checksums is accepted
	os.WriteFile(d.Path(ResultFile), []byte(`{"config_key": "`+d.Key+`", "fid": 2}`), 0o644)
	if r, err := d.Result(); err != nil || r["fid"] != 2 || !d.Done() {
		t.Errorf("legacy result: %v %v", r, err)
	}
}

// TestCollectSkipsCorruptFiles: one corrupt result.json or config.json made
// every later run exit 1 at the summary step; now the summary holds the
// good tasks and Skipped names each bad file and the fix.
func TestCollectSkipsCorruptFiles(t *testing.T) {
	root := t.TempDir()
	good := cfgA{Name: "good"}
	d, err := Open(root, "exp", good)
	if err != nil {
		t.Fatal(err)
	}
	d.WriteResult(map[string]float64{"m": 1})
	writeTask(t, root, "exp", "aaaaaaaaaaaa", `{"name":"x"}`, `{"config_key": "aaaa`)
	writeTask(t, root, "exp", "bbbbbbbbbbbb", `{"name":`, `{"config_key": "bbbbbbbbbbbb", "m": 2}`)
	tab, err := Collect(root, "exp")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 || tab.Get(0, "name") != "good" {
		t.Errorf("rows %v", tab.Rows)
	}
	if len(tab.Skipped) != 2 || !strings.Contains(strings.Join(tab.Skipped, "\n"), filepath.Join("aaaaaaaaaaaa", ResultFile)) ||
		!strings.Contains(strings.Join(tab.Skipped, "\n"), filepath.Join("bbbbbbbbbbbb", ConfigFile)) {
		t.Errorf("skipped %q", tab.Skipped)
	}
}

// TestStaleTempFilesRemoved: temporary files an interrupted atomic write
// left (".loss.png.tmp123") are removed when the task directory is opened
// and when the experiment is collected.
func TestStaleTempFilesRemoved(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root, "exp", cfgA{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	stale := []string{d.Path(".loss.png.tmp123"), d.Path(".checkpoint.bin.tmp-9"), filepath.Join(root, "exp", ".sw1.png.tmp7")}
	for _, p := range stale {
		os.WriteFile(p, []byte("x"), 0o644)
	}
	keep := d.Path("loss.png")
	os.WriteFile(keep, []byte("x"), 0o644)
	if _, err := Open(root, "exp", cfgA{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Collect(root, "exp"); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("a real file was removed")
	}
}
