package api

import (
	"net/http"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// The linked requests of #12: an appeal of a decided request, the decision on
// it, and the lifting of a restriction. Each answers the view of the request
// it filed or changed.

// appeal is POST /api/v1/requests/{id}/appeal: the person's appeal of the
// answer to request id (US state laws), filed under the same law with the
// appeal clock. A law without an appeal process is refused (422) naming the
// authority instead.
func (h *Handler) appeal(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Channel string `json:"channel"`
	}
	var body any
	if r.ContentLength != 0 {
		body = &b
	}
	h.action(w, r, body, func() (store.Request, error) {
		return h.dsar.Appeal(r.Context(), r.PathValue("id"), cmpOr(b.Channel, "api"), h.now())
	})
}

// decide is POST /api/v1/requests/{id}/decide: the decision on an appeal,
// upheld or reversed, with its reason (shown to the person).
func (h *Handler) decide(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	h.action(w, r, &b, func() (store.Request, error) {
		if b.Decision != dsar.AppealUpheld && b.Decision != dsar.AppealReversed {
			return store.Request{}, invalidParam("decision", "want upheld or reversed")
		}
		return h.dsar.DecideAppeal(r.Context(), r.PathValue("id"), b.Decision, b.Reason)
	})
}

// unrestrict is POST /api/v1/requests/{id}/unrestrict: the lifting of the
// completed restriction id, filed as a request of its own, verified by the
// caller's decision and queued.
func (h *Handler) unrestrict(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Reason string `json:"reason"`
	}
	h.action(w, r, &b, func() (store.Request, error) {
		if b.Reason == "" {
			return store.Request{}, invalidParam("reason", "say why the restriction is lifted (no personal data)")
		}
		req, err := h.dsar.LiftRestriction(r.Context(), r.PathValue("id"), "api")
		if err != nil {
			return req, err
		}
		if req, err = h.dsar.Verify(r.Context(), req.ID, "lifted: "+b.Reason); err != nil {
			return req, err
		}
		if h.dsar.Enqueue != nil {
			if err := h.dsar.Enqueue(r.Context(), req.ID); err != nil {
				return req, &dsar.FiledError{Request: req, Stage: "enqueue", Err: err}
			}
		}
		return req, nil
	})
}
