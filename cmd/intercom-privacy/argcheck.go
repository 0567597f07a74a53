package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// maxShownArg is the longest argument an error message repeats.
const maxShownArg = 40

// shapeChecker applies the audit trail's shape rules (printable ASCII, no '@',
// no run of more than 8 digits) without the PII scanner: cheap, and enough to
// decide whether a mistyped argument can be repeated in an error.
var shapeChecker audit.StrictChecker

// shownArg returns s quoted when it is safe to repeat in an error message (a
// short value that cannot be an e-mail address, a phone or card number), and a
// neutral placeholder otherwise. Errors are printed and may be logged or pasted
// into a ticket, and an operator may put the wrong value in the wrong flag (an
// e-mail address in --received-at), so a value that fails to parse is repeated
// only when it cannot be personal data.
func shownArg(s string) string {
	if s == "" {
		return `""`
	}
	if len(s) > maxShownArg || shapeChecker.CheckField(audit.FieldReason, s) != nil {
		return "(the value given; not repeated as it may be personal data)"
	}
	return strconv.Quote(s)
}

// errBadRequestID says a request id argument does not have the shape of one.
var errBadRequestID = errors.New("not a request id (like req_0123abcd...; see 'intercom-privacy dsar list')")

// checkRequestID refuses an argument that cannot be a request id before it
// reaches the store: an id that is not found is repeated in the error, and an
// argument in the wrong place may be the person's e-mail address or phone
// number. A request id has the audit trail's request_id shape (1 to 128 of
// [A-Za-z0-9_.:-]) and is either the project's own form, "req_" and lower-case
// hex (which may hold long digit runs), or safe to repeat (see shownArg).
func checkRequestID(id string) error {
	if shapeChecker.CheckField(audit.FieldRequestID, id) != nil || (!isHexRequestID(id) && !strings.HasPrefix(shownArg(id), `"`)) {
		return fmt.Errorf("request id %s: %w", shownArg(id), errBadRequestID)
	}
	return nil
}

// isHexRequestID reports whether id is "req_" followed by lower-case hex, the
// form dsar gives every request.
func isHexRequestID(id string) bool {
	h, ok := strings.CutPrefix(id, "req_")
	if !ok || h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// requestIDArg is a cobra.PositionalArgs for commands taking one request id.
func requestIDArg(cmd *cobra.Command, args []string) error {
	if err := cobra.ExactArgs(1)(cmd, args); err != nil {
		return err
	}
	return checkRequestID(args[0])
}

// checkAuditText refuses, before anything is written, a flag value that is
// recorded in the audit trail and that the trail would refuse (personal data,
// non-ASCII, too long), so that a command does not stop half way (a request
// filed but not verified). The value itself is never repeated.
func checkAuditText(flag string, f audit.Field, v string) error {
	c, err := audit.NewStrictChecker()
	if err != nil {
		return err
	}
	if err := c.CheckField(f, v); err != nil {
		return usageError{&auditTextError{flag: flag, err: err}}
	}
	return nil
}

// auditTextError explains, in the operator's words, why a text for the audit
// trail (--reason, --verified-by) was refused and what to write instead; it
// still matches audit.ErrPersonalData or audit.ErrInvalidRecord.
type auditTextError struct {
	flag string
	err  error
}

func (e *auditTextError) Unwrap() error { return e.err }

func (e *auditTextError) Error() string {
	var fe *audit.FieldError
	problem := ""
	if errors.As(e.err, &fe) {
		problem = fe.Problem
	}
	if errors.Is(e.err, audit.ErrPersonalData) {
		what := "something that looks like personal data"
		switch {
		case strings.Contains(problem, "'@'"):
			what = "an e-mail address (an '@')"
		case strings.Contains(problem, "digits"):
			what = "a long number (it could be a phone, card or account number)"
		case strings.HasPrefix(problem, "contains "):
			what = "something that looks like personal data (" + strings.ToLower(strings.TrimPrefix(problem, "contains ")) + ")"
		}
		return e.flag + ": the text contains " + what + ". It is kept in the audit trail for years, which must not hold" +
			" anything that identifies a person; the request id already links it to the person. Say why in general terms" +
			" instead, e.g. \"more than 500 conversations to review\" or \"identity checked against the account's" +
			" billing records\", without names, e-mail addresses, phone or account numbers"
	}
	return e.flag + ": " + strings.TrimPrefix(problem, "is ") + ": write plain text (letters, digits, spaces and punctuation, no accents or line breaks)" +
		" of at most " + strconv.Itoa(audit.MaxReasonLen) + " characters"
}

// Bounds of the numeric flags the CLI checks itself: the packages behind them
// treat zero or a negative value as "use the default", which would make a
// mistyped flag silently mean something else than what was printed.
const (
	maxConcurrency = 1000
	minLeaseTTL    = time.Second
	minJobTimeout  = time.Second
)

// workerIDShape is the shape of a worker name: it is stored in River's tables
// and in request leases, and shown by `dsar show`.
func workerIDOK(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validate checks the flags of `worker` and `serve` that start job workers.
func (o workerOptions) validate() error {
	switch {
	case o.Concurrency < 1 || o.Concurrency > maxConcurrency:
		return usagef("--concurrency (or INTERCOM_PRIVACY_WORKERS) %d: want 1 to %d", o.Concurrency, maxConcurrency)
	case !workerIDOK(o.ID):
		return usagef("--id (or INTERCOM_PRIVACY_WORKER_ID): want 1 to 255 of A-Z a-z 0-9 _ . - (a host or process name, never a person's)")
	case o.LeaseTTL < minLeaseTTL:
		return usagef("--lease-ttl %v: want at least %v (the default is %v)", o.LeaseTTL, minLeaseTTL, dsar.DefaultLeaseTTL)
	case o.JobTimeout < minJobTimeout:
		return usagef("--job-timeout %v: want at least %v", o.JobTimeout, minJobTimeout)
	}
	return nil
}

// checkPositive refuses a zero or negative duration flag.
func checkPositive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s %v: want a positive duration such as 30s", flag, d)
	}
	return nil
}

// checkServeFlags checks the numeric flags of `serve`.
func checkServeFlags(maxBody int64, applyInterval, stopWait time.Duration) error {
	if maxBody < 1 {
		return usagef("--max-body %d: want a positive number of bytes (the default is %d)", maxBody, webhook.DefaultMaxBody)
	}
	if err := checkPositive("--apply-interval", applyInterval); err != nil {
		return err
	}
	return checkPositive("--stop-timeout", stopWait)
}
