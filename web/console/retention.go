package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/retention"
)

// retentionPage is retention.html: the policy, the last runs, what the next
// run would delete, and the legal holds.
type retentionPage struct {
	base
	Categories []categoryRow
	NextRun    time.Time
	Schedule   string
	Runs       []runRow
	Holds      []retention.Hold
	CanHold    bool
	Problem    string
	Form       holdForm
}

type categoryRow struct {
	Name, Age, Note string
	Cutoff          time.Time
	Next            string
}

type runRow struct {
	ID, State         string
	Started, Finished time.Time
	DryRun            bool
	Counts            string
}

type holdForm struct{ ContactID, RequestID, Reason string }

// runsShown is how many past runs the page lists.
const runsShown = 10

// retentionPage shows the policy and its runs.
func (h *Handler) retentionPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.retentionData(r)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, http.StatusOK, h.views.retention, p)
}

func (h *Handler) retentionData(r *http.Request) (*retentionPage, error) {
	ctx := r.Context()
	p := &retentionPage{base: h.base(r, "Retention", routeRetention), CanHold: h.allowed(principal(r).Role, routeHoldAdd)}
	now := h.now()
	p.NextRun = h.Policy.Schedule.Next(now)
	if h.Policy.Schedule.Cron != "" {
		p.Schedule = h.Policy.Schedule.Cron
		if h.Policy.Schedule.Location != nil {
			p.Schedule += " (" + h.Policy.Schedule.Location.String() + ")"
		}
	}
	at := p.NextRun
	if at.IsZero() {
		at = now
	}
	preview, err := h.Retention.Preview(ctx, h.Policy, at)
	if err != nil {
		return nil, err
	}
	for _, c := range preview {
		row := categoryRow{Name: strings.ReplaceAll(string(c.Category), "_", " "), Age: c.Age, Note: c.Note, Cutoff: c.Cutoff}
		if c.Note == "" {
			row.Next = retention.FormatCount(c.Deleted)
		}
		p.Categories = append(p.Categories, row)
	}
	runs, err := h.Retention.Runs(ctx, runsShown)
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		p.Runs = append(p.Runs, runRow{ID: run.ID, State: run.State, Started: run.StartedAt, Finished: run.FinishedAt,
			DryRun: run.DryRun, Counts: formatCounts(run.Counts)})
	}
	if p.Holds, err = h.Retention.Holds(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// addHold places a legal hold on a person (by Intercom contact id) or on a
// request.
func (h *Handler) addHold(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	f := holdForm{ContactID: strings.TrimSpace(r.PostFormValue("contact_id")), RequestID: strings.TrimSpace(r.PostFormValue("request_id")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	_, err := h.Retention.AddHold(r.Context(), retention.HoldTarget{ContactID: f.ContactID, RequestID: f.RequestID}, f.Reason)
	if err != nil {
		h.retentionProblem(w, r, f, err)
		return
	}
	redirect(w, r, "/retention", "held")
}

// releaseHold ends a legal hold.
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	_, err := h.Retention.ReleaseHold(r.Context(), r.PathValue("id"), strings.TrimSpace(r.PostFormValue("reason")))
	if err != nil {
		h.retentionProblem(w, r, holdForm{}, err)
		return
	}
	redirect(w, r, "/retention", "released")
}

// retentionProblem shows the retention page again with the form's problem.
func (h *Handler) retentionProblem(w http.ResponseWriter, r *http.Request, f holdForm, err error) {
	status, _, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.failErr(w, r, err)
		return
	}
	p, perr := h.retentionData(r)
	if perr != nil {
		h.failErr(w, r, perr)
		return
	}
	p.Problem, p.Form = msg, f
	render(h, w, r, status, h.views.retention, p)
}
