package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// listPage is requests.html: requests with filters, and the identifier search.
type listPage struct {
	base
	Filter listFilter
	Rows   []requestRow
	// Next is the address of the next page ("" on the last).
	Next string
	// Searched is set when Rows are the result of an identifier search (the
	// identifier is never shown back, nor put in an address).
	Searched bool
	// CanSearch: the role may search by identifier.
	CanSearch bool
	// Problem explains a filter value that was refused.
	Problem                                  string
	States, Types, Jurisdictions, IdentKinds []option
}

// listFilter is the filter form's values.
type listFilter struct {
	State, Type, Jurisdiction, DueBefore, Assignee string
	Overdue                                        bool
	Cursor                                         string
}

type option struct{ Value, Label string }

// listLimit is how many requests one list page shows.
const listLimit = 100

// requestList shows requests, earliest received first, filtered by state,
// type, law, due date, assignee and whether overdue (GET, so a filtered list
// is a link), a page at a time (keyset cursor).
func (h *Handler) requestList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := listFilter{State: q.Get("state"), Type: q.Get("type"), Jurisdiction: q.Get("jurisdiction"),
		DueBefore: q.Get("due_before"), Overdue: q.Get("overdue") == "1", Assignee: strings.TrimSpace(q.Get("assignee")),
		Cursor: q.Get("after")}
	p := h.newListPage(r, f)
	sf, err := f.storeFilter(h.now())
	if err != nil {
		status, _, msg := classify(err)
		p.Problem = msg
		render(h, w, r, status, h.views.list, p)
		return
	}
	if err := h.fillRows(r, p, sf, f); err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, http.StatusOK, h.views.list, p)
}

// identKinds are the kinds of identifier the search offers.
var identKinds = []option{{"", "Email address (or guess)"}, {"email", "Email address"}, {"phone", "Phone number"},
	{"external_id", "External id"}, {"contact_id", "Intercom contact id"}}

// requestSearch finds the requests filed with an identifier, through its
// blind index (no plain identifier is stored or looked up). It is a POST so
// that the identifier never appears in an address, a log line or the
// browser's history.
func (h *Handler) requestSearch(w http.ResponseWriter, r *http.Request) {
	if !h.readForm(w, r) {
		return
	}
	p := h.newListPage(r, listFilter{})
	p.Searched = true
	kind := r.PostFormValue("kind")
	if !slices.ContainsFunc(identKinds, func(o option) bool { return o.Value == kind }) {
		kind = "?"
	}
	value := strings.TrimSpace(r.PostFormValue("identifier"))
	if kind == "" && !strings.Contains(value, "@") {
		kind = guessKind(value)
	}
	ref, err := h.DSAR.IdentifierRef(kind, value)
	if err == nil {
		err = h.fillRows(r, p, store.RequestFilter{IdentifierRef: ref}, listFilter{})
		p.Next = "" // a search result is one page: narrow it with the filters
	}
	if err != nil {
		status, _, msg := classify(err)
		if status >= 500 {
			h.failErr(w, r, err)
			return
		}
		p.Problem = msg
		render(h, w, r, status, h.views.list, p)
		return
	}
	render(h, w, r, http.StatusOK, h.views.list, p)
}

// guessKind reads an identifier typed without a kind and without an @: a
// phone number when it is digits, spaces and + - ( ) only, else an external
// id.
func guessKind(s string) string {
	if s != "" && strings.Trim(s, "+0123456789 -().") == "" && strings.ContainsAny(s, "0123456789") {
		return "phone"
	}
	return "external_id"
}

func (h *Handler) newListPage(r *http.Request, f listFilter) *listPage {
	p := &listPage{base: h.base(r, "Requests", routeList), Filter: f,
		CanSearch: h.allowed(principal(r).Role, routeSearch), IdentKinds: identKinds}
	p.States = []option{{"", "Any state"}}
	for _, s := range allStates {
		p.States = append(p.States, option{string(s), strings.ReplaceAll(string(s), "_", " ")})
	}
	p.Types = append([]option{{"", "Any type"}}, allTypeOptions...)
	p.Jurisdictions = append([]option{{"", "Any law"}}, jurisdictionOptions()...)
	return p
}

// typeOptions are the request types the new-request form files (the other
// rights need more than identifiers: the CLI and the API file them).
var typeOptions = []option{
	{string(store.RequestAccess), "Access"},
	{string(store.RequestErasure), "Erasure"},
	{string(store.RequestAccessErasure), "Access and erasure"},
}

// allTypeOptions are every request type, for the list's filter.
var allTypeOptions = append(slices.Clone(typeOptions),
	option{string(store.RequestCorrection), "Correction"},
	option{string(store.RequestRestriction), "Restriction"},
	option{string(store.RequestLiftRestriction), "Lifting a restriction"},
	option{string(store.RequestObjection), "Objection"},
	option{string(store.RequestAppeal), "Appeal"},
)

// jurisdictionOptions are the laws of deadline's rules table.
func jurisdictionOptions() []option {
	var out []option
	for _, r := range deadline.AllRules() {
		out = append(out, option{string(r.Jurisdiction), r.Name})
	}
	return out
}

// storeFilter checks the filter's values and builds the store's filter.
func (f listFilter) storeFilter(now time.Time) (store.RequestFilter, error) {
	var sf store.RequestFilter
	if f.State != "" {
		st := store.RequestState(f.State)
		if !slices.Contains(allStates, st) {
			return sf, fmt.Errorf("%w: choose a state from the list", errInput)
		}
		sf.States = []store.RequestState{st}
	}
	if f.Type != "" {
		if !slices.ContainsFunc(allTypeOptions, func(o option) bool { return o.Value == f.Type }) {
			return sf, fmt.Errorf("%w: choose a type from the list", errInput)
		}
		sf.Types = []store.RequestType{store.RequestType(f.Type)}
	}
	if f.Jurisdiction != "" {
		j, err := deadline.ParseJurisdiction(f.Jurisdiction)
		if err != nil {
			return sf, fmt.Errorf("%w: choose a law from the list", errInput)
		}
		sf.Jurisdictions = []string{string(j)}
	}
	if f.DueBefore != "" {
		d, err := time.Parse("2006-01-02", f.DueBefore)
		if err != nil {
			return sf, fmt.Errorf("%w: write the due date as 2026-01-31", errInput)
		}
		sf.DueBefore = d.AddDate(0, 0, 1) // before the end of that day
	}
	if f.Overdue {
		sf.OverdueAt = now
	}
	if f.Assignee != "" {
		a := f.Assignee
		if !strings.HasPrefix(a, "user:") {
			a = "user:" + a
		}
		sf.Assignee = a
	}
	if f.Cursor != "" {
		c, err := store.ParseRequestCursor(f.Cursor)
		if err != nil {
			return sf, fmt.Errorf("%w: the page link is damaged; start again from the first page", errInput)
		}
		sf.After = &c
	}
	return sf, nil
}

// fillRows lists one page of the requests sf keeps, with the link to the
// next page.
func (h *Handler) fillRows(r *http.Request, p *listPage, sf store.RequestFilter, f listFilter) error {
	sf.Limit = listLimit + 1
	ls, err := h.DSAR.List(r.Context(), sf)
	if err != nil {
		return err
	}
	if len(ls) > listLimit {
		ls = ls[:listLimit]
		q := url.Values{}
		for k, v := range map[string]string{"state": f.State, "type": f.Type, "jurisdiction": f.Jurisdiction,
			"due_before": f.DueBefore, "assignee": f.Assignee} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if f.Overdue {
			q.Set("overdue", "1")
		}
		q.Set("after", store.CursorAfter(ls[len(ls)-1].Request).Encode())
		p.Next = "/requests?" + q.Encode()
	}
	now := h.now()
	for _, l := range ls {
		p.Rows = append(p.Rows, h.row(l, now))
	}
	return nil
}
