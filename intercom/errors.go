package intercom

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Errors returned by the Client match them with errors.Is.
var (
	// ErrNotFound: the object does not exist, or is archived (Intercom answers 404 for
	// archived contacts), or (before version 2.16) was merged into another contact.
	ErrNotFound = errors.New("intercom: not found")
	// ErrMerged: the contact was merged into another one (410 contact_merged). Use
	// errors.As with *MergedError to read the canonical contact id.
	ErrMerged = errors.New("intercom: contact merged")
	// ErrUnauthorized: the access token is missing, invalid, expired or revoked (401).
	ErrUnauthorized = errors.New("intercom: unauthorized")
	// ErrForbidden: the token lacks a scope or the workspace plan lacks the API (403).
	ErrForbidden = errors.New("intercom: forbidden")
	// ErrRateLimited: Intercom answered 429 and the retries allowed for it ran out, or
	// a job limit was hit (one content export at a time).
	ErrRateLimited = errors.New("intercom: rate limited")
	// ErrVersionInvalid: the endpoint does not exist in the requested Intercom-Version.
	ErrVersionInvalid = errors.New("intercom: endpoint not available in the requested API version")
	// ErrValidation: Intercom rejected the request as invalid (400, 422), or the client
	// refused to send it (for example a search query nested too deeply).
	ErrValidation = errors.New("intercom: invalid request")
	// ErrUnknownOutcome: a non-idempotent request (export creation, merge, redaction)
	// may or may not have been carried out: the connection dropped or the server failed
	// after the request was sent. It is not retried automatically; check the object's
	// state before trying again.
	ErrUnknownOutcome = errors.New("intercom: outcome of a non-idempotent request is unknown")
	// ErrMalformedResponse: the response could not be decoded (not JSON, truncated,
	// wrong types, an HTML page from a proxy, empty, or larger than the size cap).
	ErrMalformedResponse = errors.New("intercom: malformed response")
	// ErrBadIdentifier: an identifying field of the response (an object's id) is
	// missing or neither a string nor a number. It is matched by a
	// *MalformedResponseError whose Field names the field; idempotent calls are
	// retried before it is returned. Informational fields (times, expiries) never
	// cause it: they are kept as sent (see Timestamp).
	ErrBadIdentifier = errors.New("intercom: missing or malformed identifier in a response")
	// ErrServer: Intercom answered with a 5xx status (after any retries).
	ErrServer = errors.New("intercom: server error")
	// ErrConflict: Intercom answered 409, e.g. creating a user whose email or
	// external_id another user has.
	ErrConflict = errors.New("intercom: conflict with an existing object")
	// ErrConfig: the Config cannot produce a working Client.
	ErrConfig = errors.New("intercom: invalid configuration")
	// ErrForeignHost: a download URL points at a host other than the API's, so the
	// token will not be sent there.
	ErrForeignHost = errors.New("intercom: refusing to send the token to another host")
)

// maxMessageLen caps the Intercom error message kept in an Error.
const maxMessageLen = 200

// Error is an error answered by Intercom: the HTTP status and the first entry of the
// error.list envelope. It never holds the token or the response body.
type Error struct {
	// Method and Path name the operation; Path is the path template
	// ("/contacts/{contact_id}"), never the ids, which may be personal data.
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Code is Intercom's error code, for example "not_found" or "contact_merged".
	Code string
	// Message is Intercom's message for the code, capped in length, with quoted
	// values, e-mail addresses and long numbers removed (see scrubMessage).
	Message string
	// Field is the request field the error is about, when Intercom names one.
	Field string
	// RequestID is Intercom's request id, for support tickets.
	RequestID string
	// Attempts is the number of HTTP attempts made.
	Attempts int
}

// Error describes the failure without the token or any body.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("intercom: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteByte(' ')
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.Status))
	if e.Code != "" {
		b.WriteByte(' ')
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Field != "" {
		b.WriteString(" (field ")
		b.WriteString(e.Field)
		b.WriteByte(')')
	}
	if e.RequestID != "" {
		b.WriteString(" [request_id ")
		b.WriteString(e.RequestID)
		b.WriteByte(']')
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Is matches the sentinel errors by status and code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrMerged:
		return e.Status == 410 || e.Code == "contact_merged"
	case ErrUnauthorized:
		return e.Status == 401
	case ErrForbidden:
		return e.Status == 403
	case ErrRateLimited:
		return e.Status == 429
	case ErrVersionInvalid:
		return e.Code == "intercom_version_invalid"
	case ErrValidation:
		return (e.Status == 400 || e.Status == 422) && e.Code != "intercom_version_invalid"
	case ErrServer:
		return e.Status >= 500
	case ErrConflict:
		return e.Status == 409
	}
	return false
}

// MergedError is returned for a contact that was merged into another (410
// contact_merged, API 2.16 and later). It wraps the *Error and matches ErrMerged.
type MergedError struct {
	// CanonicalID is the id of the contact it was merged into, from the Link header
	// (empty when Intercom sent none).
	CanonicalID string
	// Err is the underlying Intercom error.
	Err *Error
}

// Error describes the merge; contact ids are identifiers, not personal data.
func (e *MergedError) Error() string {
	if e.CanonicalID == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + " (merged into contact " + e.CanonicalID + ")"
}

// Unwrap returns the Intercom error.
func (e *MergedError) Unwrap() error { return e.Err }

// Is matches ErrMerged.
func (e *MergedError) Is(target error) bool { return target == ErrMerged }

// MalformedResponseError is returned when a response cannot be decoded. It describes
// the response by status, content type and size, never by its content.
type MalformedResponseError struct {
	Method, Path string
	// Status is the HTTP status of the response.
	Status int
	// ContentType is the response's Content-Type header.
	ContentType string
	// Size is the number of body bytes read (at most the cap plus one).
	Size int64
	// TooLarge reports that the body exceeded Config.MaxResponseBytes.
	TooLarge bool
	// Reason says what was wrong, without quoting the body.
	Reason string
	// Field is the JSON path of the field that could not be decoded ("tickets.id"),
	// when one is to blame.
	Field string
	// Identifier reports that Field is an identifying field (ErrBadIdentifier).
	Identifier bool
}

// Error describes the response without its body.
func (e *MalformedResponseError) Error() string {
	what := e.Reason
	if e.TooLarge {
		what = "body larger than the size cap"
	}
	return fmt.Sprintf("intercom: %s %s: malformed response (status %d, content type %q, %d bytes): %s",
		e.Method, e.Path, e.Status, e.ContentType, e.Size, what)
}

// Is matches ErrMalformedResponse, and ErrBadIdentifier when Identifier is set.
func (e *MalformedResponseError) Is(target error) bool {
	return target == ErrMalformedResponse || (target == ErrBadIdentifier && e.Identifier)
}

// UnknownOutcomeError is returned when a non-idempotent request may have been carried
// out but no answer arrived (a dropped connection, a timeout or a 5xx after the request
// was written). It matches ErrUnknownOutcome.
type UnknownOutcomeError struct {
	Method, Path string
	// Status is the HTTP status when one arrived (a 5xx), else 0.
	Status int
	// Err is the transport error or the *Error, when there is one.
	Err error
}

// Error explains what to do next.
func (e *UnknownOutcomeError) Error() string {
	cause := "no response"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return fmt.Sprintf("intercom: %s %s: outcome unknown, the request may have been carried out and was not retried; check the object's state before retrying (%s)", e.Method, e.Path, cause)
}

// Unwrap returns the underlying error.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Is matches ErrUnknownOutcome.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrUnknownOutcome }

// capMessage trims an Intercom error message to maxMessageLen bytes on a rune
// boundary and drops control characters.
func capMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// parseCanonicalLink extracts the contact id from a Link header such as
// `</contacts/abc>; rel="canonical"`. It returns "" when there is none.
func parseCanonicalLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		lt := strings.IndexByte(part, '<')
		gt := strings.IndexByte(part, '>')
		if lt != 0 || gt < lt {
			continue
		}
		target := part[lt+1 : gt]
		params := strings.ToLower(part[gt+1:])
		if !strings.Contains(params, "canonical") {
			continue
		}
		if q := strings.IndexAny(target, "?#"); q >= 0 {
			target = target[:q]
		}
		target = strings.TrimRight(target, "/")
		i := strings.LastIndexByte(target, '/')
		id := target[i+1:]
		if id == "" || !strings.Contains(target, "contacts") {
			continue
		}
		if len(id) > 128 {
			return ""
		}
		return id
	}
	return ""
}
