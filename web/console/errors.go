package console

import (
	"net/http"

	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// errorPage is error.html: what went wrong and what to do.
type errorPage struct {
	base
	Status  int
	Message string
}

// fail renders the error page with status.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	p := &errorPage{base: h.base(r, heading, ""), Status: status, Message: message}
	if _, ok := principalOK(r); !ok {
		p.Nav = nil
	}
	render(h, w, r, status, h.views.error, p)
}

// errInput is a form value the console itself refuses (422); wrap it with
// the reason: fmt.Errorf("%w: ...", errInput).
var errInput = httpx.Errorf(httpx.KindInvalid, "please correct the form")

// classify returns the status, heading and message for err from web/httpx's
// error table, the one the API answers by: a workflow's message is shown
// when its kind allows (it never carries personal data); anything the table
// does not know is 500 with a fixed message (the error is logged by failErr).
func classify(err error) (int, string, string) {
	k := httpx.KindOf(err)
	if k.Status >= 500 && k.Status != http.StatusServiceUnavailable {
		return k.Status, "Internal error", "Something went wrong on our side; nothing you did caused it. Try again, and tell an administrator if it keeps happening."
	}
	msg := k.Title
	if k.ShowDetail {
		msg = err.Error()
	}
	return k.Status, k.Title, msg
}

// failErr renders the page for a workflow error.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status, heading, msg := classify(err)
	if status >= 500 {
		h.Logger.Error("console: request failed", "route", r.Pattern, "err", err)
	}
	h.fail(w, r, status, heading, msg)
}
