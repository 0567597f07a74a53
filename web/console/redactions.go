package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The redactions page (issue #15): the redactions of conversation parts in
// Intercom proposed by the scan, under the four-eyes rule. An agent (or a
// privacy officer, or an admin) proposes; a privacy officer or an admin who
// did not propose a redaction approves or rejects it with a reason (the
// workflow, scan.Redactor.DecideBecause, refuses the proposer and records the
// refusal); an auditor reads. Approved redactions are sent by the workers'
// scan_redact_approved job. The page shows references only: conversation and
// part ids, the kind of part, the finding types, the highest confidence and
// the author's role; never a value nor an excerpt (the scan stores none, and
// fetching the message to mask it would put the value in this process for
// nothing the decision needs).

// redactionsShown bounds each list of the page.
const redactionsShown = 200

// redactionsPage is redactions.html.
type redactionsPage struct {
	base
	// Available is false when the console has no scan (Options.Scan nil).
	Available  bool
	CanPropose bool
	CanDecide  bool
	Problem    string
	// Proposed await a decision; Approved and Rejected were decided.
	Proposed, Approved, Rejected []redactionRow
	// Types and Author are the propose form's values.
	Types, Author string
	Notice        string
}

// redactionRow is one redaction, as references.
type redactionRow struct {
	ConversationID, PartID  string
	Kind, Types, AuthorRole string
	// Confidence is the highest of the part's findings of Types ("–" when the
	// findings are gone).
	Confidence            string
	ProposedBy, DecidedBy string
	Queued, Decided       time.Time
	State                 string
	// Own: the signed-in user proposed it (the workflow refuses their
	// decision; the page offers none).
	Own bool
}

func init() {
	doneMessages["redactions_proposed"] = "The redactions were proposed. A privacy officer other than you approves or rejects each; approved ones are sent by the workers within a minute."
	doneMessages["redactions_none"] = "Nothing new to propose: every part holding a finding of those types is proposed, decided or redacted already."
	doneMessages["redaction_approved"] = "The redaction was approved; the workers send it to Intercom within a minute."
	doneMessages["redaction_rejected"] = "The redaction was rejected; nothing will be sent for that part."
}

// scanRedactor is the console's scan workflow on a's services; nil when the
// store keeps no scans.
func scanRedactor(a *app.App) *scan.Redactor {
	if _, ok := a.Store.(store.Scans); !ok {
		return nil
	}
	return &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: a.Settings.Actor, Logger: a.Logger, Now: a.Settings.Now}
}

// redactionsPage lists the proposed, approved and rejected redactions.
func (h *Handler) redactionsPage(w http.ResponseWriter, r *http.Request) {
	p, err := h.redactionsData(r, "")
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, http.StatusOK, h.views.redactions, p)
}

func (h *Handler) redactionsData(r *http.Request, problem string) (*redactionsPage, error) {
	me := principal(r)
	p := &redactionsPage{base: h.base(r, "Redactions in Intercom", routeRedactions), Problem: problem,
		CanPropose: h.allowed(me.Role, routeRedactPropose), CanDecide: h.allowed(me.Role, routeRedactApprove),
		Types: "card,password,secret", Notice: scan.DeletedNotice}
	if h.Scan == nil {
		return p, nil
	}
	p.Available = true
	sc, ok := h.Scan.Store.(store.Scans)
	if !ok {
		p.Available = false
		return p, nil
	}
	ctx := r.Context()
	conf := map[string]map[string]float64{} // conversation → part/type → confidence
	rows := func(a store.Approval) ([]redactionRow, error) {
		xs, err := h.Scan.Awaiting(ctx, a, redactionsShown)
		if err != nil {
			return nil, err
		}
		out := make([]redactionRow, 0, len(xs))
		for _, x := range xs {
			c, err := confidenceOf(ctx, sc, conf, x)
			if err != nil {
				return nil, err
			}
			out = append(out, redactionRow{ConversationID: x.ConversationID, PartID: x.PartID, Kind: x.PartKind,
				Types: strings.ToLower(strings.ReplaceAll(x.Types, ",", ", ")), AuthorRole: x.AuthorRole, Confidence: c,
				ProposedBy: x.ProposedBy, DecidedBy: x.DecidedBy, Queued: x.QueuedAt, Decided: x.DecidedAt,
				State: strings.ReplaceAll(string(x.State), "_", " "), Own: x.ProposedBy == me.Actor()})
		}
		return out, nil
	}
	var err error
	if p.Proposed, err = rows(store.ApprovalProposed); err != nil {
		return nil, err
	}
	if p.Approved, err = rows(store.ApprovalApproved); err != nil {
		return nil, err
	}
	if p.Rejected, err = rows(store.ApprovalRejected); err != nil {
		return nil, err
	}
	return p, nil
}

// confidenceOf is the highest confidence of x's findings of its types, read
// once per conversation.
func confidenceOf(ctx context.Context, sc store.Scans, cache map[string]map[string]float64, x store.Redaction) (string, error) {
	byPart, ok := cache[x.ConversationID]
	if !ok {
		fs, err := sc.ScanFindings(ctx, x.ConversationID)
		if err != nil {
			return "", err
		}
		byPart = map[string]float64{}
		for _, f := range fs {
			k := f.PartID + "\x00" + f.Type
			byPart[k] = max(byPart[k], f.Confidence)
		}
		cache[x.ConversationID] = byPart
	}
	best, found := 0.0, false
	for _, t := range strings.Split(x.Types, ",") {
		if c, ok := byPart[x.PartID+"\x00"+strings.TrimSpace(t)]; ok {
			best, found = max(best, c), true
		}
	}
	if !found {
		return "–", nil
	}
	return strconv.FormatFloat(best, 'f', 2, 64), nil
}

// redactionsProblem shows the page again with a problem (422, or the
// error's status).
func (h *Handler) redactionsProblem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p, err := h.redactionsData(r, msg)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, status, h.views.redactions, p)
}

// scanUnavailable answers a post when the console has no scan.
func (h *Handler) scanUnavailable(w http.ResponseWriter, r *http.Request) bool {
	if h.Scan != nil {
		return false
	}
	h.fail(w, r, http.StatusServiceUnavailable, "Not available", "This console keeps no workspace scan, so there is nothing to propose or decide.")
	return true
}

// proposeRedactions records, as proposed by the user, the redactions of the
// parts holding a finding of the chosen types (at most scan.DefaultMaxPerRun
// at a time). Nothing is sent.
func (h *Handler) proposeRedactions(w http.ResponseWriter, r *http.Request) {
	if h.scanUnavailable(w, r) || !h.readForm(w, r) {
		return
	}
	types, err := scan.ParseTypes(strings.TrimSpace(r.PostFormValue("types")))
	if err == nil && len(types) == 0 {
		types = scan.DefaultRedactTypes
	}
	if err != nil {
		h.redactionsProblem(w, r, http.StatusUnprocessableEntity, "Types: "+err.Error())
		return
	}
	var roles []string
	if a := strings.TrimSpace(r.PostFormValue("author")); a != "" {
		if roles, err = scan.ParseRoles(a); err != nil {
			h.redactionsProblem(w, r, http.StatusUnprocessableEntity, "Author: "+err.Error())
			return
		}
	}
	res, err := h.Scan.Propose(r.Context(), principal(r), scan.RedactOptions{Types: types, AuthorRoles: roles})
	if err != nil {
		h.decisionError(w, r, err)
		return
	}
	done := "redactions_proposed"
	if len(res.Proposed) == 0 {
		done = "redactions_none"
	}
	redirect(w, r, "/redactions", done)
}

// approveRedaction and rejectRedaction decide one proposed redaction.
func (h *Handler) approveRedaction(w http.ResponseWriter, r *http.Request) { h.decide(w, r, true) }
func (h *Handler) rejectRedaction(w http.ResponseWriter, r *http.Request)  { h.decide(w, r, false) }

func (h *Handler) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	if h.scanUnavailable(w, r) || !h.readForm(w, r) {
		return
	}
	_, err := h.Scan.DecideBecause(r.Context(), principal(r), r.PathValue("conversation"), r.PathValue("part"), approve, r.PostFormValue("reason"))
	if err != nil {
		h.decisionError(w, r, err)
		return
	}
	done := "redaction_rejected"
	if approve {
		done = "redaction_approved"
	}
	redirect(w, r, "/redactions", done)
}

// decisionError shows a refused proposal or decision on the page.
func (h *Handler) decisionError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, scan.ErrNotAllowed):
		h.Logger.Warn("console: redaction decision refused", "user_id", principal(r).UserID, "route", r.Pattern)
		h.redactionsProblem(w, r, http.StatusForbidden, "Not allowed: "+strings.TrimPrefix(err.Error(), "scan: ")+". Nothing was changed.")
	case errors.Is(err, scan.ErrNeedReason):
		h.redactionsProblem(w, r, http.StatusUnprocessableEntity, "Say why the redaction is rejected (no personal data); nothing was changed.")
	case errors.Is(err, audit.ErrPersonalData):
		h.redactionsProblem(w, r, http.StatusUnprocessableEntity, "The reason looks like it holds personal data or a long number, which the audit trail refuses. Say why without them; nothing was changed.")
	case errors.Is(err, scan.ErrNotAwaiting):
		h.redactionsProblem(w, r, http.StatusConflict, "That redaction is not awaiting a decision (someone decided it already). Nothing was changed.")
	case errors.Is(err, store.ErrNotFound):
		h.redactionsProblem(w, r, http.StatusNotFound, "No redaction is proposed for that part.")
	default:
		h.failErr(w, r, fmt.Errorf("console: redactions: %w", err))
	}
}
