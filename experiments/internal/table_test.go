package internal

import (
	"reflect"
	"testing"

	"genlab/results"
)

func TestNFEColumns(t *testing.T) {
	tab := &results.Table{Columns: []string{"key", "sw1", "nfe11_sw1", "nfe35_sw1", "nfe11_mmd2", "nfex_sw1", "nfe7_fid_lenet"}}
	want := map[float64]string{11: "nfe11_sw1", 35: "nfe35_sw1"}
	if got := NFEColumns(tab, "_sw1"); !reflect.DeepEqual(got, want) {
		t.Errorf("NFEColumns(_sw1) = %v, want %v", got, want)
	}
	if got := NFEColumns(tab, "_fid_lenet"); !reflect.DeepEqual(got, map[float64]string{7: "nfe7_fid_lenet"}) {
		t.Errorf("NFEColumns(_fid_lenet) = %v", got)
	}
}
