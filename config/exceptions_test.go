package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestErasureExceptions(t *testing.T) {
	good := `erasure:
  exceptions:
    - name: billing-disputes
      objects: ticket
      ticket_types: [Billing dispute]
      ticket_states: [in_progress]
      ticket_attributes: {Dispute: ["open", "escalated"]}
      basis: legal_claims
      keep_for: 6y
    - name: fraud
      objects: conversation
      tags: [fraud]
      basis: security_incident
      keep_for: 24mo
      redact: true
`
	c, err := Parse("t.yaml", strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Erasure.Exceptions) != 2 || c.Erasure.Exceptions[0].TicketAttributes["Dispute"][1] != "escalated" || !c.Erasure.Exceptions[1].Redact {
		t.Fatalf("exceptions: %+v", c.Erasure.Exceptions)
	}
	for _, bad := range []struct{ yaml, field string }{
		{"- {name: x, objects: company, basis: legal_claims, keep_for: 6y}", ".objects"},
		{"- {name: x, objects: ticket, basis: because, keep_for: 6y}", ".basis"},
		{"- {name: x, objects: ticket, basis: legal_claims}", ".keep_for"},
		{"- {name: x, objects: ticket, basis: legal_claims, keep_for: forever}", ".keep_for"},
		{"- {name: x, objects: ticket, tags: [dispute], basis: legal_claims, keep_for: 6y}", ".tags"},
		{"- {name: x, objects: conversation, ticket_types: [a], basis: legal_claims, keep_for: 6y}", "exceptions[0]"},
		{"- {name: x, objects: ticket, ticket_states: [closed], basis: legal_claims, keep_for: 6y}", ".ticket_states"},
		{"- {name: x, objects: ticket, redact: true, basis: legal_claims, keep_for: 6y}", ".redact"},
		{"- {name: 'a b', objects: ticket, basis: legal_claims, keep_for: 6y}", ".name"},
		{"- {name: x, objects: ticket, basis: legal_claims, keep_for: 6y}\n    - {name: x, objects: contact, basis: legal_claims, keep_for: 6y}", ".name"},
	} {
		_, err := Parse("t.yaml", strings.NewReader("erasure:\n  exceptions:\n    "+bad.yaml+"\n"))
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) || !strings.Contains(ce.Field, bad.field) {
			t.Errorf("%s: %v (want a field %s)", bad.yaml, err, bad.field)
		}
	}
}

// FuzzKeepUntil: any keep_for gives a time after the start when validation
// accepts it, and the zero time otherwise; never a panic.
func FuzzKeepUntil(f *testing.F) {
	for _, s := range []string{"6y", "24mo", "90d", "12w", "0d", "-1y", "9999y", "y", "6 y", ""} {
		f.Add(s)
	}
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got := Exception{KeepFor: s}.KeepUntil(from)
		if keepForPattern.MatchString(s) != got.After(from) {
			t.Fatalf("keep_for %q: %v", s, got)
		}
		if !keepForPattern.MatchString(s) && !got.IsZero() {
			t.Fatalf("keep_for %q refused but gives %v", s, got)
		}
	})
}

func TestKeepUntil(t *testing.T) {
	from := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for s, want := range map[string]time.Time{"6y": from.AddDate(6, 0, 0), "1mo": from.AddDate(0, 1, 0), "2w": from.AddDate(0, 0, 14), "90d": from.AddDate(0, 0, 90)} {
		if got := (Exception{KeepFor: s}).KeepUntil(from); !got.Equal(want) {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
}
