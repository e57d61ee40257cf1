package mnistrun

import (
	"encoding/json"
	"fmt"

	"genlab/data"
	"genlab/fidlenet"
	"genlab/results"
)

// figures writes the task's pictures — real digits, the loss curve and
// fid_lenet over training — and fidlenet.json, the feature network's record.
func (j *job) figures(real *data.Images, info fidlenet.Info) error {
	cfg := j.cfg
	if err := results.ImageGridRange(j.dir.Path("real.png"), GridImages(real), cfg.Res, cfg.Res, 8, 8, -1, 1); err != nil {
		return err
	}
	steps, err := results.ReadMetrics(j.dir.Path("metrics.jsonl"))
	if err != nil {
		return err
	}
	if err := results.LossCurve(j.dir.Path("loss.png"), steps, "loss", true); err != nil {
		return err
	}
	var fidCurve results.Series
	fidCurve.Name = fmt.Sprintf("fid_lenet (N = %d)", min(cfg.EvalN, cfg.NEval))
	for _, st := range steps {
		if v, ok := st.Values["fid_lenet_eval"]; ok {
			fidCurve.X = append(fidCurve.X, float64(st.Step))
			fidCurve.Y = append(fidCurve.Y, []float64{v})
		}
	}
	if len(fidCurve.X) > 0 {
		if err := results.MetricVsParam(j.dir.Path("fid_steps.png"), results.SweepPlot{
			Title: "fid_lenet over training (EMA weights)", XLabel: "step", YLabel: "fid_lenet", YBounds: results.NonNegative,
			Series: []results.Series{fidCurve},
		}); err != nil {
			return err
		}
	}
	rec, err := json.MarshalIndent(map[string]any{
		"weights_sha256": j.ev.WeightsSHA256(), "test_accuracy": info.TestAccuracy,
		"config": info.Config, "n": cfg.NEval, "quick": cfg.Quick,
		"note": "fid_lenet: Fréchet distance of fidlenet penultimate features (not Inception FID)",
	}, "", "  ")
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(j.dir.Path("fidlenet.json"), append(rec, '\n'))
}

// GridImages returns the first 64 images of im as rows of values in [−1, 1].
func GridImages(im *data.Images) [][]float64 {
	n := min(64, im.N)
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, im.Dim())
		for j, p := range im.Image(i) {
			out[i][j] = data.PixelToUnit(p)
		}
	}
	return out
}
