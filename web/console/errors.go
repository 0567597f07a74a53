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
// error table, the one the API, the sign-in pages and the public form answer
// by (httpx.Describe): a workflow's message is shown when its kind allows (it
// never carries personal data); anything the table does not know is 500 with
// a fixed message (the error is logged by failErr).
func classify(err error) (int, string, string) {
	k, heading, msg := httpx.Describe(err)
	return k.Status, heading, msg
}

// failErr answers a workflow error through httpx.Respond: the error page for
// a browser, a problem for a client that asks for JSON; a 5xx is logged.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Respond(w, r, h.Logger, err, h.fail)
}
