package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// listPage is requests.html: requests with filters, and the identifier search.
type listPage struct {
	base
	Filter listFilter
	Rows   []requestRow
	// More is set when the list stopped at listLimit.
	More bool
	// Searched is set when Rows are the result of an identifier search (the
	// identifier is never shown back, nor put in an address).
	Searched bool
	// CanSearch: the role may search by identifier.
	CanSearch bool
	// Problem explains a filter value that was refused.
	Problem                      string
	States, Types, Jurisdictions []option
}

// listFilter is the filter form's values.
type listFilter struct {
	State, Type, Jurisdiction, DueBefore string
	Overdue                              bool
}

type option struct{ Value, Label string }

// listLimit is how many requests one list page shows.
const listLimit = 200

// requestList shows requests, earliest received first, filtered by state,
// type, law, due date and whether overdue (GET, so a filtered list is a link).
func (h *Handler) requestList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := listFilter{State: q.Get("state"), Type: q.Get("type"), Jurisdiction: q.Get("jurisdiction"),
		DueBefore: q.Get("due_before"), Overdue: q.Get("overdue") == "1"}
	p := h.newListPage(r, f)
	sf, none, err := f.storeFilter(h.now())
	if err != nil {
		p.Problem = err.Error()
		render(h, w, r, http.StatusUnprocessableEntity, h.views.list, p)
		return
	}
	if !none {
		ls, err := h.DSAR.List(r.Context(), sf)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		h.fillRows(p, ls, f)
	}
	render(h, w, r, http.StatusOK, h.views.list, p)
}

// requestSearch finds the requests of the person an identifier names,
// through the blind index (no plain identifier is stored or looked up). It
// is a POST so that the identifier never appears in an address, a log line
// or the browser's history.
func (h *Handler) requestSearch(w http.ResponseWriter, r *http.Request) {
	p := h.newListPage(r, listFilter{})
	p.Searched = true
	ids, err := identifierOf(r.PostFormValue("identifier"))
	if err == nil {
		var ref string
		if ref, err = ids.SubjectRef(h.DSAR.Vault); err == nil {
			var ls []dsar.Listed
			if ls, err = h.DSAR.List(r.Context(), store.RequestFilter{SubjectRef: ref, Limit: listLimit + 1}); err == nil {
				h.fillRows(p, ls, listFilter{})
			}
		}
	}
	if err != nil {
		status, _, msg := classify(err)
		if status == http.StatusInternalServerError {
			h.failErr(w, r, err)
			return
		}
		p.Problem = msg
		render(h, w, r, status, h.views.list, p)
		return
	}
	render(h, w, r, http.StatusOK, h.views.list, p)
}

// identifierOf reads a typed identifier: an email address (it has an @), a
// phone number (digits, spaces and + - ( ) only), otherwise an external id.
func identifierOf(s string) (dsar.Identifiers, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return dsar.Identifiers{}, fmt.Errorf("%w: type an email address, a phone number or an external id", errInput)
	case len(s) > 320:
		return dsar.Identifiers{}, fmt.Errorf("%w: the identifier is longer than any email address (320 characters)", errInput)
	case strings.Contains(s, "@"):
		return dsar.Identifiers{Emails: []string{s}}, nil
	case strings.Trim(s, "+0123456789 -()") == "" && strings.ContainsAny(s, "0123456789"):
		return dsar.Identifiers{Phones: []string{s}}, nil
	default:
		return dsar.Identifiers{ExternalIDs: []string{s}}, nil
	}
}

func (h *Handler) newListPage(r *http.Request, f listFilter) *listPage {
	p := &listPage{base: h.base(r, "Requests", routeList), Filter: f,
		CanSearch: h.allowed(principal(r).Role, routeSearch)}
	p.States = []option{{"", "Any state"}}
	for _, s := range allStates {
		p.States = append(p.States, option{string(s), strings.ReplaceAll(string(s), "_", " ")})
	}
	p.Types = append([]option{{"", "Any type"}}, typeOptions...)
	p.Jurisdictions = append([]option{{"", "Any law"}}, jurisdictionOptions()...)
	return p
}

// typeOptions are the request types as the forms offer them.
var typeOptions = []option{
	{string(store.RequestAccess), "Access"},
	{string(store.RequestErasure), "Erasure"},
	{string(store.RequestAccessErasure), "Access and erasure"},
}

// jurisdictionOptions are the laws of deadline's rules table.
func jurisdictionOptions() []option {
	var out []option
	for _, r := range deadline.AllRules() {
		out = append(out, option{string(r.Jurisdiction), r.Name})
	}
	return out
}

// storeFilter checks the filter's values and builds the store's filter; none
// is set when the filter cannot match anything (overdue and finished).
func (f listFilter) storeFilter(now time.Time) (sf store.RequestFilter, none bool, err error) {
	sf = store.RequestFilter{Limit: listLimit + 1}
	if f.State != "" {
		st := store.RequestState(f.State)
		if !slices.Contains(allStates, st) {
			return sf, false, fmt.Errorf("%w: choose a state from the list", errInput)
		}
		sf.States = []store.RequestState{st}
	}
	if f.Type != "" {
		t := store.RequestType(f.Type)
		if !slices.ContainsFunc(typeOptions, func(o option) bool { return o.Value == f.Type }) {
			return sf, false, fmt.Errorf("%w: choose a type from the list", errInput)
		}
		sf.Types = []store.RequestType{t}
	}
	if f.Jurisdiction != "" {
		if _, err := deadline.ParseJurisdiction(f.Jurisdiction); err != nil {
			return sf, false, fmt.Errorf("%w: choose a law from the list", errInput)
		}
	}
	if f.DueBefore != "" {
		d, err := time.Parse("2006-01-02", f.DueBefore)
		if err != nil {
			return sf, false, fmt.Errorf("%w: write the due date as 2026-01-31", errInput)
		}
		sf.DueBefore = d.AddDate(0, 0, 1) // before the end of that day
	}
	if f.Overdue {
		if sf.DueBefore.IsZero() || now.Before(sf.DueBefore) {
			sf.DueBefore = now
		}
		if len(sf.States) == 0 {
			sf.States = openStates
		} else if dsar.Finished(sf.States[0]) {
			return sf, true, nil // a finished request is never overdue
		}
	}
	return sf, false, nil
}

// fillRows keeps the listed requests the filter's law keeps (the store's
// filter has no law), up to listLimit.
func (h *Handler) fillRows(p *listPage, ls []dsar.Listed, f listFilter) {
	now := h.now()
	for _, l := range ls {
		if f.Jurisdiction != "" && !strings.EqualFold(l.Jurisdiction, f.Jurisdiction) {
			continue
		}
		if len(p.Rows) == listLimit {
			p.More = true
			break
		}
		p.Rows = append(p.Rows, h.row(l, now))
	}
}
