package intercom

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/openapispec"
)

// drain walks a list to its end and returns its first error.
func drain[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}

// exampleCase is one client call and the description operation it sends.
type exampleCase struct {
	method, path string
	list         bool // an iterator: only its first page is the example
	call         func(ctx context.Context, c *Client) error
}

var exampleCases = []exampleCase{
	{"GET", "/me", false, func(ctx context.Context, c *Client) error { _, err := c.Me(ctx); return err }},
	{"GET", "/contacts/{contact_id}", false, func(ctx context.Context, c *Client) error { _, err := c.GetContact(ctx, "c1"); return err }},
	{"GET", "/contacts/find_by_external_id/{external_id}", false, func(ctx context.Context, c *Client) error {
		_, err := c.FindContactByExternalID(ctx, "e1")
		return err
	}},
	{"GET", "/contacts", true, func(ctx context.Context, c *Client) error { return drain(c.ListContacts(ctx, ListOptions{})) }},
	{"POST", "/contacts/search", true, func(ctx context.Context, c *Client) error {
		return drain(c.SearchContacts(ctx, Field("email").Eq("a@example.com"), SearchOptions{}))
	}},
	{"DELETE", "/contacts/{contact_id}", false, func(ctx context.Context, c *Client) error { _, err := c.DeleteContact(ctx, "c1"); return err }},
	{"POST", "/contacts/{contact_id}/archive", false, func(ctx context.Context, c *Client) error { _, err := c.ArchiveContact(ctx, "c1"); return err }},
	{"POST", "/contacts/{contact_id}/unarchive", false, func(ctx context.Context, c *Client) error { _, err := c.UnarchiveContact(ctx, "c1"); return err }},
	{"POST", "/contacts/merge", false, func(ctx context.Context, c *Client) error {
		_, err := c.MergeContacts(ctx, "l1", "u1", MergeOptions{})
		return err
	}},
	{"GET", "/contacts/{contact_id}/tags", false, func(ctx context.Context, c *Client) error { _, err := c.ContactTags(ctx, "c1"); return err }},
	{"GET", "/contacts/{contact_id}/segments", false, func(ctx context.Context, c *Client) error { _, err := c.ContactSegments(ctx, "c1"); return err }},
	{"GET", "/contacts/{contact_id}/subscriptions", false, func(ctx context.Context, c *Client) error {
		_, err := c.ContactSubscriptions(ctx, "c1")
		return err
	}},
	{"GET", "/contacts/{contact_id}/companies", true, func(ctx context.Context, c *Client) error { return drain(c.ContactCompanies(ctx, "c1", ListOptions{})) }},
	{"GET", "/contacts/{contact_id}/notes", true, func(ctx context.Context, c *Client) error { return drain(c.ContactNotes(ctx, "c1", ListOptions{})) }},
	{"POST", "/conversations/search", true, func(ctx context.Context, c *Client) error {
		return drain(c.SearchConversations(ctx, Field("contact_ids").Eq("c1"), SearchOptions{}))
	}},
	{"GET", "/conversations/{conversation_id}", false, func(ctx context.Context, c *Client) error {
		_, err := c.GetConversation(ctx, "1", GetConversationOptions{})
		return err
	}},
	{"DELETE", "/conversations/{conversation_id}", false, func(ctx context.Context, c *Client) error {
		_, err := c.DeleteConversation(ctx, "1", DeleteConversationOptions{})
		return err
	}},
	{"POST", "/conversations/redact", false, func(ctx context.Context, c *Client) error {
		_, err := c.RedactConversationPart(ctx, "1", "2")
		return err
	}},
	{"POST", "/tickets/search", true, func(ctx context.Context, c *Client) error {
		return drain(c.SearchTickets(ctx, Field("contact_ids").Eq("c1"), SearchOptions{}))
	}},
	{"GET", "/tickets/{ticket_id}", false, func(ctx context.Context, c *Client) error { _, err := c.GetTicket(ctx, "1"); return err }},
	{"DELETE", "/tickets/{ticket_id}", false, func(ctx context.Context, c *Client) error { _, err := c.DeleteTicket(ctx, "1"); return err }},
	{"POST", "/tickets/{ticket_id}/reply", false, func(ctx context.Context, c *Client) error {
		_, err := c.ReplyTicket(ctx, "1", "2", TicketReplyComment, "hello")
		return err
	}},
	{"POST", "/tickets", false, func(ctx context.Context, c *Client) error {
		_, err := c.CreateTicket(ctx, TicketFields{TicketTypeID: "1", ContactID: "c1"})
		return err
	}},
	{"GET", "/events", true, func(ctx context.Context, c *Client) error {
		// The description's 200 examples are summaries; both calls read GET /events.
		if _, err := c.EventSummary(ctx, EventsOf{IntercomUserID: "c1"}); err != nil {
			return err
		}
		return drain(c.ListEvents(ctx, EventsOf{IntercomUserID: "c1"}, ListOptions{}))
	}},
	{"POST", "/export/content/data", false, func(ctx context.Context, c *Client) error {
		_, err := c.CreateContentExport(ctx, time.Unix(1.7e9, 0), time.Unix(1.7e9+86400, 0))
		return err
	}},
	{"GET", "/export/content/data/{job_identifier}", false, func(ctx context.Context, c *Client) error {
		_, err := c.GetContentExport(ctx, "j1")
		return err
	}},
	{"POST", "/export/cancel/{job_identifier}", false, func(ctx context.Context, c *Client) error {
		_, err := c.CancelContentExport(ctx, "j1")
		return err
	}},
	{"POST", "/contacts", false, func(ctx context.Context, c *Client) error {
		_, err := c.CreateContact(ctx, ContactFields{Email: Str("a@example.com")})
		return err
	}},
	{"PUT", "/contacts/{contact_id}", false, func(ctx context.Context, c *Client) error {
		_, err := c.UpdateContact(ctx, "c1", ContactFields{Name: Str("A")})
		return err
	}},
	{"POST", "/contacts/{contact_id}/tags", false, func(ctx context.Context, c *Client) error {
		_, err := c.TagContact(ctx, "c1", "t1")
		return err
	}},
	{"DELETE", "/contacts/{contact_id}/tags/{tag_id}", false, func(ctx context.Context, c *Client) error {
		_, err := c.UntagContact(ctx, "c1", "t1")
		return err
	}},
	{"POST", "/contacts/{contact_id}/subscriptions", false, func(ctx context.Context, c *Client) error {
		_, err := c.SetContactSubscription(ctx, "c1", "s1", ConsentOptIn)
		return err
	}},
	{"POST", "/contacts/{contact_id}/notes", false, func(ctx context.Context, c *Client) error {
		_, err := c.CreateNote(ctx, "c1", "x", NoteOptions{})
		return err
	}},
	{"GET", "/data_attributes", false, func(ctx context.Context, c *Client) error { _, err := c.ListDataAttributes(ctx, ""); return err }},
	{"POST", "/data_attributes", false, func(ctx context.Context, c *Client) error {
		_, err := c.CreateDataAttribute(ctx, "contact", "x", "string", "")
		return err
	}},
	{"POST", "/conversations/{conversation_id}/reply", false, func(ctx context.Context, c *Client) error {
		_, err := c.AddAdminNote(ctx, "1", "a1", "x")
		return err
	}},
	{"POST", "/conversations/{conversation_id}/tags", false, func(ctx context.Context, c *Client) error {
		_, err := c.TagConversation(ctx, "1", "t1", "a1")
		return err
	}},
}

// clientOperations names, for every exported method of *Client, the operation of
// the description it calls ("" for a method that calls none, or none with a JSON
// answer, with why in clientNonOperations). TestEveryClientOperationHasExamples
// fails when a method is added without a line here and a case in exampleCases, so
// the example conformance keeps covering the client's every endpoint.
var clientOperations = map[string]string{
	"Me": "GET /me", "GetContact": "GET /contacts/{contact_id}",
	"FindContactByExternalID": "GET /contacts/find_by_external_id/{external_id}",
	"ListContacts":            "GET /contacts", "SearchContacts": "POST /contacts/search",
	"DeleteContact": "DELETE /contacts/{contact_id}", "ArchiveContact": "POST /contacts/{contact_id}/archive",
	"UnarchiveContact": "POST /contacts/{contact_id}/unarchive", "MergeContacts": "POST /contacts/merge",
	"ContactTags": "GET /contacts/{contact_id}/tags", "ContactSegments": "GET /contacts/{contact_id}/segments",
	"ContactSubscriptions": "GET /contacts/{contact_id}/subscriptions",
	"ContactCompanies":     "GET /contacts/{contact_id}/companies", "ContactNotes": "GET /contacts/{contact_id}/notes",
	"SearchConversations": "POST /conversations/search", "CountConversations": "POST /conversations/search",
	"GetConversation": "GET /conversations/{conversation_id}", "DeleteConversation": "DELETE /conversations/{conversation_id}",
	"RedactConversationPart": "POST /conversations/redact", "RedactConversationSource": "POST /conversations/redact",
	"AddAdminNote":  "POST /conversations/{conversation_id}/reply",
	"AddAdminReply": "POST /conversations/{conversation_id}/reply",
	"ReplyTicket":   "POST /tickets/{ticket_id}/reply", "CreateTicket": "POST /tickets",
	"TagConversation": "POST /conversations/{conversation_id}/tags",
	"SearchTickets":   "POST /tickets/search", "GetTicket": "GET /tickets/{ticket_id}", "DeleteTicket": "DELETE /tickets/{ticket_id}",
	"EventSummary": "GET /events", "ListEvents": "GET /events",
	"CreateContentExport": "POST /export/content/data", "GetContentExport": "GET /export/content/data/{job_identifier}",
	"CancelContentExport": "POST /export/cancel/{job_identifier}",
	"CreateContact":       "POST /contacts", "UpdateContact": "PUT /contacts/{contact_id}",
	"TagContact": "POST /contacts/{contact_id}/tags", "UntagContact": "DELETE /contacts/{contact_id}/tags/{tag_id}",
	"SetContactSubscription": "POST /contacts/{contact_id}/subscriptions", "CreateNote": "POST /contacts/{contact_id}/notes",
	"ListDataAttributes": "GET /data_attributes", "CreateDataAttribute": "POST /data_attributes",
}

// clientNonOperations are the exported methods of *Client that call no operation
// whose JSON answer the description documents.
var clientNonOperations = map[string]string{
	"BaseURL":        "configuration",
	"Stats":          "counters of the client",
	"Version":        "configuration",
	"DownloadExport": "a binary download from the export's download_url (the description has no JSON example for it)",
}

// TestEveryClientOperationHasExamples: every exported method of *Client is either
// driven by TestClientDecodesDescriptionExamples (through a case of exampleCases for
// its operation) or named as calling none. AddAdminNote and TagConversation were
// added to the client after the example conformance and went unchecked.
func TestEveryClientOperationHasExamples(t *testing.T) {
	cases := map[string]bool{}
	for _, tc := range exampleCases {
		cases[tc.method+" "+tc.path] = true
	}
	typ := reflect.TypeOf(&Client{})
	seen := map[string]bool{}
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		seen[name] = true
		op, isOp := clientOperations[name]
		_, isNot := clientNonOperations[name]
		switch {
		case !isOp && !isNot:
			t.Errorf("(*Client).%s is in neither clientOperations nor clientNonOperations: name the operation it calls and add a case to exampleCases", name)
		case isOp && !cases[op]:
			t.Errorf("(*Client).%s calls %s, which no case of exampleCases drives with the description's examples", name, op)
		}
	}
	for name := range clientOperations {
		if !seen[name] {
			t.Errorf("clientOperations names %s, which *Client no longer has", name)
		}
	}
	for name := range clientNonOperations {
		if !seen[name] {
			t.Errorf("clientNonOperations names %s, which *Client no longer has", name)
		}
	}
}

// exampleDeviations names the examples of the description the client does not
// decode as documented, with why. An entry no example needs fails the test.
var exampleDeviations = []struct {
	method, path string
	status       int
	name, reason string
}{}

// TestClientDecodesDescriptionExamples answers every call the client makes with each
// response example Intercom's description documents for its operation (kin-openapi
// reads them) and checks the client decodes it: a 2xx example without error (a list's
// first page at least), an error example as an *Error with the example's status and
// code. So a response Intercom documents but the sandbox never produces still decodes.
func TestClientDecodesDescriptionExamples(t *testing.T) {
	spec := openapispec.Load(t)
	var mu sync.Mutex
	var status int
	var body []byte
	served := 0
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		served++
		if served > 1 {
			// Later pages: a 404 ends a list's walk; the first page was the example.
			writeJSON(w, 404, errorBody("not_found", "no further page in this test"))
			return
		}
		writeJSON(w, status, body)
	})
	var log syncBuffer
	c := f.client(t, func(cfg *Config) { cfg.MaxRetries = -1 }, withLog(&log))
	used := make([]int, len(exampleDeviations))
	total := 0
	for _, tc := range exampleCases {
		examples, err := spec.ResponseExamples(tc.method, tc.path)
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		// And a response built from the schema's own property examples, as a mock
		// server driven by the description answers.
		for code := range spec.Doc.Paths.Find(tc.path).GetOperation(tc.method).Responses.Map() {
			st, err := strconv.Atoi(code)
			if err != nil || st < 200 || st >= 300 {
				continue
			}
			b, ok, err := spec.SchemaExample(tc.method, tc.path, st)
			if err != nil {
				t.Errorf("%s %s: %v", tc.method, tc.path, err)
			}
			if ok {
				examples = append(examples, openapispec.Example{Status: st, Name: "(schema)", Body: b})
			}
		}
		n := 0
		for _, ex := range examples {
			if ex.Status == 429 || ex.Status >= 500 {
				continue // retried and waited out by design; covered by the fault tests
			}
			n++
			total++
			mu.Lock()
			status, body, served = ex.Status, ex.Body, 0
			mu.Unlock()
			before := len(log.String())
			err := tc.call(ctx(t), c)
			mu.Lock()
			requests := served
			mu.Unlock()
			ok, why := exampleOutcome(ex, err, tc.list, requests)
			// A documented value is read, not merely tolerated: no informational field
			// may be left unread.
			if ok && strings.Contains(log.String()[before:], "informational fields could not be read") {
				ok, why = false, "decoded, but informational fields were left unread: "+log.String()[before:]
			}
			if ok {
				continue
			}
			deviated := false
			for i, d := range exampleDeviations {
				if d.method == tc.method && d.path == tc.path && d.status == ex.Status && d.name == ex.Name {
					used[i]++
					deviated = true
				}
			}
			if !deviated {
				t.Errorf("%s %s example %d %q: %s", tc.method, tc.path, ex.Status, ex.Name, why)
			}
		}
		if n == 0 {
			t.Logf("%s %s documents no JSON example", tc.method, tc.path)
		}
	}
	for i, d := range exampleDeviations {
		if used[i] == 0 {
			t.Errorf("example deviation %s %s %d %q was never needed: %s", d.method, d.path, d.status, d.name, d.reason)
		}
	}
	if total < 40 {
		t.Errorf("only %d examples exercised", total)
	}
	t.Logf("%d documented examples decoded across %d operations", total, len(exampleCases))
}

// exampleOutcome judges the client's result for one example.
func exampleOutcome(ex openapispec.Example, err error, list bool, requests int) (bool, string) {
	if ex.Status >= 200 && ex.Status < 300 {
		if err == nil {
			return true, ""
		}
		var ae *Error
		if list && requests > 1 && errors.As(err, &ae) && ae.Status == 404 {
			return true, "" // the first page decoded; the test server has no second
		}
		if list && requests > 1 && errors.Is(err, ErrForeignHost) {
			return true, "" // the example's next link points at Intercom's host
		}
		return false, "not decoded: " + err.Error()
	}
	var env struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(ex.Body, &env)
	var ae *Error
	switch {
	case err == nil:
		return false, "an error example decoded as success"
	case !errors.As(err, &ae):
		return false, "not an *Error: " + err.Error()
	case ae.Status != ex.Status:
		return false, "status " + http.StatusText(ae.Status)
	case len(env.Errors) > 0 && ae.Code != env.Errors[0].Code:
		return false, "code " + ae.Code + ", want " + env.Errors[0].Code
	}
	return true, ""
}
