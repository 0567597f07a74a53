package console

import (
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
	Form                           newRequestForm
	Problem                        string
	Types, Jurisdictions, Channels []option
}

// newRequestForm is the form's values, shown back when it is refused.
type newRequestForm struct {
	Type, Jurisdiction, Channel, ReceivedAt, VerifiedBy string
	Email, Phone, ExternalID, ContactID                 string
}

var channelOptions = []option{
	{"email", "Email"}, {"web_form", "Web form"}, {"intercom_ticket", "Intercom ticket"}, {"phone", "Phone"},
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
	svc := h.dsarFor(r)
	if err == nil {
		req, err = svc.Submit(r.Context(), sub)
	}
	if err == nil {
		req, err = svc.Verify(r.Context(), req.ID, f.VerifiedBy)
		if err != nil {
			err = fmt.Errorf("request %s was filed but not verified; verify it on its page: %w", req.ID, err)
		}
	}
	if err != nil {
		status, _, msg := classify(err)
		if status == http.StatusInternalServerError {
			h.failErr(w, r, err)
			return
		}
		p := h.newRequestPage(r, f)
		p.Problem = msg
		render(h, w, r, status, h.views.newRequest, p)
		return
	}
	h.enqueue(r, req.ID)
	redirect(w, r, "/requests/"+req.ID, "filed")
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
