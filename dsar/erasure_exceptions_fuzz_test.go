package dsar

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
)

// FuzzObjectFacts feeds arbitrary JSON where an erasure reads what exceptions
// match on (a ticket's type, state and attributes, a conversation's tags) and
// where it reads its kept objects and unarchived contacts back: never a panic,
// and an exception with no criterion matches every object of its kind.
func FuzzObjectFacts(f *testing.F) {
	f.Add([]byte(`{"type":"ticket","id":"1","ticket_type":{"id":"7","name":"Billing dispute"},"ticket_state":{"category":"in_progress"},"ticket_attributes":{"Dispute":["open"],"n":3}}`))
	f.Add([]byte(`{"type":"conversation","id":"9","tags":{"type":"tag.list","tags":[{"id":"1","name":"fraud"}]}}`))
	f.Add([]byte(`{"id":"1","ticket_state":"submitted","ticket_type":null,"ticket_attributes":{"a":{"name":"x"}}}`))
	f.Add([]byte(`{"kept":[{"object":"ticket","id":"1","why":"legal_hold"}],"erased":["ticket:1"]}`))
	f.Add([]byte(`{"intended":["c1"],"unarchived":["c1"],"rearchived":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		exceptions := []config.Exception{
			{Name: "a", Objects: "ticket", TicketTypes: []string{"billing dispute"}, TicketStates: []string{"in_progress"},
				TicketAttributes: map[string][]string{"Dispute": {"open"}}, Basis: "legal_claims", KeepFor: "6y"},
			{Name: "b", Objects: "conversation", Tags: []string{"fraud"}, Basis: "security_incident", KeepFor: "24mo"},
		}
		var tk intercom.Ticket
		if json.Unmarshal(data, &tk) == nil {
			tf := ticketFacts(tk)
			_ = matches(exceptions[0], tf)
			if !matches(config.Exception{Objects: "ticket"}, tf) {
				t.Fatal("an exception with no criterion does not match")
			}
		}
		var cv intercom.Conversation
		if json.Unmarshal(data, &cv) == nil {
			_ = matches(exceptions[1], conversationFacts(cv))
		}
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			for _, v := range m {
				_ = attributeValues(v)
			}
		}
		var kd keptDetail
		_ = json.Unmarshal(data, &kd)
		var ud unarchiveDetail
		if json.Unmarshal(data, &ud) == nil {
			_ = ud.pending()
		}
		rt := &retainer{law: "gdpr", now: time.Unix(0, 0), exceptions: exceptions}
		_ = rt.keep(objectFacts{kind: "ticket", id: string(data)})
	})
}
