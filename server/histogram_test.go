package server

import (
	"strings"
	"testing"
)

func TestHistogramExposition(t *testing.T) {
	m := NewMetrics()
	h := m.Histogram("x_seconds", "A delay.", []float64{1, 0.5})
	if m.Histogram("x_seconds", "", nil) != h {
		t.Fatal("a second registration made a second histogram")
	}
	for _, v := range []float64{0.2, 0.5, 0.7, 3} {
		h.Observe(v)
	}
	var b strings.Builder
	m.write(&b, nil)
	want := "# HELP x_seconds A delay.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"0.5\"} 2\nx_seconds_bucket{le=\"1\"} 3\nx_seconds_bucket{le=\"+Inf\"} 4\nx_seconds_sum 4.4\nx_seconds_count 4\n"
	if !strings.Contains(b.String(), want) {
		t.Fatalf("exposition:\n%s\nwant it to hold:\n%s", b.String(), want)
	}
}
