package internal

import (
	"strconv"
	"strings"

	"genlab/results"
)

// NFEColumns returns the columns of t named "nfe<n><suffix>" (e.g.
// "nfe11_sw1" for suffix "_sw1": a metric of the sampler with n network
// evaluations), keyed by n.
func NFEColumns(t *results.Table, suffix string) map[float64]string {
	cols := map[float64]string{}
	for _, c := range t.Columns {
		if !strings.HasPrefix(c, "nfe") || !strings.HasSuffix(c, suffix) {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(c, "nfe"), suffix)); err == nil {
			cols[float64(n)] = c
		}
	}
	return cols
}
