package sandbox

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeterministic(t *testing.T) {
	now := newClock().Now
	a, err := New(Options{Seed: 42, Contacts: 500, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Options{Seed: 42, Contacts: 500, Now: now})
	c, _ := New(Options{Seed: 43, Contacts: 500, Now: now})
	if !reflect.DeepEqual(a.Workspace().Contacts(), b.Workspace().Contacts()) ||
		!reflect.DeepEqual(a.Workspace().Conversations(), b.Workspace().Conversations()) ||
		!reflect.DeepEqual(a.SamplePerson(), b.SamplePerson()) {
		t.Fatal("the same seed and size generated different workspaces")
	}
	if reflect.DeepEqual(a.Workspace().Contacts(), c.Workspace().Contacts()) {
		t.Fatal("different seeds generated the same contacts")
	}
	pa := a.AddPerson(PersonSpec{Conversations: 2})
	pb := b.AddPerson(PersonSpec{Conversations: 2})
	if !reflect.DeepEqual(pa, pb) {
		t.Fatal("AddPerson is not deterministic")
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Contacts: -1}, {ErrorRate: 2}, {DropRate: -0.1}, {Latency: -1},
		{ExportStatus: "done"}, {ExportFormat: "rar"}, {Webhook: &WebhookOptions{}}, {Burst429: Burst{Every: -1}}} {
		_, err := New(o)
		var oe *OptionError
		if !errorsIs(err, ErrInvalidOptions) || !errorsAs(err, &oe) {
			t.Errorf("New(%+v) = %v, want an OptionError", o, err)
		}
	}
}

// TestGeneratedData checks the workspace holds what a privacy product must find: users
// and leads sharing emails, external ids, archived and merged contacts, personal data
// in HTML bodies with checksummed card numbers and IBANs, shared threads, old events.
func TestGeneratedData(t *testing.T) {
	s, err := New(Options{Seed: 5, Contacts: 2000, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.Workspace()
	cs := ws.Contacts()
	if len(cs) < 2000 {
		t.Fatalf("%d contacts", len(cs))
	}
	byEmail := map[string][]Contact{}
	var archived, merged, ext, leads int
	for _, c := range cs {
		byEmail[c.Email] = append(byEmail[c.Email], c)
		if c.Archived {
			archived++
		}
		if c.MergedInto != "" {
			merged++
		}
		if c.ExternalID != "" {
			ext++
		}
		if c.Role == "lead" {
			leads++
			if c.ExternalID != "" {
				t.Errorf("lead %s has an external id", c.ID)
			}
		}
	}
	shared := 0
	for _, g := range byEmail {
		roles := map[string]bool{}
		for _, c := range g {
			roles[c.Role] = true
		}
		if roles["user"] && roles["lead"] {
			shared++
		}
	}
	if archived == 0 || merged == 0 || ext == 0 || leads == 0 || shared == 0 {
		t.Errorf("archived %d merged %d external ids %d leads %d user+lead sharing an email %d: want all > 0", archived, merged, ext, leads, shared)
	}
	var cards, ibans, phones, sharedThreads, html int
	cardRE := `\b(?:\d{4} \d{4} \d{4} \d{4}|\d{16})\b`
	ibanRE := `\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b`
	cre, ire := mustRE(cardRE), mustRE(ibanRE)
	for _, c := range ws.Conversations() {
		if len(c.ContactIDs) > 1 {
			sharedThreads++
		}
		for _, p := range append([]Part{{Body: c.Source.Body}}, c.Parts...) {
			if strings.HasPrefix(p.Body, "<p>") {
				html++
			}
			for _, m := range ire.FindAllString(p.Body, -1) {
				ibans++
				if !ibanValid(m) {
					t.Errorf("IBAN %q fails mod-97", m)
				}
			}
			for _, m := range cre.FindAllString(ire.ReplaceAllString(p.Body, ""), -1) {
				cards++
				if !luhnValid(m) {
					t.Errorf("card %q fails Luhn", m)
				}
			}
			if strings.Contains(p.Body, "+44 7") || strings.Contains(p.Body, "+49 15") || strings.Contains(p.Body, "+33 6") || strings.Contains(p.Body, "(212)") {
				phones++
			}
		}
	}
	if cards == 0 || ibans == 0 || phones == 0 || sharedThreads == 0 || html == 0 {
		t.Errorf("cards %d IBANs %d phones %d shared threads %d HTML bodies %d: want all > 0", cards, ibans, phones, sharedThreads, html)
	}
	old := 0
	anchor := newClock().Now().Unix()
	for _, c := range cs[:500] {
		for _, e := range ws.Events(c.ID) {
			if e.CreatedAt < anchor-eventWindow {
				old++
			}
		}
	}
	if old == 0 {
		t.Error("no events older than 90 days")
	}
	if len(ws.Tickets()) == 0 || len(ws.Admins()) == 0 {
		t.Error("no tickets or no admins")
	}
}

func TestChecksums(t *testing.T) {
	r := newRNG(1, 1)
	for i := 0; i < 1000; i++ {
		if c := r.card(); !luhnValid(c) {
			t.Fatalf("card %q fails Luhn", c)
		}
		if b := r.iban(); !ibanValid(b) {
			t.Fatalf("IBAN %q fails mod-97", b)
		}
	}
	// Known values: a Visa test number and the ISO 13616 example IBAN.
	if !luhnValid("4111 1111 1111 1111") || luhnValid("4111 1111 1111 1112") {
		t.Error("luhnValid disagrees with a known card number")
	}
	if !ibanValid("GB82 WEST 1234 5698 7654 32") || ibanValid("GB82 WEST 1234 5698 7654 33") {
		t.Error("ibanValid disagrees with the ISO example")
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, Options{Seed: 1})
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", "Basic " + e.s.Token(), e.s.Token()} {
		r := e.do("GET", "/me", nil, "Authorization", auth)
		e.want(r, 401)
		if r.code(t) != "unauthorized" {
			t.Errorf("code %s", r.code(t))
		}
		if r.h.Get("X-RateLimit-Limit") != "" || r.h.Get("X-RateLimit-Remaining") != "" {
			t.Error("rate-limit headers on an unauthenticated answer")
		}
		if strings.Contains(string(r.body), e.s.Token()) {
			t.Fatal("the token appears in an error body")
		}
	}
	r := e.want(e.do("GET", "/me", nil), 200)
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if r.h.Get(h) == "" {
			t.Errorf("authenticated answer lacks %s", h)
		}
	}
	me := r.m(t)
	if app, _ := me["app"].(map[string]any); app["id_code"] != e.s.Workspace().AppID() {
		t.Errorf("/me app %v", me["app"])
	}
}

func TestListContacts(t *testing.T) {
	e := newEnv(t, Options{Seed: 3, Contacts: 400})
	var page contactList
	e.want(e.do("GET", "/contacts", nil), 200).json(t, &page)
	if len(page.Data) != 10 || page.Pages.PerPage != 10 {
		t.Fatalf("default page: %d contacts, per_page %d; want 10", len(page.Data), page.Pages.PerPage)
	}
	e.want(e.do("GET", "/contacts?per_page=1000", nil), 200).json(t, &page)
	if len(page.Data) != 150 || page.Pages.PerPage != 150 {
		t.Fatalf("per_page=1000 gave %d contacts (per_page %d), want the cap of 150", len(page.Data), page.Pages.PerPage)
	}
	for _, bad := range []string{"0", "-3", "ten"} {
		if r := e.want(e.do("GET", "/contacts?per_page="+bad, nil), 400); r.code(t) != "parameter_invalid" {
			t.Errorf("per_page=%s: %s", bad, r.body)
		}
	}
	// Walk every page: each live contact exactly once, archived and merged excluded,
	// next omitted on the last page.
	want := map[string]bool{}
	for _, c := range e.s.Workspace().Contacts() {
		if !c.Archived && c.MergedInto == "" {
			want[c.ID] = true
		}
	}
	seen := map[string]bool{}
	after, pages := "", 0
	for {
		q := "/contacts?per_page=37"
		if after != "" {
			q += "&starting_after=" + after
		}
		var p contactList
		e.want(e.do("GET", q, nil), 200).json(t, &p)
		pages++
		if p.TotalCount != len(want) || p.Pages.Page != pages {
			t.Fatalf("page %d: total_count %d page %d, want %d and %d", pages, p.TotalCount, p.Pages.Page, len(want), pages)
		}
		for _, c := range p.Data {
			if seen[c.ID] || !want[c.ID] {
				t.Fatalf("contact %s repeated or not live", c.ID)
			}
			seen[c.ID] = true
		}
		if p.Pages.Next == nil {
			break
		}
		after = p.Pages.Next.StartingAfter
	}
	if len(seen) != len(want) || pages != (len(want)+36)/37 {
		t.Fatalf("walked %d contacts in %d pages, want %d", len(seen), pages, len(want))
	}
	// The last page's JSON has no "next" at all.
	r := e.want(e.do("GET", "/contacts?per_page=150&starting_after="+after, nil), 200)
	_ = r
	if r := e.do("GET", "/contacts?starting_after=not-a-cursor", nil); r.status != 400 {
		t.Errorf("bad cursor: %d", r.status)
	}
}

func TestLastPageOmitsNext(t *testing.T) {
	e := newEnv(t, Options{Seed: 3, Contacts: 20})
	r := e.want(e.do("GET", "/contacts?per_page=150", nil), 200)
	var raw struct {
		Pages map[string]json.RawMessage `json:"pages"`
	}
	r.json(t, &raw)
	if _, ok := raw.Pages["next"]; ok {
		t.Fatalf("next present on the only page: %s", raw.Pages["next"])
	}
}

func search(t *testing.T, e *env, path, query string, extra string) contactList {
	t.Helper()
	var out contactList
	e.want(e.do("POST", path, `{"query":`+query+extra+`}`), 200).json(t, &out)
	return out
}

func TestSearchContacts(t *testing.T) {
	e := newEnv(t, Options{Seed: 4, Contacts: 300})
	p := e.s.SamplePerson()
	res := search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"email","operator":"=","value":%q}`, p.Email), "")
	got := map[string]bool{}
	for _, c := range res.Data {
		got[c.ID] = true
	}
	if len(got) != len(p.LiveContactIDs) {
		t.Fatalf("search by email found %v, want the live contacts %v", got, p.LiveContactIDs)
	}
	for _, id := range p.LiveContactIDs {
		if !got[id] {
			t.Errorf("live contact %s not found", id)
		}
	}
	for _, id := range append(p.ArchivedIDs, p.MergedIDs...) {
		if got[id] {
			t.Errorf("archived or merged contact %s found by search", id)
		}
	}
	// Operators.
	domain := p.Email[strings.Index(p.Email, "@")+1:]
	for _, q := range []string{
		fmt.Sprintf(`{"field":"email","operator":"$","value":%q}`, "@"+domain),
		fmt.Sprintf(`{"field":"email","operator":"^","value":%q}`, p.Email[:6]),
		fmt.Sprintf(`{"field":"email","operator":"~","value":%q}`, p.Email[2:10]),
		fmt.Sprintf(`{"field":"email","operator":"IN","value":[%q,"nobody@example.com"]}`, p.Email),
		fmt.Sprintf(`{"operator":"AND","value":[{"field":"email","operator":"=","value":%q},{"operator":"OR","value":[{"field":"role","operator":"=","value":"user"},{"field":"role","operator":"=","value":"lead"}]}]}`, p.Email),
	} {
		if r := search(t, e, "/contacts/search", q, ""); len(r.Data) < len(p.LiveContactIDs) {
			t.Errorf("%s found %d", q, len(r.Data))
		}
	}
	r := search(t, e, "/contacts/search", fmt.Sprintf(`{"operator":"AND","value":[{"field":"email","operator":"=","value":%q},{"field":"role","operator":"!=","value":"user"}]}`, p.Email), "")
	for _, c := range r.Data {
		if c.Role == "user" {
			t.Error("!= role user returned a user")
		}
	}
	r = search(t, e, "/contacts/search", fmt.Sprintf(`{"operator":"AND","value":[{"field":"email","operator":"=","value":%q},{"field":"role","operator":"NIN","value":["lead"]}]}`, p.Email), "")
	if len(r.Data) != 1 || r.Data[0].Role != "user" {
		t.Errorf("NIN lead: %d results", len(r.Data))
	}
	// The email index and a full scan agree (upper case too: email = is case-insensitive).
	for _, c := range e.s.Workspace().Contacts()[:60] {
		viaIndex := search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"email","operator":"=","value":%q}`, strings.ToUpper(c.Email)), `,"pagination":{"per_page":150}`)
		viaScan := search(t, e, "/contacts/search", fmt.Sprintf(`{"operator":"OR","value":[{"field":"email","operator":"=","value":%q}]}`, c.Email), `,"pagination":{"per_page":150}`)
		if fmt.Sprint(ids2(viaIndex)) != fmt.Sprint(ids2(viaScan)) {
			t.Fatalf("email %s: index %v, scan %v", c.Email, ids2(viaIndex), ids2(viaScan))
		}
		if live := !c.Archived && c.MergedInto == ""; live != slices.Contains(ids2(viaIndex), c.ID) {
			t.Fatalf("contact %s (live %v) found by its email: %v", c.ID, live, !live)
		}
	}
	r = search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"external_id","operator":"=","value":%q}`, p.ExternalID), "")
	if len(r.Data) != 1 || r.Data[0].ID != p.LiveContactIDs[0] {
		t.Errorf("external_id search: %d results", len(r.Data))
	}
}

func TestSearchLimits(t *testing.T) {
	e := newEnv(t, Options{Seed: 4, Contacts: 50})
	f := `{"field":"role","operator":"=","value":"user"}`
	group := func(op string, kids ...string) string {
		return `{"operator":"` + op + `","value":[` + strings.Join(kids, ",") + `]}`
	}
	fifteen := make([]string, 15)
	for i := range fifteen {
		fifteen[i] = f
	}
	e.want(e.do("POST", "/contacts/search", `{"query":`+group("OR", fifteen...)+`}`), 200)
	e.want(e.do("POST", "/contacts/search", `{"query":`+group("AND", f, group("OR", f, f))+`}`), 200)
	for name, body := range map[string]string{
		"16 filters":       `{"query":` + group("OR", append(fifteen, f)...) + `}`,
		"3 levels":         `{"query":` + group("AND", f, group("OR", f, group("AND", f, f))) + `}`,
		"unknown field":    `{"query":{"field":"shoe_size","operator":"=","value":"9"}}`,
		"unknown operator": `{"query":{"field":"email","operator":"LIKE","value":"a"}}`,
		"IN needs array":   `{"query":{"field":"email","operator":"IN","value":"a"}}`,
		"date !=":          `{"query":{"field":"created_at","operator":"!=","value":1700000000}}`,
		"date >=":          `{"query":{"field":"created_at","operator":">=","value":1700000000}}`,
		"date IN":          `{"query":{"field":"created_at","operator":"IN","value":[1700000000]}}`,
		"tag_id ~":         `{"query":{"field":"tag_id","operator":"~","value":"1"}}`,
		"no query":         `{"pagination":{"per_page":5}}`,
		"not json":         `{"query":`,
		"bad group op":     `{"query":{"operator":"XOR","value":[` + f + `]}}`,
		"empty group":      `{"query":{"operator":"AND","value":[]}}`,
		"per_page string":  `{"query":` + f + `,"pagination":{"per_page":"lots"}}`,
	} {
		r := e.do("POST", "/contacts/search", body)
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400", name, r.status)
			continue
		}
		r.code(t)
	}
	r := e.want(e.do("POST", "/contacts/search", `{"query":`+f+`,"sort":{"field":"created_at","order":"sideways"}}`), 400)
	if r.code(t) != "invalid_sort_order" {
		t.Errorf("bad order: %s", r.body)
	}
	// Error messages never echo searched values.
	r = e.want(e.do("POST", "/contacts/search", `{"query":{"field":"email","operator":"<","value":"secret.person@example.com"}}`), 400)
	if strings.Contains(string(r.body), "secret.person") {
		t.Fatalf("error echoes the searched value: %s", r.body)
	}
}

// TestSearchDates checks day-granular matching in the workspace's time zone (UTC).
func TestSearchDates(t *testing.T) {
	e := newEnv(t, Options{Seed: 4, Contacts: 10})
	ws := e.s.Workspace()
	c := ws.Contacts()[3]
	dayStart := floorDay(c.CreatedAt)
	in := func(q string) bool {
		r := search(t, e, "/contacts/search", fmt.Sprintf(`{"operator":"AND","value":[{"field":"id","operator":"=","value":%q},%s]}`, c.ID, q), "")
		return len(r.Data) == 1
	}
	cases := []struct {
		q    string
		want bool
	}{
		{fmt.Sprintf(`{"field":"created_at","operator":"=","value":%d}`, dayStart+1), true},
		{fmt.Sprintf(`{"field":"created_at","operator":"=","value":%d}`, dayStart+day-1), true},
		{fmt.Sprintf(`{"field":"created_at","operator":"=","value":"%d"}`, dayStart+day), false},
		{fmt.Sprintf(`{"field":"created_at","operator":">","value":%d}`, dayStart-1), true},     // previous day: starts at dayStart
		{fmt.Sprintf(`{"field":"created_at","operator":">","value":%d}`, c.CreatedAt-1), false}, // same day: starts tomorrow
		{fmt.Sprintf(`{"field":"created_at","operator":"<","value":%d}`, c.CreatedAt+1), false}, // same day: before its start
		{fmt.Sprintf(`{"field":"created_at","operator":"<","value":%d}`, dayStart+day), true},
	}
	for _, tc := range cases {
		if got := in(tc.q); got != tc.want {
			t.Errorf("%s: matched %v, want %v (created_at %d)", tc.q, got, tc.want, c.CreatedAt)
		}
	}
}

// TestSearchPagination: the cursor goes in the body; a cursor in the query is ignored
// and page 1 comes back again.
func TestSearchPagination(t *testing.T) {
	e := newEnv(t, Options{Seed: 6, Contacts: 200})
	q := `{"field":"role","operator":"=","value":"user"}`
	first := search(t, e, "/contacts/search", q, `,"pagination":{"per_page":20}`)
	if first.Pages.Next == nil {
		t.Fatal("no next page")
	}
	cur := first.Pages.Next.StartingAfter
	var again contactList
	e.want(e.do("POST", "/contacts/search?starting_after="+cur, `{"query":`+q+`,"pagination":{"per_page":20}}`), 200).json(t, &again)
	if again.Data[0].ID != first.Data[0].ID || again.Pages.Page != 1 {
		t.Fatal("a cursor in the query string was honoured; Intercom ignores it")
	}
	seen := map[string]bool{}
	page := first
	for {
		for _, c := range page.Data {
			if seen[c.ID] || c.Role != "user" {
				t.Fatalf("contact %s repeated or not a user", c.ID)
			}
			seen[c.ID] = true
		}
		if page.Pages.Next == nil {
			break
		}
		page = search(t, e, "/contacts/search", q, `,"pagination":{"per_page":20,"starting_after":"`+page.Pages.Next.StartingAfter+`"}`)
	}
	if len(seen) != first.TotalCount {
		t.Fatalf("walked %d, total_count %d", len(seen), first.TotalCount)
	}
	// Sorting by name descending, paged.
	var names []string
	page = search(t, e, "/contacts/search", q, `,"pagination":{"per_page":25},"sort":{"field":"name","order":"descending"}`)
	for {
		for _, c := range page.Data {
			names = append(names, *c.Name)
		}
		if page.Pages.Next == nil {
			break
		}
		page = search(t, e, "/contacts/search", q, `,"pagination":{"per_page":25,"starting_after":"`+page.Pages.Next.StartingAfter+`"},"sort":{"field":"name","order":"descending"}`)
	}
	if len(names) != first.TotalCount {
		t.Fatalf("sorted walk returned %d of %d", len(names), first.TotalCount)
	}
	for i := 1; i < len(names); i++ {
		if names[i] > names[i-1] {
			t.Fatalf("not descending at %d: %q > %q", i, names[i], names[i-1])
		}
	}
}

func TestArchived(t *testing.T) {
	e := newEnv(t, Options{Seed: 7, Contacts: 50})
	p := e.s.SamplePerson()
	id := p.ArchivedIDs[0]
	e.want(e.do("GET", "/contacts/"+id, nil), 404)
	if r := search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"id","operator":"=","value":%q}`, id), ""); len(r.Data) != 0 {
		t.Fatal("an archived contact appears in search")
	}
	// Archive a live one: it vanishes; unarchive brings it back.
	live := p.LiveContactIDs[1]
	r := e.want(e.do("POST", "/contacts/"+live+"/archive", nil), 200).m(t)
	if r["archived"] != true {
		t.Fatalf("archive answered %v", r)
	}
	e.want(e.do("GET", "/contacts/"+live, nil), 404)
	e.want(e.do("POST", "/contacts/"+live+"/unarchive", nil), 200)
	e.want(e.do("GET", "/contacts/"+live, nil), 200)
	// DELETE still works on the archived contact.
	d := e.want(e.do("DELETE", "/contacts/"+id, nil), 200).m(t)
	if d["deleted"] != true || d["id"] != id {
		t.Fatalf("delete answered %v", d)
	}
	if _, ok := e.s.Workspace().Contact(id); ok || !e.s.Workspace().ContactDeleted(id) {
		t.Fatal("the archived contact is still stored")
	}
	liveCountMatches(t, e)
}

func TestMerged(t *testing.T) {
	e := newEnv(t, Options{Seed: 8, Contacts: 50})
	p := e.s.SamplePerson()
	id := p.MergedIDs[0]
	r := e.want(e.do("GET", "/contacts/"+id, nil), 410)
	if r.code(t) != "contact_merged" || r.h.Get("Link") != "</contacts/"+p.LiveContactIDs[0]+`>; rel="canonical"` {
		t.Fatalf("410 without the canonical Link: %q %s", r.h.Get("Link"), r.body)
	}
	for _, v := range []string{"2.15", "2.14", "2.0"} {
		r := e.want(e.do("GET", "/contacts/"+id, nil, "Intercom-Version", v), 404)
		if r.h.Get("Link") != "" {
			t.Errorf("%s: Link on a 404", v)
		}
	}
	e.want(e.do("GET", "/contacts/"+id, nil, "Intercom-Version", "Preview"), 410)
	if r := search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"id","operator":"=","value":%q}`, id), ""); len(r.Data) != 0 {
		t.Fatal("a merged contact appears in search")
	}
	// Merge through the API: lead into user; the duplicate check needs a shared email.
	lead, user := p.LiveContactIDs[1], p.LiveContactIDs[0]
	other := ""
	for _, c := range e.s.Workspace().Contacts() {
		if c.Role == "user" && c.Email != p.Email && !c.Archived && c.MergedInto == "" {
			other = c.ID
			break
		}
	}
	if r := e.want(e.do("POST", "/contacts/merge", map[string]string{"from": lead, "into": other}), 400); r.code(t) != "invalid_merge" {
		t.Fatal(string(r.body))
	}
	e.want(e.do("POST", "/contacts/merge", map[string]string{"from": user, "into": lead}), 400)
	m := e.want(e.do("POST", "/contacts/merge", map[string]string{"from": lead, "into": user}), 200).m(t)
	if m["id"] != user {
		t.Fatalf("merge answered %v", m["id"])
	}
	e.want(e.do("GET", "/contacts/"+lead, nil), 410)
	if got := e.s.Stats().Effect(EffectContactMerged, lead); got != 1 {
		t.Fatalf("merge effect counted %d", got)
	}
	liveCountMatches(t, e)
}

func TestVersions(t *testing.T) {
	e := newEnv(t, Options{Seed: 9, Contacts: 30})
	p := e.s.SamplePerson()
	if r := e.want(e.do("GET", "/me", nil, "Intercom-Version", "3.7"), 400); r.code(t) != "intercom_version_invalid" {
		t.Fatal(string(r.body))
	}
	if r := e.want(e.do("DELETE", "/conversations/"+p.ConversationIDs[0], nil, "Intercom-Version", "2.12"), 400); r.code(t) != "intercom_version_invalid" {
		t.Fatal(string(r.body))
	}
	if _, ok := e.s.Workspace().Conversation(p.ConversationIDs[0]); !ok {
		t.Fatal("a refused delete deleted")
	}
	e.want(e.do("GET", "/contacts", nil, "Intercom-Version", "1.4"), 400)
	e.want(e.do("GET", "/me", nil, "Intercom-Version", "1.4"), 200)
	e.want(e.do("DELETE", "/conversations/"+p.ConversationIDs[0], nil, "Intercom-Version", "2.13"), 200)
	e.want(e.do("GET", "/contacts", nil, "Intercom-Version", ""), 200) // the app's default version
}

func TestDeleteCascades(t *testing.T) {
	e := newEnv(t, Options{Seed: 10, Contacts: 100})
	ws := e.s.Workspace()
	p := e.s.SamplePerson()
	id := p.LiveContactIDs[0]
	convs := ws.ConversationsOf(id)
	var opened, joined []string
	for _, cid := range convs {
		c, _ := ws.Conversation(cid)
		if c.ContactIDs[0] == id {
			opened = append(opened, cid)
		} else {
			joined = append(joined, cid)
		}
	}
	if len(opened) == 0 || len(joined) == 0 || len(ws.Notes(id)) == 0 || len(ws.Events(id)) == 0 {
		t.Fatalf("sample user lacks data: opened %d joined %d notes %d events %d", len(opened), len(joined), len(ws.Notes(id)), len(ws.Events(id)))
	}
	e.want(e.do("DELETE", "/contacts/"+id, nil), 200)
	for _, cid := range opened {
		e.want(e.do("GET", "/conversations/"+cid, nil), 404)
	}
	for _, cid := range joined { // a thread another customer opened stays, without the deleted contact
		c, ok := ws.Conversation(cid)
		if !ok {
			t.Fatalf("shared conversation %s deleted", cid)
		}
		for _, x := range c.ContactIDs {
			if x == id {
				t.Fatalf("shared conversation %s still names the deleted contact", cid)
			}
		}
	}
	if len(ws.Notes(id)) != 0 || len(ws.Events(id)) != 0 {
		t.Fatal("notes or events survived the delete")
	}
	e.want(e.do("GET", "/contacts/"+id, nil), 404)
	e.want(e.do("GET", "/contacts/find_by_external_id/"+p.ExternalID, nil), 404)
	if r := search(t, e, "/contacts/search", fmt.Sprintf(`{"field":"id","operator":"=","value":%q}`, id), ""); len(r.Data) != 0 {
		t.Fatal("deleted contact found")
	}
	// Deleting again is a 404, and the effect was counted once.
	if r := e.want(e.do("DELETE", "/contacts/"+id, nil), 404); r.code(t) != "not_found" {
		t.Fatal(string(r.body))
	}
	st := e.s.Stats()
	if st.Effect(EffectContactDeleted, id) != 1 || len(st.Repeated(EffectContactDeleted)) != 0 {
		t.Fatalf("delete effects %v", st.Effects[EffectContactDeleted])
	}
	if st.Endpoints["DELETE /contacts/{id}"].Calls != 2 || st.Endpoints["DELETE /contacts/{id}"].Status[404] != 1 {
		t.Fatalf("endpoint stats %+v", st.Endpoints["DELETE /contacts/{id}"])
	}
}

func TestSubResources(t *testing.T) {
	e := newEnv(t, Options{Seed: 12, Contacts: 100})
	p := e.s.SamplePerson()
	ws := e.s.Workspace()
	id := p.LiveContactIDs[0]
	c, _ := ws.Contact(id)
	var tags struct{ Data []tagJSON }
	e.want(e.do("GET", "/contacts/"+id+"/tags", nil), 200).json(t, &tags)
	if len(tags.Data) != len(c.TagIDs) {
		t.Errorf("tags %d, want %d", len(tags.Data), len(c.TagIDs))
	}
	var notes struct {
		Data []struct{ ID, Body string }
	}
	e.want(e.do("GET", "/contacts/"+id+"/notes", nil), 200).json(t, &notes)
	if len(notes.Data) != len(ws.Notes(id)) || len(notes.Data) == 0 {
		t.Errorf("notes %d, want %d", len(notes.Data), len(ws.Notes(id)))
	}
	var subs struct {
		Data []struct {
			ID          string `json:"id"`
			ConsentType string `json:"consent_type"`
		}
	}
	e.want(e.do("GET", "/contacts/"+id+"/subscriptions", nil), 200).json(t, &subs)
	if len(subs.Data) != len(c.Subscriptions) {
		t.Errorf("subscriptions %d, want %d", len(subs.Data), len(c.Subscriptions))
	}
	var comps struct{ Data []map[string]any }
	e.want(e.do("GET", "/contacts/"+id+"/companies", nil), 200).json(t, &comps)
	if len(comps.Data) != len(c.CompanyIDs) {
		t.Errorf("companies %d, want %d", len(comps.Data), len(c.CompanyIDs))
	}
	var segs struct{ Data []map[string]any }
	e.want(e.do("GET", "/contacts/"+id+"/segments", nil), 200).json(t, &segs)
	if len(segs.Data) != len(c.SegmentIDs) {
		t.Errorf("segments %d, want %d", len(segs.Data), len(c.SegmentIDs))
	}
	if r := e.want(e.do("GET", "/contacts/"+p.ArchivedIDs[0]+"/notes", nil), 404); r.code(t) != "not_found" {
		t.Error(string(r.body))
	}
	e.want(e.do("GET", "/contacts/"+id+"/shoes", nil), 404)
	_ = time.Second
}

func mustRE(s string) *regexpT { return regexpMust(s) }

func ids2(l contactList) []string {
	var out []string
	for _, c := range l.Data {
		out = append(out, c.ID)
	}
	return out
}

func TestMergeHistory(t *testing.T) {
	e := newEnv(t, Options{Seed: 30, Contacts: 40})
	p := e.s.AddPerson(PersonSpec{Users: 1, Leads: 1, Merged: 3})
	user := p.LiveContactIDs[0]
	var h struct {
		Type       string             `json:"type"`
		Data       []mergeHistoryItem `json:"data"`
		NextCursor *string            `json:"next_cursor"`
		HasMore    bool               `json:"has_more"`
	}
	var got []string
	cursor := ""
	for {
		h.Data, h.NextCursor = nil, nil
		e.want(e.do("GET", "/contacts/"+user+"/merge_history?per_page=2"+cursor, nil), 200).json(t, &h)
		for i, it := range h.Data {
			got = append(got, it.SourceContactID)
			if it.SourceContactRole != "lead" || (i > 0 && it.MergedAt > h.Data[i-1].MergedAt) {
				t.Fatalf("item %+v (want leads, newest first)", it)
			}
		}
		if !h.HasMore {
			break
		}
		cursor = "&cursor=" + *h.NextCursor
	}
	if len(got) != 3 || !slices.Contains(got, p.MergedIDs[0]) || !slices.Contains(got, p.MergedIDs[2]) {
		t.Fatalf("merge history %v, want %v", got, p.MergedIDs)
	}
	// Merge one more through the API: it shows up first.
	e.want(e.do("POST", "/contacts/merge", map[string]string{"from": p.LiveContactIDs[1], "into": user}), 200)
	e.want(e.do("GET", "/contacts/"+user+"/merge_history", nil), 200).json(t, &h)
	if len(h.Data) != 4 || h.Data[0].SourceContactID != p.LiveContactIDs[1] {
		t.Fatalf("after an API merge: %+v", h.Data)
	}
	var c contactJSON
	e.want(e.do("GET", "/contacts/"+user+"?include_merge_history=true", nil), 200).json(t, &c)
	if len(c.MergeHistory) != 4 {
		t.Fatalf("include_merge_history: %d items", len(c.MergeHistory))
	}
	c = contactJSON{}
	e.want(e.do("GET", "/contacts/"+user, nil), 200).json(t, &c)
	if c.MergeHistory != nil {
		t.Fatal("merge_history without include_merge_history=true")
	}
	e.want(e.do("GET", "/contacts/"+user+"/merge_history", nil, "Intercom-Version", "2.15"), 400)
	e.want(e.do("GET", "/contacts/"+p.LiveContactIDs[1]+"/merge_history", nil), 410) // merged away now
	lead := e.s.AddPerson(PersonSpec{Leads: 1}).LiveContactIDs[0]
	e.want(e.do("GET", "/contacts/"+lead+"/merge_history", nil), 404)
	e.want(e.do("GET", "/contacts/"+user+"/merge_history?order=sideways", nil), 400)
}

func TestContactsOnly(t *testing.T) {
	s, err := New(Options{Seed: 31, Contacts: 500, ContactsOnly: true, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	ws := s.Workspace()
	p := s.SamplePerson()
	if n := len(ws.Contacts()); n != 500+len(p.ContactIDs) {
		t.Fatalf("%d contacts", n)
	}
	if n := len(ws.Conversations()); n != len(p.ConversationIDs) {
		t.Fatalf("%d conversations, want only the sample person's %d", n, len(p.ConversationIDs))
	}
}
