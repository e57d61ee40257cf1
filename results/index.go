package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type indexTask struct {
	Key    string
	Label  string // the task's label file, "" if none
	Done   bool
	Files  []string // config.json, result.json, … relative to root
	Images []string // PNGs relative to root
}

type indexExperiment struct {
	Name     string
	Header   []string      // the columns that vary across rows (all when there is one row), label first
	Rows     [][]indexCell // cells of Header
	Constant []indexConst  // columns with one value in every row, folded away
	Summary  string        // summary.csv relative to root, "" if none
	Headline string        // the experiment's headline figure (HeadlineFile), relative to root
	Figures  []string      // the other PNGs in the experiment directory, relative to root
	Tasks    []indexTask
}

// indexConst is a summary column whose value is the same in every row.
type indexConst struct{ Name, Value string }

// HeadlineFile, in an experiment directory, names the PNG (one line) that
// opens the experiment's section of index.html.
const HeadlineFile = "HEADLINE"

// WriteHeadline records png (a file name in root/<experiment>) as the
// experiment's headline figure, atomically.
func WriteHeadline(root, experiment, png string) error {
	if png == "" || strings.ContainsAny(png, `/\`) {
		return fmt.Errorf("results: headline %q: want a file name", png)
	}
	return WriteFileAtomic(filepath.Join(root, experiment, HeadlineFile), []byte(png+"\n"))
}

var indexTmpl = template.Must(template.New("index").Funcs(template.FuncMap{"base": path.Base}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>genlab runs</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f2f2f2; position: sticky; top: 0; }
tr:nth-child(even) td { background: #fafafa; }
.figs img { max-width: 600px; margin: 4px; border: 1px solid #ddd; vertical-align: top; }
.tasks img { max-height: 120px; margin: 2px; border: 1px solid #ddd; vertical-align: middle; }
.tasks li { margin: 4px 0; } .pending { color: #a60; }
.headline img { max-width: 900px; border: 1px solid #ddd; }
td.label, th.label { text-align: left; font-family: monospace; white-space: nowrap; }
.const { font-size: 0.85em; color: #444; } .const code { margin-right: 1em; }
nav a { margin-right: 1em; }
</style>
</head>
<body>
<h1>genlab runs</h1>
<p>Generated {{.Time}}.</p>
<nav>{{range .Experiments}}<a href="#{{.Name}}">{{.Name}}</a>{{end}}</nav>
{{range .Experiments}}
<h2 id="{{.Name}}">{{.Name}}</h2>
{{if .Headline}}<div class="headline"><a href="{{.Headline}}"><img src="{{.Headline}}" alt="{{.Headline}}"></a></div>{{end}}
{{if .Summary}}<p><a href="{{.Summary}}">summary.csv</a> ({{len .Rows}} finished tasks)</p>
<table>
<tr>{{range $i, $h := .Header}}<th{{if eq $i 0}} class="label"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if eq $i 0}} class="label"{{end}}{{if $c.Full}} title="{{$c.Full}}"{{end}}>{{$c.Text}}</td>{{end}}</tr>
{{end}}</table>
{{if .Constant}}<details class="const"><summary>{{len .Constant}} columns equal in every row</summary><p>{{range .Constant}}<code>{{.Name}} = {{.Value}}</code> {{end}}</p></details>{{end}}
{{else}}<p>No summary.csv yet.</p>{{end}}
{{if .Figures}}<div class="figs">{{range .Figures}}<a href="{{.}}"><img src="{{.}}" alt="{{.}}" loading="lazy"></a>{{end}}</div>{{end}}
{{if .Tasks}}<details class="tasks"><summary>{{len .Tasks}} task directories</summary><ul>
{{range .Tasks}}<li>{{if .Label}}<b>{{.Label}}</b> {{end}}<code>{{.Key}}</code>{{if not .Done}} <span class="pending">(unfinished)</span>{{end}}
{{range .Files}} <a href="{{.}}">{{base .}}</a>{{end}}
{{range .Images}} <a href="{{.}}"><img src="{{.}}" alt="{{.}}" loading="lazy"></a>{{end}}</li>
{{end}}</ul></details>{{end}}
{{else}}<p>No experiments under this directory.</p>
{{end}}
</body>
</html>
`))

// WriteIndex writes root/index.html atomically: for every experiment
// directory under root (in name order), its headline figure (HeadlineFile),
// its summary.csv as an HTML table (tasks named by their labels, varying
// columns first, constant columns folded into one line), every other PNG in
// the experiment directory, and a list of its task directories (those
// holding config.json) by label and key, with links to their files and
// their PNGs. The page is self-contained (inline CSS, no scripts) and uses paths
// relative to root, so the run directory can be copied or served as is.
func WriteIndex(root string) error {
	ents, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("results: index: %w", err)
	}
	var exps []indexExperiment
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), CacheFile)); err == nil {
			continue // a model cache (OpenCache), not an experiment
		}
		ex, ok, err := scanExperiment(root, e.Name())
		if err != nil {
			return fmt.Errorf("results: index: %w", err)
		}
		if ok {
			exps = append(exps, ex)
		}
	}
	var buf bytes.Buffer
	data := struct {
		Time        string
		Experiments []indexExperiment
	}{time.Now().UTC().Format(time.RFC3339), exps}
	if err := indexTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("results: index: %w", err)
	}
	return WriteFileAtomic(filepath.Join(root, IndexFile), buf.Bytes())
}

// scanExperiment reads one experiment directory; ok is false when it holds
// neither a summary, a figure nor a task directory.
func scanExperiment(root, name string) (indexExperiment, bool, error) {
	ex := indexExperiment{Name: name}
	dir := filepath.Join(root, name)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ex, false, err
	}
	rel := func(parts ...string) string { return filepath.ToSlash(filepath.Join(parts...)) }
	for _, e := range ents {
		switch {
		case e.IsDir():
			t, ok, err := scanTask(dir, e.Name())
			if err != nil {
				return ex, false, err
			}
			if ok {
				for i := range t.Files {
					t.Files[i] = rel(name, e.Name(), t.Files[i])
				}
				for i := range t.Images {
					t.Images[i] = rel(name, e.Name(), t.Images[i])
				}
				ex.Tasks = append(ex.Tasks, t)
			}
		case isPNG(e.Name()):
			ex.Figures = append(ex.Figures, rel(name, e.Name()))
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	switch {
	case err == nil:
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			return ex, false, fmt.Errorf("%s: %w", filepath.Join(dir, SummaryFile), err)
		}
		ex.Summary = rel(name, SummaryFile)
		labels := map[string]string{}
		config := map[string]bool{}
		for _, t := range ex.Tasks {
			labels[t.Key] = t.Label
			if len(config) == 0 {
				config = configColumns(filepath.Join(dir, t.Key, ConfigFile))
			}
		}
		ex.Header, ex.Rows, ex.Constant = foldTable(recs, labels, config)
	case !errors.Is(err, fs.ErrNotExist):
		return ex, false, err
	}
	sort.Strings(ex.Figures)
	if h, err := os.ReadFile(filepath.Join(dir, HeadlineFile)); err == nil {
		want := rel(name, strings.TrimSpace(string(h)))
		for i, f := range ex.Figures {
			if f == want {
				ex.Headline = f
				ex.Figures = append(ex.Figures[:i], ex.Figures[i+1:]...)
				break
			}
		}
	}
	ok := ex.Summary != "" || len(ex.Figures) > 0 || len(ex.Tasks) > 0
	return ex, ok, nil
}

// configColumns returns the summary.csv column names of the config.json at
// path (flattened as Collect does), or none when it cannot be read.
func configColumns(path string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	var cfg any
	if json.Unmarshal(b, &cfg) != nil {
		return out
	}
	flat := map[string]string{}
	flatten("", cfg, flat)
	for k := range flat {
		out[k] = true
	}
	return out
}

// foldTable turns summary.csv records (header first) into the table shown:
// a "label" column first (the task's label, its key on hover; the key when
// it has no label), then the columns whose value differs between rows in
// their summary.csv order; the columns equal in every row are returned
// apart as constants. A single row keeps its result columns and folds its
// configuration (the columns in config).
func foldTable(recs [][]string, labels map[string]string, config map[string]bool) (header []string, rows [][]indexCell, consts []indexConst) {
	if len(recs) == 0 {
		return nil, nil, nil
	}
	head, body := recs[0], recs[1:]
	keyCol := -1
	var keep []int
	for j, h := range head {
		if h == "key" {
			keyCol = j
			continue
		}
		varies := len(body) <= 1 && !config[h]
		for _, r := range body[1:] {
			if j < len(r) && j < len(body[0]) && r[j] != body[0][j] {
				varies = true
				break
			}
		}
		if varies {
			keep = append(keep, j)
		} else if len(body) > 0 && j < len(body[0]) {
			consts = append(consts, indexConst{Name: h, Value: body[0][j]})
		}
	}
	header = []string{"label"}
	for _, j := range keep {
		header = append(header, head[j])
	}
	for _, r := range body {
		key := ""
		if keyCol >= 0 && keyCol < len(r) {
			key = r[keyCol]
		}
		lab := indexCell{Text: key}
		if l := labels[key]; l != "" {
			lab = indexCell{Text: l, Full: key}
		}
		row := []indexCell{lab}
		for _, j := range keep {
			c := ""
			if j < len(r) {
				c = r[j]
			}
			row = append(row, shortCell(c, false))
		}
		rows = append(rows, row)
	}
	return header, rows, consts
}

// scanTask lists a task directory (one that holds config.json).
func scanTask(expDir, key string) (indexTask, bool, error) {
	t := indexTask{Key: key, Label: readLabel(filepath.Join(expDir, key))}
	dir := filepath.Join(expDir, key)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return t, false, err
	}
	hasConfig := false
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		switch n := e.Name(); {
		case n == ConfigFile:
			hasConfig = true
			t.Files = append(t.Files, n)
		case n == ResultFile:
			t.Done = true
			t.Files = append(t.Files, n)
		case n == MetaFile || n == MetricsFile || n == LabelFile || strings.HasSuffix(n, ".npy"):
			t.Files = append(t.Files, n)
		case isPNG(n):
			t.Images = append(t.Images, n)
		}
	}
	sort.Strings(t.Files)
	sort.Strings(t.Images)
	return t, hasConfig, nil
}

// indexCell is one table cell: the text shown and, when it was shortened,
// the full value (shown on hover).
type indexCell struct{ Text, Full string }

// shortCell rounds non-integer numbers to 4 significant digits for display;
// keys, integers and text are shown as they are.
func shortCell(c string, isKey bool) indexCell {
	if isKey || !strings.ContainsAny(c, ".eE") {
		return indexCell{Text: c}
	}
	f, err := strconv.ParseFloat(c, 64)
	if err != nil {
		return indexCell{Text: c}
	}
	short := strconv.FormatFloat(f, 'g', 4, 64)
	if short == c {
		return indexCell{Text: c}
	}
	return indexCell{Text: short, Full: c}
}

func isPNG(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".png") && !strings.HasPrefix(name, ".")
}
