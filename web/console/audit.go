package console

import (
	"net/http"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// auditPage is audit.html: the trail's verification and its export.
type auditPage struct {
	base
	// Verified is set once a verification ran (GET /audit/verify).
	Verified bool
	Report   audit.Report
	OK       bool
	// Break and Problems describe what is wrong, when something is.
	Break    string
	Problems []string
	// UnsignedSince is when the oldest unsigned record was written.
	UnsignedSince time.Time
	CanExport     bool
}

// auditPage offers to verify the trail and to export it.
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request) {
	p := &auditPage{base: h.base(r, "Audit trail", routeAudit), CanExport: h.allowed(principal(r).Role, routeExportLog)}
	render(h, w, r, http.StatusOK, h.views.audit, p)
}

// auditVerify verifies the whole trail and shows the result: the records and
// checkpoints checked, the unsigned tail, the witness, and any break.
func (h *Handler) auditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := h.Audit.Verify(r.Context())
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	p := &auditPage{base: h.base(r, "Audit trail", routeAudit), Verified: true, Report: rep, OK: rep.OK(),
		UnsignedSince: rep.UnsignedSince, CanExport: h.allowed(principal(r).Role, routeExportLog)}
	if rep.Break != nil {
		p.Break = rep.Break.Error()
	}
	for _, b := range rep.Problems {
		p.Problems = append(p.Problems, b.Error())
	}
	render(h, w, r, http.StatusOK, h.views.audit, p)
}

// auditExport sends the trail as JSON lines (records hold no plain personal
// data). It streams: a failure midway ends the download short, which the
// auditor's check of the file then reports.
func (h *Handler) auditExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-`+h.now().Format("2006-01-02")+`.jsonl"`)
	if err := h.Audit.Export(r.Context(), w); err != nil {
		h.Logger.Error("console: audit export", "err", err)
	}
}
