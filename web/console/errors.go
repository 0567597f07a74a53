package console

import (
	"errors"
	"net/http"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
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

// errorClass is one row of the table from workflow errors to answers.
type errorClass struct {
	errs    []error
	status  int
	heading string
}

// errorTable maps the workflows' errors to statuses; the first row whose
// error matches (errors.Is) wins. The messages of these errors carry no
// personal data (the workflows' rule), so they are shown as they are.
var errorTable = []errorClass{
	{[]error{dsar.ErrNotFound, store.ErrNotFound, retention.ErrHoldNotFound, retention.ErrRequestNotFound, dsar.ErrNoPackage},
		http.StatusNotFound, "Not found"},
	{[]error{dsar.ErrPackageExpired}, http.StatusGone, "Expired"},
	{[]error{dsar.ErrWrongState, dsar.ErrFinished, store.ErrStateConflict, retention.ErrRunInProgress, dsar.ErrLeaseHeld, dsar.ErrNotVerified},
		http.StatusConflict, "Not possible now"},
	{[]error{dsar.ErrInvalidRequest, deadline.ErrUnknownJurisdiction, deadline.ErrExtensionTooLate, deadline.ErrAlreadyExtended,
		deadline.ErrReasonRequired, deadline.ErrExtensionTooLong, deadline.ErrInvalidExtension, deadline.ErrNoExtension,
		deadline.ErrNotInForce, retention.ErrHoldTarget, retention.ErrHoldReason, audit.ErrPersonalData, audit.ErrInvalidRecord,
		vault.ErrEmptyValue, vault.ErrInvalidValue, errInput},
		http.StatusUnprocessableEntity, "Please correct the form"},
	{[]error{store.ErrBusy}, http.StatusServiceUnavailable, "Busy"},
}

// errInput is a form value the console itself refuses.
var errInput = errors.New("console: invalid input")

// classify returns the status, heading and message for err; anything not in
// the table is 500 with a fixed message (the error is logged by failErr).
func classify(err error) (int, string, string) {
	for _, c := range errorTable {
		for _, e := range c.errs {
			if errors.Is(err, e) {
				return c.status, c.heading, err.Error()
			}
		}
	}
	return http.StatusInternalServerError, "Internal error", "Something went wrong on our side; nothing you did caused it. Try again, and tell an administrator if it keeps happening."
}

// failErr renders the page for a workflow error.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status, heading, msg := classify(err)
	if status == http.StatusInternalServerError {
		h.Logger.Error("console: request failed", "path", r.URL.Path, "err", err)
	}
	h.fail(w, r, status, heading, msg)
}
