package tagintake

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, answers a *ParseError for every failure, and
// a success has a conversation id and printable, bounded values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"type":"conversation","id":"123","tags":{"type":"tag.list","tags":[{"type":"tag","id":"7","name":"privacy-request"}]},"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"c1","external_id":"x"}]}}`,
		`{"type":"conversation","id":123,"tags":[{"id":7,"name":"a"}],"contacts":[{"id":"c"}]}`,
		`{"type":"conversation","id":"1","tags":null,"contacts":{"contacts":null}}`,
		`{"type":"conversation"}`, `{"type":"contact","id":"1"}`, `{"type":"conversation","id":"1","tags":"x"}`,
		`{"type":"conversation","id":"1","tags":{"tags":[1]}}`, `{"type":"conversation","id":"1\u0000"}`,
		`[]`, `null`, ``, `{`, `{"type":"conversation","id":99999999999999999999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Parse(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrMissing) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v is not a *ParseError with a sentinel", err)
			}
			return
		}
		if got.ConversationID == "" || len(got.ConversationID) > maxIDLen {
			t.Fatalf("conversation id %q", got.ConversationID)
		}
		for _, tg := range got.Tags {
			if len(tg.Name) > maxNameLen || strings.ContainsAny(tg.Name, "\n\r\x00") {
				t.Fatalf("tag name %q", tg.Name)
			}
		}
		if len(got.Tags) > maxList || len(got.ContactIDs) > maxList {
			t.Fatal("lists not bounded")
		}
	})
}

// FuzzParseTicket: ParseTicket never panics, answers a *ParseError for every
// failure, and a success has a ticket id, a type id or name, and bounded
// values.
func FuzzParseTicket(f *testing.F) {
	for _, s := range []string{
		`{"type":"ticket","id":"600001","ticket_id":"1","category":"Customer","ticket_type":{"type":"ticket_type","id":"2","name":"Privacy request","category":"Customer"},"contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"c1"}]}}`,
		`{"type":"ticket","id":42,"ticket_type":{"id":88},"contacts":[{"id":"c"}]}`,
		`{"type":"ticket","id":"1","ticket_type":{"name":"x","category":"Back-office"}}`,
		`{"type":"ticket","id":"1"}`, `{"type":"ticket","id":"1","ticket_type":"x"}`, `{"type":"ticket","id":"1","ticket_type":{}}`,
		`{"type":"conversation","id":"1"}`, `{"type":"ticket","id":"1","ticket_type":{"id":"1"},"contacts":{"contacts":[true]}}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := ParseTicket(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrMissing) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v is not a *ParseError with a sentinel", err)
			}
			return
		}
		if got.TicketID == "" || len(got.TicketID) > maxIDLen || (got.TypeID == "" && got.TypeName == "") {
			t.Fatalf("ticket %+v", got)
		}
		if len(got.TypeName) > maxNameLen || strings.ContainsAny(got.TypeName+got.Category, "\n\r\x00") {
			t.Fatalf("type %q / %q", got.TypeName, got.Category)
		}
		if len(got.ContactIDs) > maxList {
			t.Fatal("contacts not bounded")
		}
	})
}
