package intercom

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	``, `{}`, `null`, `[]`, `{"type":"contact","id":1}`, `{"id":"1","created_at":"17"}`,
	`{"id":{"x":1}}`, `{"created_at":1e400}`, `{"created_at":"NaN"}`, `{"custom_attributes":[1]}`,
	`<html>502</html>`, `{"type":"contact","id":"1","na`, `{"pages":{"next":"http://x/y"}}`,
	`{"pages":{"next":{"starting_after":null}}}`, `{"pages":{"next":5}}`,
	`{"type":"error.list","request_id":null,"errors":[{"code":1,"message":null}]}`,
	`{"conversation_parts":{"conversation_parts":[{"id":1,"author":"x"}]}}`,
	`{"avatar":"http://a"}`, `{"avatar":{"image_url":"x"}}`, `{"has_hard_bounced":"yes"}`,
	`{"tickets":[{"id":1,"ticket_attributes":null}],"pages":{}}`, "{\"id\":\"\xff\"}",
}

// FuzzDecode feeds arbitrary bytes to every response decoder: they must return a
// typed error or a value, never panic, and never quote the input in the error.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte("<html>x</html>"), "text/html")
	f.Fuzz(func(t *testing.T, data []byte, ct string) {
		cl := &call{method: "GET", path: "/x"}
		targets := []any{&Contact{}, &Conversation{}, &Ticket{}, &Admin{}, &DataExport{}, &EventSummary{},
			&contactList{}, &conversationList{}, &ticketList{}, &companyList{}, &eventList{}, &noteList{}, &DataAttribute{}, &Subscription{}}
		for _, out := range targets {
			err := decodeJSON(data, 200, ct, cl, out)
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrMalformedResponse) {
				t.Fatalf("untyped error %v", err)
			}
			// The error names the response's media type (a header); the body must
			// not appear anywhere else.
			msg := strings.Replace(err.Error(), safeContentType(ct), "", 1)
			if len(data) >= 12 && strings.Contains(msg, string(data)) {
				t.Fatalf("error quotes the body: %v", err)
			}
		}
		var pl contactList
		if json.Unmarshal(data, &pl) == nil {
			_, _, _ = pl.Pages.next()
		}
	})
}

// FuzzErrorEnvelope checks that any error body gives an *Error with capped fields.
func FuzzErrorEnvelope(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), 404, `</contacts/abc>; rel="canonical"`)
	}
	f.Add([]byte(errorBody("contact_merged", "merged")), 410, `<https://api.intercom.io/contacts/x?y=1>; rel=canonical, <a>`)
	f.Fuzz(func(t *testing.T, data []byte, status int, link string) {
		if status < 400 || status > 599 {
			status = 400 + (status&0x7fffffff)%200
		}
		c := &Client{}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Link": {link}}, Body: nopBody(data)}
		err := c.readError(resp, &call{method: "GET", path: "/contacts/x"}, 1)
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != status {
			t.Fatalf("not an *Error: %v", err)
		}
		if len(ae.Code) > maxMessageLen+4 || len(ae.Message) > maxMessageLen+4 || len(ae.RequestID) > 64 {
			t.Fatal("uncapped field")
		}
		_ = err.Error()
	})
}

// FuzzQueryValidate checks the query builder never panics on odd shapes.
func FuzzQueryValidate(f *testing.F) {
	f.Add("email", "=", 2, 3)
	f.Add("", "IN", 0, 20)
	f.Fuzz(func(t *testing.T, field, op string, depth, width int) {
		depth, width = abs(depth)%4, abs(width)%17
		var q Query = Filter{Field: field, Operator: op, Value: "x"}
		for i := 0; i < depth; i++ {
			qs := make([]Query, width+1)
			for j := range qs {
				qs[j] = q
			}
			q = And(qs...)
		}
		err := ValidateQuery(q)
		if err != nil && !errors.Is(err, ErrValidation) {
			t.Fatal(err)
		}
		if depth > MaxQueryNesting && err == nil {
			t.Fatal("too deep a query accepted")
		}
		if err == nil {
			_, _ = json.Marshal(q)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n {
			return 0
		}
		return -n
	}
	return n
}

type nopReadCloser struct{ *strings.Reader }

func (nopReadCloser) Close() error { return nil }

func nopBody(b []byte) nopReadCloser { return nopReadCloser{strings.NewReader(string(b))} }
