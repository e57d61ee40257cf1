package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type cfgA struct {
	Name  string  `json:"name"`
	D     float64 `json:"D"`
	Steps int     `json:"steps"`
	Seed  uint64  `json:"seed"`
}

// cfgB has the fields of cfgA in another order.
type cfgB struct {
	Seed  uint64  `json:"seed"`
	Steps int     `json:"steps"`
	D     float64 `json:"D"`
	Name  string  `json:"name"`
}

func TestKeyStable(t *testing.T) {
	a := cfgA{Name: "pfgm", D: 128, Steps: 1000, Seed: 3}
	k1, err := Key(a)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := Key(a)
	if k1 != k2 || len(k1) != KeyLen {
		t.Fatalf("keys %q, %q", k1, k2)
	}
	// Field order does not matter; a map with the same content agrees.
	kb, _ := Key(cfgB{Name: "pfgm", D: 128, Steps: 1000, Seed: 3})
	km, _ := Key(map[string]any{"seed": 3, "steps": 1000, "D": 128.0, "name": "pfgm"})
	if kb != k1 || km != k1 {
		t.Fatalf("reordered keys differ: %s %s %s", k1, kb, km)
	}
	// Independent route: SHA-256 of the hand-written canonical text.
	sum := sha256.Sum256([]byte(`{"D":128,"name":"pfgm","seed":3,"steps":1000}`))
	if want := hex.EncodeToString(sum[:])[:KeyLen]; k1 != want {
		t.Fatalf("key %s, hand-computed %s", k1, want)
	}
	// Any field change changes the key.
	for _, c := range []cfgA{
		{Name: "edm", D: 128, Steps: 1000, Seed: 3},
		{Name: "pfgm", D: 129, Steps: 1000, Seed: 3},
		{Name: "pfgm", D: 128, Steps: 1001, Seed: 3},
		{Name: "pfgm", D: 128, Steps: 1000, Seed: 4},
		{Name: "pfgm", D: math.Inf(1), Steps: 1000, Seed: 3},
	} {
		k, err := Key(c)
		if err != nil {
			t.Fatal(err)
		}
		if k == k1 {
			t.Errorf("%+v has the key of %+v", c, a)
		}
	}
}

type inner struct {
	LR    float64 `json:"lr"`
	Batch int     `json:"batch"`
}

type kValue struct {
	K       float64
	Learned bool
}

func (k kValue) MarshalJSON() ([]byte, error) {
	if k.Learned {
		return []byte(`"learn"`), nil
	}
	return json.Marshal(k.K)
}

type outer struct {
	inner
	Train   inner              `json:"train"`
	Skip    int                `json:"-"`
	Opt     string             `json:"opt,omitempty"`
	K       kValue             `json:"k"`
	Ks      []kValue           `json:"ks"`
	Weights map[string]float64 `json:"weights"`
	Vals    []float64          `json:"vals"`
	F32     float32            `json:"f32"`
	private int
}

func TestCanonical(t *testing.T) {
	v := outer{
		inner:   inner{LR: 1e-4, Batch: 64},
		Train:   inner{LR: 0.002, Batch: 8},
		Skip:    7,
		K:       kValue{K: 0.5},
		Ks:      []kValue{{Learned: true}, {K: 1}},
		Weights: map[string]float64{"z": 1, "a": math.Inf(-1)},
		Vals:    []float64{math.Inf(1), math.NaN(), 1e21, 0.1},
		F32:     0.1,
		private: 3,
	}
	got, err := Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"batch":64,"f32":0.1,"k":0.5,"ks":["learn",1],"lr":0.0001,"train":{"batch":8,"lr":0.002},` +
		`"vals":["inf","nan",1e+21,0.1],"weights":{"a":"-inf","z":1}}`
	if string(got) != want {
		t.Fatalf("canonical\n got %s\nwant %s", got, want)
	}
	// Nil pointers, interfaces and marshalers encode as null, like encoding/json.
	type withNils struct {
		P *inner         `json:"p"`
		I any            `json:"i"`
		M json.Marshaler `json:"m"`
		K *kValue        `json:"k"`
		T []int          `json:"t"`
	}
	if b, err := Canonical(withNils{}); err != nil || string(b) != `{"i":null,"k":null,"m":null,"p":null,"t":null}` {
		t.Fatalf("nils: %s %v", b, err)
	}
	// encoding/json agrees on everything it can encode.
	fin := inner{LR: 3.0e-7, Batch: 5}
	a, _ := Canonical(fin)
	b, _ := json.Marshal(fin)
	var ma, mb map[string]any
	json.Unmarshal(a, &ma)
	json.Unmarshal(b, &mb)
	if len(ma) != 2 || ma["lr"] != mb["lr"] || ma["batch"] != mb["batch"] {
		t.Fatalf("canonical %s vs encoding/json %s", a, b)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "result.json")
	big := func(c byte) []byte { return bytes.Repeat([]byte{c}, 1<<20) }
	if err := WriteFileAtomic(path, big('a')); err != nil {
		t.Fatal(err)
	}
	// A reader racing a writer sees either the old or the new file whole.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 40; i++ {
			c := byte('a' + i%2)
			if err := WriteFileAtomic(path, big(c)); err != nil {
				t.Error(err)
				return
			}
		}
		close(stop)
	}()
	reads := 0
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		default:
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		if len(b) != 1<<20 || (b[0] != 'a' && b[0] != 'b') || bytes.Count(b, b[:1]) != len(b) {
			t.Fatalf("partial read: %d bytes, first %q", len(b), b[:min(1, len(b))])
		}
	}
	wg.Wait()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "result.json" {
		t.Fatalf("directory holds %v, want only result.json", ents)
	}
	// A failed write leaves nothing behind.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "x.json"), []byte("{}")); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("failed write left %v", ents)
	}
	t.Logf("%d concurrent reads, all whole", reads)
}

func TestDirLifecycle(t *testing.T) {
	root := t.TempDir()
	cfg := cfgA{Name: "pfgm", D: math.Inf(1), Steps: 10, Seed: 1}
	d, err := Open(root, "toy", cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := Key(cfg)
	if d.Key != key || d.Dir() != filepath.Join(root, "toy", key) {
		t.Fatalf("dir %s key %s", d.Dir(), d.Key)
	}
	b, err := os.ReadFile(d.Path(ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"D": "inf"`) {
		t.Fatalf("config.json: %s", b)
	}
	if d.Done() {
		t.Fatal("fresh dir is done")
	}
	start := time.Now()
	if err := d.WriteMeta(Meta{BLAS: "gonum (pure Go)", Seeds: []uint64{42}, Start: start}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := d.Record(Step{Step: i * 10, Values: map[string]float64{"loss": 1 / float64(i+1)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.WriteResult(map[string]float64{"fid": 3.5, "swd": math.NaN()}, map[string]any{"feature_net": "abc"}); err != nil {
		t.Fatal(err)
	}
	if !d.Done() {
		t.Fatal("not done after WriteResult")
	}
	// Reopening the same config finds the finished task.
	d2, err := Open(root, "toy", cfg)
	if err != nil || !d2.Done() {
		t.Fatalf("reopen: done=%v err=%v", d2 != nil && d2.Done(), err)
	}
	res, err := d2.Result()
	if err != nil || res["fid"] != 3.5 || !math.IsNaN(res["swd"]) || len(res) != 2 {
		t.Fatalf("result %v err %v", res, err)
	}
	var meta Meta
	mb, _ := os.ReadFile(d.Path(MetaFile))
	if err := json.Unmarshal(mb, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Key != key || meta.GoVersion == "" || meta.GOMAXPROCS < 1 || meta.Commit == "" || meta.BLAS != "gonum (pure Go)" || len(meta.Seeds) != 1 {
		t.Fatalf("meta %+v", meta)
	}
	// A result.json recording another key does not count as done.
	bad := []byte(`{"fid": 1, "config_key": "000000000000"}`)
	if err := WriteFileAtomic(d.Path(ResultFile), bad); err != nil {
		t.Fatal(err)
	}
	if d.Done() {
		t.Fatal("foreign result counts as done")
	}
	if err := d.WriteResult(map[string]float64{KeyField: 1}); err == nil {
		t.Fatal("reserved field accepted")
	}
	// Clear keeps only config.json.
	if err := d.Clear(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(d.Dir())
	if len(ents) != 1 || ents[0].Name() != ConfigFile {
		t.Fatalf("after clear: %v", ents)
	}
}

func TestMetricsResume(t *testing.T) {
	d, err := Open(t.TempDir(), "toy", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(step int, kv ...any) {
		t.Helper()
		v := map[string]float64{}
		for i := 0; i < len(kv); i += 2 {
			v[kv[i].(string)] = kv[i+1].(float64)
		}
		if err := d.Record(Step{Step: step, Values: v}); err != nil {
			t.Fatal(err)
		}
	}
	rec(0, "loss", 2.0)
	rec(100, "loss", 1.0, "fid", 50.0)
	rec(200, "loss", 0.9)
	// Resumed from the checkpoint at step 100: steps 100 and 200 recorded again.
	rec(100, "loss", 1.1)
	rec(200, "loss", math.Inf(1))
	rec(300, "loss", 0.5)
	d.Close()
	// A torn last line (crash mid-write) is ignored.
	f, _ := os.OpenFile(d.Path(MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step":400,"lo`)
	f.Close()
	steps, err := ReadMetrics(d.Path(MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{0, map[string]float64{"loss": 2}},
		{100, map[string]float64{"loss": 1.1, "fid": 50}},
		{200, map[string]float64{"loss": math.Inf(1)}},
		{300, map[string]float64{"loss": 0.5}},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps %v", steps)
	}
	for i := range want {
		if steps[i].Step != want[i].Step || len(steps[i].Values) != len(want[i].Values) {
			t.Fatalf("step %d: %v want %v", i, steps[i], want[i])
		}
		for k, v := range want[i].Values {
			if steps[i].Values[k] != v {
				t.Fatalf("step %d %s: %v want %v", steps[i].Step, k, steps[i].Values[k], v)
			}
		}
	}
	// A malformed complete line is an error naming the line.
	os.WriteFile(d.Path(MetricsFile), []byte("{\"step\":1,\"loss\":1}\nnot json\n{\"step\":2}\n"), 0o644)
	if _, err := ReadMetrics(d.Path(MetricsFile)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed line: err %v", err)
	}
	if err := d.Record(Step{Step: 1, Values: map[string]float64{"step": 1}}); err == nil {
		t.Fatal(`value named "step" accepted`)
	}
}

func writeTask(t *testing.T, root, exp, key, config, result string) {
	t.Helper()
	dir := filepath.Join(root, exp, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte(config), 0o644)
	if result != "" {
		os.WriteFile(filepath.Join(dir, ResultFile), []byte(result), 0o644)
	}
}

func TestCollect(t *testing.T) {
	root := t.TempDir()
	writeTask(t, root, "sweep", "aaaaaaaaaaaa",
		`{"D":16,"seed":1,"train":{"lr":0.001},"tags":[1,2]}`,
		`{"fid":2.5,"n":100,"config_key":"aaaaaaaaaaaa"}`)
	writeTask(t, root, "sweep", "bbbbbbbbbbbb",
		`{"D":"inf","seed":0,"train":{"lr":0.001},"tags":[1,2]}`,
		`{"fid":"nan","n":100,"net":"lenet","config_key":"bbbbbbbbbbbb"}`)
	writeTask(t, root, "sweep", "cccccccccccc",
		`{"D":4,"seed":0,"train":{"lr":0.001},"tags":[]}`,
		`{"fid":7,"n":100,"config_key":"cccccccccccc"}`)
	writeTask(t, root, "sweep", "dddddddddddd", `{"D":4,"seed":9}`, "")                                      // unfinished
	writeTask(t, root, "sweep", "eeeeeeeeeeee", `{"D":4,"seed":8}`, `{"fid":1,"config_key":"ffffffffffff"}`) // stale
	writeTask(t, root, "sweep", "aaaaaaaaaaa2",
		`{"D":16,"seed":0,"train":{"lr":0.001},"tags":[1,2]}`,
		`{"fid":2,"n":100,"config_key":"aaaaaaaaaaa2"}`)
	tab, err := Collect(root, "sweep")
	if err != nil {
		t.Fatal(err)
	}
	want := "key,D,seed,tags,train.lr,fid,n,net\n" +
		"cccccccccccc,4,0,[],0.001,7,100,\n" +
		"aaaaaaaaaaa2,16,0,\"[1,2]\",0.001,2,100,\n" +
		"aaaaaaaaaaaa,16,1,\"[1,2]\",0.001,2.5,100,\n" +
		"bbbbbbbbbbbb,inf,0,\"[1,2]\",0.001,nan,100,lenet\n"
	got, err := os.ReadFile(filepath.Join(root, "sweep", SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("summary.csv\n got:\n%s\nwant:\n%s", got, want)
	}
	if v, err := tab.Float(3, "D"); err != nil || !math.IsInf(v, 1) {
		t.Fatalf("D of last row: %v %v", v, err)
	}
	ser, err := tab.Series("D", "fid", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ser) != 1 || len(ser[0].X) != 3 || ser[0].X[1] != 16 || len(ser[0].Y[1]) != 2 || !math.IsInf(ser[0].X[2], 1) {
		t.Fatalf("series %+v", ser)
	}
	// A result field named like a config field gets a prefix.
	writeTask(t, root, "clash", "111111111111", `{"n":5}`, `{"n":6,"config_key":"111111111111"}`)
	if _, err := Collect(root, "clash"); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(filepath.Join(root, "clash", SummaryFile))
	if string(got) != "key,n,result.n\n111111111111,5,6\n" {
		t.Fatalf("clash summary: %q", got)
	}
}

func TestMeanCI95(t *testing.T) {
	// t_{0.975,2} = 4.302652729749464 (tables); s = 1 for {1,2,3}.
	m, h := meanCI95([]float64{1, 2, 3})
	if m != 2 || math.Abs(h-4.302652729749464/math.Sqrt(3)) > 1e-9 {
		t.Fatalf("mean %v half %v", m, h)
	}
	// t_{0.975,29} = 2.045229642132703; values 0..29 have s² = 77.5.
	v := make([]float64, 30)
	for i := range v {
		v[i] = float64(i)
	}
	m, h = meanCI95(v)
	if m != 14.5 || math.Abs(h-2.045229642132703*math.Sqrt(77.5/30)) > 1e-9 {
		t.Fatalf("n=30: mean %v half %v", m, h)
	}
	if m, h := meanCI95([]float64{4}); m != 4 || h != 0 {
		t.Fatalf("single value: %v ± %v", m, h)
	}
}
