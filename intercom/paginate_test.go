package intercom

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// cursorServer serves n contacts in pages, the cursor in the query (list) or in the
// body (search); the last page has an empty starting_after or no next at all.
func cursorServer(t *testing.T, n int, emptyCursorAtEnd bool) *fake {
	return newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		per, after := 0, ""
		switch r.URL.Path {
		case "/contacts":
			per, _ = strconv.Atoi(r.URL.Query().Get("per_page"))
			after = r.URL.Query().Get("starting_after")
		case "/contacts/search":
			var b struct {
				Pagination struct {
					PerPage       int    `json:"per_page"`
					StartingAfter string `json:"starting_after"`
				} `json:"pagination"`
			}
			if err := json.Unmarshal(body, &b); err != nil {
				writeJSON(w, 400, errorBody("bad_request", "bad json"))
				return
			}
			if r.URL.Query().Get("starting_after") != "" {
				t.Errorf("search cursor sent in the query")
			}
			per, after = b.Pagination.PerPage, b.Pagination.StartingAfter
		}
		if per <= 0 || per > 150 {
			writeJSON(w, 400, errorBody("parameter_invalid", "per_page"))
			return
		}
		start := 0
		if after != "" {
			start, _ = strconv.Atoi(after[len("cur"):])
		}
		var data []map[string]any
		for i := start; i < min(start+per, n); i++ {
			data = append(data, map[string]any{"type": "contact", "id": fmt.Sprint("c", i)})
		}
		pages := map[string]any{"type": "pages", "per_page": per}
		if start+per < n {
			pages["next"] = map[string]any{"per_page": per, "starting_after": fmt.Sprint("cur", start+per)}
		} else if emptyCursorAtEnd {
			pages["next"] = map[string]any{"starting_after": ""}
		}
		writeJSON(w, 200, map[string]any{"type": "list", "data": data, "total_count": n, "pages": pages})
	})
}

func TestListContactsWalksAllPages(t *testing.T) {
	for _, emptyEnd := range []bool{false, true} {
		f := cursorServer(t, 23, emptyEnd)
		c := f.client(t)
		var ids []string
		for ct, err := range c.ListContacts(ctx(t), ListOptions{PerPage: 5}) {
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(ct.ID))
		}
		if len(ids) != 23 || ids[0] != "c0" || ids[22] != "c22" {
			t.Fatalf("ids %v", ids)
		}
		reqs := f.requests()
		if len(reqs) != 5 {
			t.Fatalf("%d requests for 5 pages", len(reqs))
		}
		for _, r := range reqs {
			if r.Query.Get("per_page") != "5" {
				t.Fatalf("per_page not sent: %v", r.Query)
			}
		}
	}
}

func TestIteratorBreakSendsNoMoreRequests(t *testing.T) {
	f := cursorServer(t, 100, false)
	c := f.client(t)
	n := 0
	for _, err := range c.ListContacts(ctx(t), ListOptions{PerPage: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 15 {
			break
		}
	}
	if f.count() != 2 {
		t.Fatalf("%d requests after breaking on page 2", f.count())
	}
}

func TestSearchCursorInBody(t *testing.T) {
	f := cursorServer(t, 7, true)
	c := f.client(t)
	q := And(Field("email").Eq("ann@example.com"), Or(Field("role").Eq("user"), Field("role").Eq("lead")))
	var n int
	for _, err := range c.SearchContacts(ctx(t), q, SearchOptions{PerPage: 3, Sort: &Sort{Field: "created_at", Order: "ascending"}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 7 || f.count() != 3 {
		t.Fatalf("%d contacts in %d requests", n, f.count())
	}
	var b map[string]any
	_ = json.Unmarshal(f.requests()[1].Body, &b)
	want := `{"pagination":{"per_page":3,"starting_after":"cur3"},"query":{"operator":"AND","value":[{"operator":"AND","value":[{"field":"email","operator":"=","value":"ann@example.com"}]},{"operator":"OR","value":[{"field":"role","operator":"=","value":"user"},{"field":"role","operator":"=","value":"lead"}]}]},"sort":{"field":"created_at","order":"ascending"}}`
	got, _ := json.Marshal(b)
	if string(got) != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
}

func TestPaginationThatDoesNotAdvance(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, `{"type":"list","data":[{"id":"1"}],"pages":{"next":{"starting_after":"same"}}}`)
	})
	var err error
	n := 0
	for _, e := range f.client(t).ListContacts(ctx(t), ListOptions{}) {
		if e != nil {
			err = e
		} else {
			n++
		}
	}
	if !errors.Is(err, ErrMalformedResponse) || f.count() != 2 {
		t.Fatalf("err %v after %d requests", err, f.count())
	}
}

func TestConversationsAndTicketsSearchArrays(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/conversations/search":
			writeJSON(w, 200, `{"type":"conversation.list","conversations":[{"type":"conversation","id":"1","source":{"id":2,"body":"<p>hi</p>","author":{"type":"user","id":"c1"}},"contacts":{"contacts":[{"id":"c1","external_id":null}]}}],"total_count":1,"pages":{"type":"pages","next":null}}`)
		case "/tickets/search":
			writeJSON(w, 200, `{"type":"ticket.list","tickets":[{"type":"ticket","id":"9","ticket_id":"42","ticket_attributes":{"_default_title_":"x"},"contacts":{"contacts":[{"id":"c1"}]}}],"total_count":1,"pages":{}}`)
		}
	})
	c := f.client(t)
	var convs, tickets int
	for cv, err := range c.SearchConversations(ctx(t), Field("contact_ids").Eq("c1"), SearchOptions{}) {
		if err != nil || cv.Source.ID != "2" || cv.Contacts.Contacts[0].ID != "c1" {
			t.Fatalf("%+v %v", cv, err)
		}
		convs++
	}
	for tk, err := range c.SearchTickets(ctx(t), Field("contact_ids").Eq("c1"), SearchOptions{}) {
		if err != nil || tk.TicketID != "42" || tk.TicketAttributes["_default_title_"] != "x" || len(tk.Raw) == 0 {
			t.Fatalf("%+v %v", tk, err)
		}
		tickets++
	}
	if convs != 1 || tickets != 1 {
		t.Fatal(convs, tickets)
	}
}

func TestLinkStylePagination(t *testing.T) {
	var f *fake
	f = newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/contacts/c1/companies":
			if r.URL.Query().Get("page") == "2" {
				// "companies" as the schema names the array, on the last page.
				writeJSON(w, 200, `{"type":"list","companies":[{"id":"co2","name":"Two"}],"pages":{"type":"pages","next":null}}`)
				return
			}
			writeJSON(w, 200, `{"type":"list","data":[{"id":"co1","name":"One"}],"pages":{"type":"pages","next":"`+f.srv.URL+`/contacts/c1/companies?page=2"}}`)
		case "/events":
			q := r.URL.Query()
			if q.Get("type") != "user" || q.Get("intercom_user_id") != "c1" {
				writeJSON(w, 400, errorBody("parameter_invalid", "type"))
				return
			}
			if q.Get("before") == "" {
				writeJSON(w, 200, `{"type":"event.list","events":[{"event_name":"a","created_at":1,"id":1}],"pages":{"next":"/events?type=user&intercom_user_id=c1&before=5"}}`)
				return
			}
			writeJSON(w, 200, `{"type":"event.list","events":[{"event_name":"b","created_at":"2","metadata":{"k":"v"}}],"pages":{"since":"/events?since=1"}}`)
		case "/contacts/c2/companies":
			writeJSON(w, 200, `{"type":"list","data":[{"id":"x"}],"pages":{"next":"https://evil.example.com/steal"}}`)
		}
	})
	c := f.client(t)
	var names []string
	for co, err := range c.ContactCompanies(ctx(t), "c1", ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, co.Name)
	}
	if fmt.Sprint(names) != "[One Two]" {
		t.Fatal(names)
	}
	var evs []string
	for ev, err := range c.ListEvents(ctx(t), EventsOf{IntercomUserID: "c1"}, ListOptions{PerPage: 50}) {
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev.EventName)
	}
	if fmt.Sprint(evs) != "[a b]" {
		t.Fatal(evs)
	}
	for _, r := range f.requests() {
		if r.Query.Get("per_page") == "" {
			t.Fatalf("per_page missing on %s?%s", r.Path, r.Query.Encode())
		}
	}
	var gotErr error
	for _, err := range c.ContactCompanies(ctx(t), "c2", ListOptions{}) {
		gotErr = err
	}
	if !errors.Is(gotErr, ErrForeignHost) {
		t.Fatalf("foreign next link: %v", gotErr)
	}
}

func TestSubResources(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/contacts/c1/tags":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"tag","id":"1","name":"vip","applied_at":1,"applied_by":{"type":"admin","id":2}}]}`)
		case "/contacts/c1/segments":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"segment","id":"s","name":"Active","person_type":"user"}]}`)
		case "/contacts/c1/subscriptions":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"subscription","id":"1","state":"live","consent_type":"opt_in"}]}`)
		case "/contacts/c1/notes":
			writeJSON(w, 200, `{"type":"list","data":[{"type":"note","id":17,"body":"<p>called</p>","author":{"type":"admin","id":"2"}}],"pages":{"type":"pages","next":null}}`)
		default:
			writeJSON(w, 404, errorBody("not_found", "User Not Found"))
		}
	})
	c := f.client(t)
	tags, err := c.ContactTags(ctx(t), "c1")
	if err != nil || len(tags) != 1 || tags[0].AppliedBy.ID != "2" {
		t.Fatal(tags, err)
	}
	segs, err := c.ContactSegments(ctx(t), "c1")
	if err != nil || len(segs) != 1 || segs[0].Name != "Active" {
		t.Fatal(segs, err)
	}
	subs, err := c.ContactSubscriptions(ctx(t), "c1")
	if err != nil || len(subs) != 1 || subs[0].ConsentType != "opt_in" {
		t.Fatal(subs, err)
	}
	for n, err := range c.ContactNotes(ctx(t), "c1", ListOptions{}) {
		if err != nil || n.ID != "17" {
			t.Fatal(n, err)
		}
	}
	if _, err := c.ContactTags(ctx(t), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}
