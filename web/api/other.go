package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/metrics"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// auditVerify walks the whole chain and its checkpoints and answers the report
// (ok, records, the unsigned tail, the first break).
func (h *Handler) auditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := h.app.VerifyAudit(r.Context())
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		OK bool `json:"ok"`
		audit.Report
	}{rep.OK(), rep})
}

// auditExport streams the audit trail as JSON lines an auditor checks with
// SHA-256 and Ed25519 alone (audit.Export), built in memory first so that a
// failure is a problem, not a truncated file.
func (h *Handler) auditExport(w http.ResponseWriter, r *http.Request) {
	pub, id := h.app.Vault.AuditPublicKey()
	var buf bytes.Buffer
	if err := audit.Export(r.Context(), h.app.Store, &buf, audit.Keyring{{KeyID: id, Key: pub}}); err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.jsonl"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// retentionRun is a retention run as the API shows it.
type retentionRun struct {
	ID         string           `json:"id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at,omitzero"`
	DryRun     bool             `json:"dry_run"`
	State      string           `json:"state"`
	Counts     map[string]int64 `json:"counts,omitempty"`
}

func (h *Handler) retentionShow(w http.ResponseWriter, r *http.Request) {
	pol, err := h.app.RetentionPolicy()
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	run := h.retentionRunner()
	runs, err := run.Runs(r.Context(), 10)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	holds, err := run.Holds(r.Context())
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	out := struct {
		Policy string           `json:"policy"`
		Runs   []retentionRun   `json:"runs"`
		Holds  []retention.Hold `json:"holds"`
	}{Policy: pol.Describe(), Runs: make([]retentionRun, 0, len(runs)), Holds: holds}
	if out.Holds == nil {
		out.Holds = []retention.Hold{}
	}
	for _, x := range runs {
		out.Runs = append(out.Runs, retentionRun{ID: x.ID, StartedAt: x.StartedAt, FinishedAt: x.FinishedAt, DryRun: x.DryRun, State: x.State, Counts: x.Counts})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) addHold(w http.ResponseWriter, r *http.Request) {
	h.idempotent(w, r, func(body []byte) (int, any, error) {
		var b struct {
			RequestID      string `json:"request_id"`
			ContactID      string `json:"contact_id"`
			TicketID       string `json:"ticket_id"`
			ConversationID string `json:"conversation_id"`
			KeepContactID  string `json:"keep_contact_id"`
			Basis          string `json:"basis"`
			Reason         string `json:"reason"`
		}
		if err := decodeBytes(body, &b); err != nil {
			return 0, nil, err
		}
		hold, err := h.retentionRunner().AddHold(r.Context(), retention.HoldTarget{RequestID: b.RequestID, ContactID: b.ContactID,
			TicketID: b.TicketID, ConversationID: b.ConversationID, KeepContactID: b.KeepContactID, Basis: b.Basis}, b.Reason)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, hold, nil
	})
}

func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Reason string `json:"reason"`
	}
	if err := h.readJSON(r, &b); err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	hold, err := h.retentionRunner().ReleaseHold(r.Context(), r.PathValue("id"), b.Reason)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, hold)
}

func (h *Handler) metricsRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "year" && k != "format" {
			httpx.Error(w, r, h.log, httpx.Errorf(httpx.KindInvalid, "year and format are the only parameters of this route"))
			return
		}
	}
	year, err := strconv.Atoi(q.Get("year"))
	if err != nil || year < 2000 || year > h.now().Year() {
		httpx.Error(w, r, h.log, invalidParam("year", "want a year from 2000 to this year"))
		return
	}
	format := cmpOr(q.Get("format"), metrics.FormatJSON)
	if format != metrics.FormatJSON && format != metrics.FormatCSV {
		httpx.Error(w, r, h.log, invalidParam("format", "want json or csv"))
		return
	}
	rep, err := metrics.Requests(r.Context(), h.app.Store, year, time.UTC)
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	ct := "application/json"
	if format == metrics.FormatCSV {
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(buf.Bytes())
}

// planErasure answers what an erasure would do, sending nothing (the same
// plan as `dsar plan ID`).
func (h *Handler) planErasure(w http.ResponseWriter, r *http.Request) {
	p, err := h.app.DSAR.PlanErasure(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, h.log, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
