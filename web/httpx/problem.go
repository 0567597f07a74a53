// Package httpx is what the web surfaces (web/api, web/console, web/auth,
// web/intake) share: errors as RFC 9457 problem details with a stable type or
// as the surface's HTML error page (Respond), the one table from workflow
// errors to HTTP statuses, the security headers, and the route table whose
// every row names the roles allowed.
package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// ProblemBase prefixes every problem type: a stable URI per kind of error
// that clients switch on (never on the title or the detail).
const ProblemBase = "https://intercom-privacy.dev/problems/"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Field names the input at fault, for a validation error (never its
	// value).
	Field string `json:"field,omitempty"`
}

// ContentTypeProblem is the media type of a problem.
const ContentTypeProblem = "application/problem+json"

// WriteProblem writes p with its status as application/problem+json.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ContentTypeProblem)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Kind is one row of the error table: the errors it matches, the answer.
type Kind struct {
	// Name is the problem type's last segment ("not-found").
	Name   string
	Status int
	Title  string
	// ShowDetail says whether the error's message is shown as the detail:
	// only for workflow errors whose messages never carry personal data or
	// internals (ids, states, the rule broken).
	ShowDetail bool
}

// Mapping pairs an exported error of a workflow package with its kind.
type Mapping struct {
	// Err is matched with errors.Is; Name is how the error is spelled in Go
	// ("dsar.ErrNotFound"), checked against the packages by a test.
	Err  error
	Name string
	Kind Kind
}

// The kinds of problem.
var (
	KindNotFound         = Kind{Name: "not-found", Status: http.StatusNotFound, Title: "Not found.", ShowDetail: true}
	KindGone             = Kind{Name: "gone", Status: http.StatusGone, Title: "No longer available.", ShowDetail: true}
	KindConflict         = Kind{Name: "conflict", Status: http.StatusConflict, Title: "The request's state does not allow this.", ShowDetail: true}
	KindInvalid          = Kind{Name: "invalid", Status: http.StatusUnprocessableEntity, Title: "The input is not acceptable.", ShowDetail: true}
	KindForbidden        = Kind{Name: "forbidden", Status: http.StatusForbidden, Title: "Your role does not allow this.", ShowDetail: false}
	KindSelfApproval     = Kind{Name: "self-approval", Status: http.StatusForbidden, Title: "An erasure is approved by someone other than its filer.", ShowDetail: true}
	KindUnauth           = Kind{Name: "unauthenticated", Status: http.StatusUnauthorized, Title: "Sign in or send a valid API token.", ShowDetail: false}
	KindBusy             = Kind{Name: "busy", Status: http.StatusServiceUnavailable, Title: "Busy; try again shortly.", ShowDetail: false}
	KindUnavailable      = Kind{Name: "unavailable", Status: http.StatusServiceUnavailable, Title: "Not available in this installation.", ShowDetail: true}
	KindTooLarge         = Kind{Name: "too-large", Status: http.StatusRequestEntityTooLarge, Title: "The request body is too large.", ShowDetail: true}
	KindMalformed        = Kind{Name: "malformed", Status: http.StatusBadRequest, Title: "The request body is not valid JSON of the expected shape.", ShowDetail: true}
	KindUnsupportedMedia = Kind{Name: "unsupported-media-type", Status: http.StatusUnsupportedMediaType, Title: "Send JSON.", ShowDetail: true}
	KindThrottled        = Kind{Name: "too-many-requests", Status: http.StatusTooManyRequests, Title: "Too many attempts; try again later.", ShowDetail: true}
	KindCrossOrigin      = Kind{Name: "cross-origin", Status: http.StatusForbidden, Title: "Refused: sent from another site.", ShowDetail: true}
	KindBadRequest       = Kind{Name: "bad-request", Status: http.StatusBadRequest, Title: "The request cannot be used as sent.", ShowDetail: true}
	KindIdempotency      = Kind{Name: "idempotency-key-reused", Status: http.StatusUnprocessableEntity, Title: "This Idempotency-Key was used for another request.", ShowDetail: false}
	KindInternal         = Kind{Name: "internal", Status: http.StatusInternalServerError, Title: "Internal error.", ShowDetail: false}
)

// KindOf returns the kind of err from Table (KindInternal when none matches).
func KindOf(err error) Kind {
	var k *kindError
	if errors.As(err, &k) {
		return k.kind
	}
	for _, m := range Table {
		if errors.Is(err, m.Err) {
			return m.Kind
		}
	}
	return KindInternal
}

// kindError is an error of the web layer itself with its kind.
type kindError struct {
	kind Kind
	msg  string
	err  error
	// heading titles the HTML error page ("This link does not work"); the
	// problem's title stays the kind's, stable per type.
	heading string
	// show: the message is shown whatever the kind (written for the reader).
	show bool
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.err }

// Errorf returns an error of kind k with a message shown to the client when
// the kind shows details (no personal data).
func Errorf(k Kind, msg string) error { return &kindError{kind: k, msg: msg} }

// Explain returns an error of kind k whose heading and message were written
// for the person reading them (a public page's "This link does not work"):
// both are shown, on the HTML page and as the problem's detail, whatever the
// kind. cause, when not nil, is what a 5xx logs (never shown).
func Explain(k Kind, heading, msg string, cause error) error {
	return &kindError{kind: k, msg: msg, err: cause, heading: heading, show: true}
}

// Error answers err as a problem: its kind from Table, the message as the
// detail when the kind allows it, else the fixed title; a 5xx is logged through
// log (the redacting logger) with the route, never the message to the client.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	Respond(w, r, log, err, nil)
}
