package console

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/intercom-privacy/intercom-privacy/metrics"
)

// metricsPage is metrics.html: the yearly requests report (CCPA §7102 and
// its GDPR equivalent), computed by package metrics; the console only shows
// it and offers its CSV and JSON.
type metricsPage struct {
	base
	Year      int
	Available bool
	Report    metrics.Report
	Years     []int
	Problem   string
}

// year reads ?year= (the current year when absent), 2000 to this year.
func (h *Handler) year(r *http.Request) (int, error) {
	now := h.now().Year()
	s := r.URL.Query().Get("year")
	if s == "" {
		return now, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > now {
		return 0, fmt.Errorf("%w: the year is a number from 2000 to %d", errInput, now)
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
		_, _, p.Problem = classify(err)
		render(h, w, r, http.StatusUnprocessableEntity, h.views.metrics, p)
		return
	}
	p.Year = y
	if h.Metrics != nil {
		if p.Report, err = h.Metrics(r.Context(), y); err != nil {
			h.failErr(w, r, err)
			return
		}
	}
	render(h, w, r, http.StatusOK, h.views.metrics, p)
}

// metricsFile sends the report of ?year= in format, as metrics writes it.
func (h *Handler) metricsFile(w http.ResponseWriter, r *http.Request, format, contentType string) {
	if h.Metrics == nil {
		h.fail(w, r, http.StatusNotFound, "Not available", "Request metrics are not available in this installation.")
		return
	}
	y, err := h.year(r)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	rep, err := h.Metrics(r.Context(), y)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		h.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="request-metrics-%d.%s"`, rep.Year, format))
	_, _ = buf.WriteTo(w)
}

func (h *Handler) metricsCSV(w http.ResponseWriter, r *http.Request) {
	h.metricsFile(w, r, metrics.FormatCSV, "text/csv; charset=utf-8")
}

func (h *Handler) metricsJSON(w http.ResponseWriter, r *http.Request) {
	h.metricsFile(w, r, metrics.FormatJSON, "application/json")
}
