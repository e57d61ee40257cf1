package smoke

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestGorgoniaGraphRuns(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 1), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(3, 1), tensor.WithBacking([]float32{1, 1, 1}))))
	y := G.Must(G.Mul(x, w))
	c := G.Must(G.Sum(y))
	if _, err := G.Grad(c, w); err != nil {
		t.Fatal(err)
	}
	var out G.Value
	G.Read(c, &out)
	m := G.NewTapeMachine(g, G.BindDualValues(w))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := out.Data().(float32); got != 21 {
		t.Fatalf("sum = %v, want 21", got)
	}
	gw, _ := w.Grad()
	if d := gw.Data().([]float32); d[0] != 5 || d[1] != 7 || d[2] != 9 {
		t.Fatalf("grad = %v", d)
	}
}
