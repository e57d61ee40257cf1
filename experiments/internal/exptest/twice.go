package exptest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// SameTaskTwice starts bin with args (which must not contain -out) in two
// processes at once on one run root, as a requeued Slurm element whose
// first run still goes on would, and asserts that both exit 0, that every
// task was trained once (one stdout line with cached false and one with
// cached true per task, meta.json attempt 1, resumed_from 0), and that one
// process said it waited for the other's lock.
func SameTaskTwice(t *testing.T, bin, experiment string, args []string) {
	t.Helper()
	out := t.TempDir()
	type proc struct {
		stdout, stderr bytes.Buffer
		err            error
	}
	ps := make([]*proc, 2)
	var wg sync.WaitGroup
	for i := range ps {
		ps[i] = &proc{}
		cmd := exec.Command(bin, append(args, "-out", out)...)
		cmd.Stdout, cmd.Stderr = &ps[i].stdout, &ps[i].stderr
		wg.Add(1)
		go func(p *proc) {
			defer wg.Done()
			p.err = cmd.Run()
		}(ps[i])
	}
	wg.Wait()
	fresh, cached := map[string]int{}, map[string]int{}
	waited := false
	for i, p := range ps {
		if p.err != nil {
			t.Fatalf("process %d: %v\n%s", i, p.err, p.stderr.String())
		}
		waited = waited || strings.Contains(p.stderr.String(), "; waiting for it")
		for _, l := range strings.Split(strings.TrimSpace(p.stdout.String()), "\n") {
			var ln Line
			if err := json.Unmarshal([]byte(l), &ln); err != nil {
				t.Fatalf("process %d: stdout line %q: %v", i, l, err)
			}
			if ln.Cached {
				cached[ln.Key]++
			} else {
				fresh[ln.Key]++
			}
		}
	}
	res := readResults(t, out, experiment)
	if len(res) == 0 {
		t.Fatal("no task finished")
	}
	for key, r := range res {
		if fresh[key] != 1 || cached[key] != 1 {
			t.Errorf("task %s: trained in %d processes, skipped in %d; want 1 and 1", key, fresh[key], cached[key])
		}
		if r["resumed_from"] != nil && r["resumed_from"] != 0.0 {
			t.Errorf("task %s: resumed_from %v: the second process took over the first's checkpoint", key, r["resumed_from"])
		}
		b, err := os.ReadFile(filepath.Join(out, experiment, key, "meta.json"))
		if err != nil || !strings.Contains(string(b), `"attempt": 1,`) {
			t.Errorf("task %s: meta.json %s %v: want attempt 1", key, b, err)
		}
	}
	if !waited {
		t.Errorf("neither process waited for the other's lock:\n%s\n%s", ps[0].stderr.String(), ps[1].stderr.String())
	}
}
