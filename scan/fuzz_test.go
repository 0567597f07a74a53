package scan

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

// FuzzTextOf: any body (HTML or not) gives text without a panic, plain text
// comes back unchanged, and text never grows past the input plus a line break
// per tag and attribute.
func FuzzTextOf(f *testing.F) {
	for _, s := range []string{"", "plain 4111 1111 1111 1111", "<p>a<b>b</b></p>", `<a href="mailto:x@y.z">x</a>`, "<p>&amp;&lt;&#x41;</p>", "<", "<p", "<!-- x", "&#xFFFFFF;"} {
		f.Add(s)
	}
	e, err := pii.NewEngine(pii.Options{Types: ContentTypes()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := textOf(s)
		if !strings.ContainsAny(s, "<&") && out != s {
			t.Fatalf("plain text changed")
		}
		if len(out) > 4*len(s)+8 {
			t.Fatalf("text of %d bytes from %d", len(out), len(s))
		}
		for _, x := range e.FindString(out, nil) {
			_ = plausible(x, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) && !strings.Contains(s, "&") {
			t.Fatalf("valid input gave invalid UTF-8")
		}
	})
}

func FuzzParseTypes(f *testing.F) {
	for _, s := range []string{"card,iban", "CARD, password ,secret", ",,", "name", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTypes(s)
		if err != nil {
			if strings.Contains(err.Error(), s) && len(s) > 40 {
				t.Fatalf("error repeats a long input")
			}
			return
		}
		for _, x := range ts {
			if known(x) {
				t.Fatalf("known type %v accepted", x)
			}
		}
	})
}

// FuzzScanTicket: any ticket Intercom could send (attributes of any JSON
// shape) is scanned without a panic; every finding is a ticket attribute of
// the ticket, in a part named after one of its attributes.
func FuzzScanTicket(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","ticket_attributes":{"_default_title_":"Card 4539 1488 0343 6467","_default_description_":"<p>x</p>"}}`,
		`{"id":"2","ticket_attributes":{"Screenshots":[{"type":"upload","name":"card-4539148803436467.jpg"}],"n":1.5,"b":true,"nil":null}}`,
		`{"id":"3","ticket_attributes":{"deep":[[["a"]],{"name":7},{"name":"x"}],"file":{"name":""}}}`,
		`{"id":"4","ticket_attributes":null}`,
	} {
		f.Add([]byte(s))
	}
	e, err := pii.NewEngine(pii.Options{Types: ContentTypes()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tk intercom.Ticket
		if json.Unmarshal(b, &tk) != nil {
			return
		}
		rec, fs := scanTicket(e, &tk, "run")
		if rec.ConversationID != TicketKeyPrefix+string(tk.ID) {
			t.Fatalf("record key %q", rec.ConversationID)
		}
		for _, x := range fs {
			if _, ok := tk.TicketAttributes[x.PartID]; !ok || x.PartKind != KindTicketAttribute || x.ConversationID != rec.ConversationID {
				t.Fatalf("finding %+v", x)
			}
		}
	})
}
