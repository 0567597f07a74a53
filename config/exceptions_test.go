package config

import (
	"errors"
	"strings"
	"testing"
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
