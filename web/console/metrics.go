package console

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// MetricsSource computes the yearly request metrics (CCPA §7102 and the GDPR
// equivalent) from the store; package metrics provides it. The console
// computes nothing itself: it shows the report and writes it as CSV or JSON.
type MetricsSource interface {
	RequestMetrics(ctx context.Context, year int) (MetricsReport, error)
}

// MetricsReport is one calendar year of requests.
type MetricsReport struct {
	Year int          `json:"year"`
	Rows []MetricsRow `json:"rows"`
}

// MetricsRow is one request type under one law.
type MetricsRow struct {
	Type          string `json:"type"`
	Jurisdiction  string `json:"jurisdiction"`
	Received      int    `json:"received"`
	CompliedWhole int    `json:"complied_in_whole"`
	CompliedPart  int    `json:"complied_in_part"`
	Denied        int    `json:"denied"`
	// DeniedByReason counts the denials per reason.
	DeniedByReason map[string]int `json:"denied_by_reason,omitempty"`
	// MeanDays and MedianDays are the days from receipt to the answer.
	MeanDays   float64 `json:"mean_days"`
	MedianDays float64 `json:"median_days"`
}

// metricsPage is metrics.html.
type metricsPage struct {
	base
	Year      int
	Available bool
	Report    MetricsReport
	Years     []int
	Problem   string
}

// year reads ?year= (the current year when absent), 2000 to next year.
func (h *Handler) year(r *http.Request) (int, error) {
	now := h.now().Year()
	s := r.URL.Query().Get("year")
	if s == "" {
		return now, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > now+1 {
		return 0, fmt.Errorf("%w: the year is a number from 2000 to %d", errInput, now+1)
	}
	return y, nil
}

// metricsPage shows a calendar year's report.
func (h *Handler) metricsPage(w http.ResponseWriter, r *http.Request) {
	p := &metricsPage{base: h.base(r, "Request metrics", routeMetrics), Available: h.Metrics != nil}
	for y := h.now().Year(); y >= h.now().Year()-5; y-- {
		p.Years = append(p.Years, y)
	}
	y, err := h.year(r)
	if err != nil {
		p.Problem = err.Error()
		render(h, w, r, http.StatusUnprocessableEntity, h.views.metrics, p)
		return
	}
	p.Year = y
	if h.Metrics != nil {
		if p.Report, err = h.Metrics.RequestMetrics(r.Context(), y); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	render(h, w, r, http.StatusOK, h.views.metrics, p)
}

// report answers the report of ?year=, or the error page.
func (h *Handler) report(w http.ResponseWriter, r *http.Request) (MetricsReport, bool) {
	if h.Metrics == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "Request metrics are not available in this installation yet.")
		return MetricsReport{}, false
	}
	y, err := h.year(r)
	if err != nil {
		h.failErr(w, r, err)
		return MetricsReport{}, false
	}
	rep, err := h.Metrics.RequestMetrics(r.Context(), y)
	if err != nil {
		h.failErr(w, r, err)
		return MetricsReport{}, false
	}
	return rep, true
}

// metricsJSON sends the report as JSON.
func (h *Handler) metricsJSON(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.report(w, r)
	if !ok {
		return
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="request-metrics-%d.json"`, rep.Year))
	_, _ = w.Write(append(b, '\n'))
}

// metricsCSV sends the report as CSV, one row per type and law.
func (h *Handler) metricsCSV(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.report(w, r)
	if !ok {
		return
	}
	var b strings.Builder
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"year", "type", "jurisdiction", "received", "complied_in_whole", "complied_in_part", "denied", "denied_by_reason", "mean_days", "median_days"})
	for _, row := range rep.Rows {
		_ = cw.Write([]string{strconv.Itoa(rep.Year), row.Type, row.Jurisdiction, strconv.Itoa(row.Received), strconv.Itoa(row.CompliedWhole),
			strconv.Itoa(row.CompliedPart), strconv.Itoa(row.Denied), reasons(row.DeniedByReason),
			strconv.FormatFloat(row.MeanDays, 'f', 1, 64), strconv.FormatFloat(row.MedianDays, 'f', 1, 64)})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="request-metrics-%d.csv"`, rep.Year))
	_, _ = w.Write([]byte(b.String()))
}

// reasons renders denials per reason as "reason: n; reason: n".
func reasons(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+": "+strconv.Itoa(m[k]))
	}
	return strings.Join(parts, "; ")
}
