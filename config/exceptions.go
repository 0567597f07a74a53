package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
)

// keepForPattern is the syntax of Exception.KeepFor: a positive count and a
// unit of days, weeks, months or years (package retention's Age reads it).
var keepForPattern = regexp.MustCompile(`^[1-9][0-9]{0,3}(d|w|mo|y)$`)

var exceptionName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

var ticketStates = []string{"submitted", "in_progress", "waiting_on_customer", "resolved"}

func (c *Config) validateExceptions() error {
	seen := map[string]bool{}
	for i, e := range c.Erasure.Exceptions {
		field := fmt.Sprintf("erasure.exceptions[%d]", i)
		bad := func(sub, format string, args ...any) error {
			return &Error{Field: field + sub, Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)}
		}
		if !exceptionName.MatchString(e.Name) {
			return bad(".name", "give each exception a name of 1 to 64 letters, digits, '-', '_' or '.'")
		}
		if seen[e.Name] {
			return bad(".name", "two exceptions share a name")
		}
		seen[e.Name] = true
		switch e.Objects {
		case "ticket", "conversation", "contact":
		default:
			return bad(".objects", "want ticket, conversation or contact")
		}
		if !jurisdiction.ValidBasis(jurisdiction.Basis(e.Basis)) {
			return bad(".basis", "want one of %s", jurisdiction.BasisList())
		}
		if !keepForPattern.MatchString(e.KeepFor) {
			return bad(".keep_for", "want how long the object is kept, e.g. 6y, 24mo, 90d or 12w")
		}
		if e.Objects != "ticket" && (len(e.TicketTypes) > 0 || len(e.TicketStates) > 0 || len(e.TicketAttributes) > 0) {
			return bad("", "ticket_types, ticket_states and ticket_attributes match tickets only")
		}
		if e.Objects == "ticket" && len(e.Tags) > 0 {
			return bad(".tags", "Intercom tickets have no tags: match tickets by ticket_types, ticket_states or ticket_attributes")
		}
		if e.Redact && e.Objects != "conversation" {
			return bad(".redact", "only a kept conversation's messages can be redacted")
		}
		for _, s := range e.TicketStates {
			if !slices.Contains(ticketStates, s) {
				return bad(".ticket_states", "want state categories among submitted, in_progress, waiting_on_customer, resolved")
			}
		}
	}
	return nil
}

// KeepUntil is when an object kept under e from from is no longer kept (zero
// when KeepFor does not parse, which validation refuses).
func (e Exception) KeepUntil(from time.Time) time.Time {
	m := keepForPattern.FindStringSubmatch(e.KeepFor)
	if m == nil {
		return time.Time{}
	}
	n, err := strconv.Atoi(strings.TrimSuffix(e.KeepFor, m[1]))
	if err != nil {
		return time.Time{}
	}
	switch m[1] {
	case "d":
		return from.AddDate(0, 0, n)
	case "w":
		return from.AddDate(0, 0, 7*n)
	case "mo":
		return from.AddDate(0, n, 0)
	}
	return from.AddDate(n, 0, 0)
}
