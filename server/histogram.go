package server

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
)

// Histogram is a Prometheus histogram without labels: cumulative buckets, a sum
// and a count. It is safe for concurrent use.
type Histogram struct {
	name, help string
	bounds     []float64

	mu     sync.Mutex
	counts []int64 // per bound, not cumulative; the last is +Inf
	sum    float64
	n      int64
}

// Histogram registers (or returns the registered) histogram name with the given
// upper bounds, sorted ascending.
func (m *Metrics) Histogram(name, help string, bounds []float64) *Histogram {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.histograms == nil {
		m.histograms = map[string]*Histogram{}
	}
	if h := m.histograms[name]; h != nil {
		return h
	}
	b := slices.Clone(bounds)
	slices.Sort(b)
	h := &Histogram{name: name, help: help, bounds: b, counts: make([]int64, len(b)+1)}
	m.histograms[name] = h
	return h
}

// Observe adds one value.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

func (h *Histogram) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.help != "" {
		fmt.Fprintf(w, "# HELP %s %s\n", h.name, h.help)
	}
	fmt.Fprintf(w, "# TYPE %s histogram\n", h.name)
	var cum int64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", h.name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n", h.name, h.n)
	fmt.Fprintf(w, "%s_sum %s\n%s_count %d\n", h.name, strconv.FormatFloat(h.sum, 'g', -1, 64), h.name, h.n)
}

// writeHistograms writes every histogram, sorted by name.
func (m *Metrics) writeHistograms(w io.Writer) {
	m.mu.Lock()
	hs := make([]*Histogram, 0, len(m.histograms))
	for _, h := range m.histograms {
		hs = append(hs, h)
	}
	m.mu.Unlock()
	slices.SortFunc(hs, func(a, b *Histogram) int {
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	for _, h := range hs {
		h.write(w)
	}
}
