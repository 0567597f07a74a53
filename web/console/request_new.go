package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// newRequestPage is request_new.html: the form that files a request.
type newRequestPage struct {
	base
	Form    newRequestForm
	Problem string
	// Open is the open request of the same person and type that stopped
	// this one (linked from the problem).
	Open                           string
	Types, Jurisdictions, Channels []option
}

// newRequestForm is the form's values, shown back when it is refused.
type newRequestForm struct {
	Type, Jurisdiction, Channel, ReceivedAt, VerifiedBy string
	Email, Phone, ExternalID, ContactID                 string
}

var channelOptions = []option{
	{"email", "Email"}, {"web_form", "Web form"}, {"intercom_ticket", "Intercom ticket"}, {"intercom_conversation", "Intercom conversation"}, {"phone", "Phone"},
	{"mail", "Post"}, {"in_person", "In person"}, {"api", "API"},
}

func (h *Handler) newRequestPage(r *http.Request, f newRequestForm) *newRequestPage {
	return &newRequestPage{base: h.base(r, "New request", routeNewForm), Form: f,
		Types: typeOptions, Jurisdictions: jurisdictionOptions(), Channels: channelOptions}
}

// newRequestForm shows the empty form.
func (h *Handler) newRequestForm(w http.ResponseWriter, r *http.Request) {
	render(h, w, r, http.StatusOK, h.views.newRequest, h.newRequestPage(r,
		newRequestForm{Type: string(store.RequestAccess), Jurisdiction: string(deadline.GDPR), Channel: "email"}))
}

// fileRequest files the request, records the requester's identity as
// verified (how, as the form says), queues it and shows it.
func (h *Handler) fileRequest(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	f := newRequestForm{Type: r.PostFormValue("type"), Jurisdiction: r.PostFormValue("jurisdiction"),
		Channel: r.PostFormValue("channel"), ReceivedAt: strings.TrimSpace(r.PostFormValue("received_at")),
		VerifiedBy: strings.TrimSpace(r.PostFormValue("verified_by")),
		Email:      strings.TrimSpace(r.PostFormValue("email")), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		ExternalID: strings.TrimSpace(r.PostFormValue("external_id")), ContactID: strings.TrimSpace(r.PostFormValue("contact_id"))}
	sub, err := h.submission(f)
	if err == nil {
		err = h.checkReason(audit.ActionRequestVerified, "verified by "+f.VerifiedBy)
	}
	var req store.Request
	if err == nil {
		req, _, err = h.DSAR.File(r.Context(), dsar.Filing{Submission: sub, VerifiedBy: f.VerifiedBy})
	}
	var filed *dsar.FiledError
	var open *dsar.OpenRequestError
	switch {
	case errors.As(err, &filed):
		// Filed and kept; verifying or queueing failed. Its page says what
		// state it is in (a worker queues verified requests on start).
		h.Logger.Warn("console: request filed, a later stage failed", "request_id", filed.Request.ID, "stage", filed.Stage, "err", filed.Err)
		redirect(w, r, "/requests/"+filed.Request.ID, "filed_"+filed.Stage+"_failed")
		return
	case errors.As(err, &open):
		p := h.newRequestPage(r, f)
		p.Problem = "This person already has an open request of this type, filed with other identifiers."
		p.Open = open.Request.ID
		render(h, w, r, http.StatusConflict, h.views.newRequest, p)
		return
	case err != nil:
		status, _, msg := classify(err)
		if status >= 500 {
			h.failErr(w, r, err)
			return
		}
		p := h.newRequestPage(r, f)
		p.Problem = msg
		render(h, w, r, status, h.views.newRequest, p)
		return
	}
	done := "filed"
	if req.State == store.StateAwaitingApproval {
		done = "filed_for_approval"
	}
	redirect(w, r, "/requests/"+req.ID, done)
}

// submission checks the form and builds the workflow's submission.
func (h *Handler) submission(f newRequestForm) (dsar.Submission, error) {
	sub := dsar.Submission{Type: store.RequestType(f.Type), Channel: f.Channel}
	j, err := deadline.ParseJurisdiction(f.Jurisdiction)
	if err != nil {
		return sub, fmt.Errorf("%w: choose the law from the list", errInput)
	}
	sub.Jurisdiction = j
	if f.ReceivedAt != "" {
		t, err := time.Parse("2006-01-02", f.ReceivedAt)
		if err != nil {
			return sub, fmt.Errorf("%w: write the date received as 2026-01-31", errInput)
		}
		if t.After(h.now()) {
			return sub, fmt.Errorf("%w: the date received is in the future", errInput)
		}
		sub.ReceivedAt = t.UTC()
	}
	if f.VerifiedBy == "" {
		return sub, fmt.Errorf("%w: say how the requester's identity was verified", errInput)
	}
	add := func(dst *[]string, v string) {
		if v != "" {
			*dst = append(*dst, v)
		}
	}
	add(&sub.Identifiers.Emails, f.Email)
	add(&sub.Identifiers.Phones, f.Phone)
	add(&sub.Identifiers.ExternalIDs, f.ExternalID)
	add(&sub.Identifiers.ContactIDs, f.ContactID)
	if sub.Identifiers.Count() == 0 {
		return sub, fmt.Errorf("%w: give at least one identifier of the person", errInput)
	}
	return sub, nil
}
