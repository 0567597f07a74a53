package intercom

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func withLog(buf *syncBuffer) func(*Config) {
	return func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// TestEventSummaryInformationalTimes: Intercom's own example sends last with a
// trailing space; it is read. A time that cannot be read does not fail the summary:
// it is left unset, kept as sent in Malformed, and noted in the log (without the
// value).
func TestEventSummaryInformationalTimes(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"event.summary","email":"a@example.com","intercom_user_id":"c1","user_id":"u1","events":[
			{"name":"placed-order","first":"2014-01-16T21:16:38.000Z","last":"2014-02-13T18:32:03.000Z ","count":3},
			{"name":"viewed","first":"the day we met","last":{"when":"later"},"count":"2"}]}`)
	})
	var log syncBuffer
	c := f.client(t, withLog(&log))
	s, err := c.EventSummary(ctx(t), EventsOf{IntercomUserID: "c1"})
	if err != nil {
		t.Fatalf("EventSummary: %v", err)
	}
	if len(s.Events) != 2 {
		t.Fatalf("%d entries", len(s.Events))
	}
	if e := s.Events[0]; e.Last.Time().Format("2006-01-02T15:04:05Z") != "2014-02-13T18:32:03Z" || e.Malformed != nil {
		t.Errorf("trailing space: last %v malformed %v", e.Last.Time(), e.Malformed)
	}
	e := s.Events[1]
	if !e.First.IsZero() || !e.Last.IsZero() || e.Count != 2 {
		t.Errorf("malformed entry decoded as %+v", e)
	}
	if e.Malformed["first"] != "the day we met" || e.Malformed["last"] != `{"when":"later"}` {
		t.Errorf("raw values not kept: %q", e.Malformed)
	}
	out := log.String()
	if !strings.Contains(out, "events.first,events.last") || strings.Contains(out, "the day we met") {
		t.Errorf("log note: %s", out)
	}
}

// TestExportExpiryInformational: a download_expires_at that is not a time does not
// fail the export create; a job without its identifier does.
func TestExportExpiryInformational(t *testing.T) {
	body := `{"job_identifier":"j1","status":"pending","download_url":"","download_expires_at":"soon"}`
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { writeJSON(w, 200, body) })
	c := f.client(t)
	d, err := c.CreateContentExport(ctx(t), time.Unix(1.7e9, 0), time.Unix(1.7e9+86400, 0))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if d.JobIdentifier != "j1" || !d.DownloadExpiresAt.IsZero() || d.Malformed["download_expires_at"] != "soon" {
		t.Errorf("decoded %+v", d)
	}
	body = `{"status":"pending","download_expires_at":"1700000000"}`
	_, err = c.GetContentExport(ctx(t), "j1")
	var me *MalformedResponseError
	if !errors.Is(err, ErrBadIdentifier) || !errors.As(err, &me) || me.Field != "export.job_identifier" {
		t.Errorf("job without identifier: %v", err)
	}
}

// TestMissingTicketIDIsTypedError: a search answer with a ticket without an id is
// fetched again (maxRetries times), then fails with ErrBadIdentifier naming the
// field, instead of handing the caller a ticket it cannot delete.
func TestMissingTicketIDIsTypedError(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"ticket.list","tickets":[{"type":"ticket","id":"t1"},{"type":"ticket","ticket_id":"42"}],"pages":{"type":"pages"}}`)
	})
	c := f.client(t, func(cfg *Config) { cfg.MaxRetries = 2 })
	var n int
	var err error
	for _, e := range c.SearchTickets(ctx(t), Field("contact_ids").Eq("c1"), SearchOptions{}) {
		if e != nil {
			err = e
			break
		}
		n++
	}
	var me *MalformedResponseError
	if n != 0 || !errors.Is(err, ErrBadIdentifier) || !errors.Is(err, ErrMalformedResponse) || !errors.As(err, &me) || me.Field != "ticket.id" {
		t.Fatalf("yielded %d tickets, error %v", n, err)
	}
	if !strings.Contains(err.Error(), "ticket.id") {
		t.Errorf("error does not name the field: %v", err)
	}
	if got := f.count(); got != 3 {
		t.Errorf("%d requests, want 1 + 2 retries", got)
	}
}

// TestMalformedIdentifierNamesField: an id that is neither a string nor a number is
// a typed error naming the field's path; a malformed time next to it is not.
func TestMalformedIdentifierNamesField(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"contact","id":"c1","created_at":"not a time","owner_id":{"id":7}}`)
	})
	c := f.client(t, func(cfg *Config) { cfg.MaxRetries = -1 })
	_, err := c.GetContact(ctx(t), "c1")
	var me *MalformedResponseError
	if !errors.Is(err, ErrBadIdentifier) || !errors.As(err, &me) || me.Field != "owner_id" {
		t.Fatalf("error %v", err)
	}
	f2 := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"contact","id":"c1","created_at":"not a time","updated_at":" 1700000000 "}`)
	})
	ct, err := f2.client(t).GetContact(ctx(t), "c1")
	if err != nil || !ct.CreatedAt.IsZero() || ct.UpdatedAt != 1700000000 || !bytes.Contains(ct.Raw, []byte("not a time")) {
		t.Fatalf("contact %+v, %v", ct, err)
	}
}

// TestNotesPageNumberWalk: notes answer pages.next null with page and total_pages;
// the walk asks for the following page numbers and stops at the last (or at an
// empty page).
func TestNotesPageNumberWalk(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Query().Get("page") {
		case "", "1":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"note","id":"1"},{"type":"note","id":"2"}],"pages":{"type":"pages","next":null,"page":1,"per_page":2,"total_pages":3}}`)
		case "2":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"note","id":"3"},{"type":"note","id":"4"}],"pages":{"type":"pages","next":null,"page":2,"per_page":2,"total_pages":3}}`)
		case "3":
			writeJSON(w, 200, `{"type":"list","data":[],"pages":{"type":"pages","next":null,"page":3,"per_page":2,"total_pages":3}}`)
		default:
			t.Errorf("page %q asked for", r.URL.Query().Get("page"))
			writeJSON(w, 200, `{"type":"list","data":[]}`)
		}
	})
	var ids []string
	for n, err := range f.client(t).ContactNotes(ctx(t), "c1", ListOptions{PerPage: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(n.ID))
	}
	if strings.Join(ids, ",") != "1,2,3,4" || f.count() != 3 {
		t.Errorf("walked %v in %d requests", ids, f.count())
	}
}

// TestInformationalURLsTolerated: a URL Intercom sends with the wrong JSON type (an
// avatar's image, the API URL of an embedded list or reference, a social profile, a
// company's website, an attachment, a conversation source) is informational: it
// decodes as unset, the object's Raw keeps it as sent, and the contact, company or
// conversation still decodes. Before, "avatar.image_url: expected string, got a JSON
// number" failed the whole contact, and with it an access request. A bad id next to
// it still fails.
func TestInformationalURLsTolerated(t *testing.T) {
	body := `{"type":"contact","id":"c1","email":"a@example.com","avatar":{"type":"avatar","image_url":7},
		"social_profiles":{"type":"list","data":[{"type":"social_profile","name":"x","url":{"href":"y"}}]},
		"tags":{"type":"list","data":[{"type":"tag","id":"t1","url":["/tags/t1"]}],"url":7,"total_count":1,"has_more":false}}`
	var mu sync.Mutex
	setBody := func(b string) { mu.Lock(); body = b; mu.Unlock() }
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, "/companies"):
			writeJSON(w, 200, `{"type":"list","data":[{"type":"company","id":"co1","name":"Acme","website":12}],"pages":{"type":"pages","next":null,"page":1,"per_page":50,"total_pages":1}}`)
		case strings.HasPrefix(r.URL.Path, "/conversations/"):
			writeJSON(w, 200, `{"type":"conversation","id":"1","source":{"type":"conversation","id":"s1","body":"hi","url":false,
				"attachments":[{"type":"upload","name":"a.png","url":{"bad":1},"content_type":"image/png","filesize":3}]}}`)
		default:
			writeJSON(w, 200, body)
		}
	})
	c := f.client(t, func(cfg *Config) { cfg.MaxRetries = -1 })
	ct, err := c.GetContact(ctx(t), "c1")
	if err != nil {
		t.Fatalf("a contact with malformed URLs: %v", err)
	}
	if ct.ID != "c1" || ct.Avatar.ImageURL != "" || ct.Tags.URL != "" || len(ct.Tags.Data) != 1 || ct.Tags.Data[0].ID != "t1" ||
		ct.Tags.Data[0].URL != "" || len(ct.SocialProfiles.Data) != 1 || ct.SocialProfiles.Data[0].Name != "x" {
		t.Errorf("decoded %+v", ct)
	}
	if !bytes.Contains(ct.Raw, []byte(`"image_url":7`)) {
		t.Errorf("Raw lost the value as sent: %s", ct.Raw)
	}
	var companies []Company
	for co, err := range c.ContactCompanies(ctx(t), "c1", ListOptions{}) {
		if err != nil {
			t.Fatalf("a company with a malformed website: %v", err)
		}
		companies = append(companies, co)
	}
	if len(companies) != 1 || companies[0].Name != "Acme" || companies[0].Website != "" {
		t.Errorf("companies %+v", companies)
	}
	cv, err := c.GetConversation(ctx(t), "1", GetConversationOptions{})
	if err != nil {
		t.Fatalf("a conversation with malformed URLs: %v", err)
	}
	if cv.Source.ID != "s1" || cv.Source.URL != "" || len(cv.Source.Attachments) != 1 || cv.Source.Attachments[0].Name != "a.png" || cv.Source.Attachments[0].URL != "" {
		t.Errorf("conversation source %+v", cv.Source)
	}
	// A well-formed URL is kept as sent.
	setBody(`{"type":"contact","id":"c1","avatar":{"type":"avatar","image_url":"https://example.com/a.png"},"tags":{"type":"list","data":[],"url":"/contacts/c1/tags"}}`)
	if ct, err = c.GetContact(ctx(t), "c1"); err != nil || ct.Avatar.ImageURL != "https://example.com/a.png" || ct.Tags.URL != "/contacts/c1/tags" {
		t.Errorf("well-formed URLs: %+v, %v", ct, err)
	}
	// An identifier of the wrong type is still an error naming the field.
	setBody(`{"type":"contact","id":"c1","avatar":{"image_url":7},"tags":{"type":"list","data":[{"type":"tag","id":{"x":1}}]}}`)
	_, err = c.GetContact(ctx(t), "c1")
	var me *MalformedResponseError
	if !errors.Is(err, ErrBadIdentifier) || !errors.As(err, &me) || me.Field != "tags.data.id" {
		t.Errorf("a tag with an object for id: %v", err)
	}
}
