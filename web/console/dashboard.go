package console

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// dashboardPage is dashboard.html: the open requests by legal due date and
// the counts per state.
type dashboardPage struct {
	base
	Overdue, DueSoon, Unverified, Paused, AwaitingApproval dashList
	Counts                                                 []stateCount
}

// dashList is one list of the dashboard: at most sectionCap rows, earliest
// due first, and the filtered list that shows them all when there are more.
type dashList struct {
	Rows []requestRow
	// More links to the full list when the section stopped at sectionCap.
	More string
	// Cap is sectionCap, for the page to say how many it shows.
	Cap int
	// Total is how many the section holds when the counts per state give it
	// (the requests received or awaiting approval), 0 when unknown.
	Total int64
}

// requestRow is one request in a list: ids, dates and state, never an
// identifier.
type requestRow struct {
	ID, Type, Jurisdiction, State string
	Received, Due                 time.Time
	// Remaining says how long until the due date, or how long past it.
	Remaining string
	Overdue   bool
	// Why says why a request is listed (a pause's reason and fix).
	Why string
}

type stateCount struct {
	State string
	N     int64
}

// sectionCap bounds each list of the dashboard: each is one query of at
// most sectionCap+1 rows on an indexed filter, whatever the store holds, and
// the page at most five times sectionCap rows (rendering 1,000 rows cost 13 ms
// of CPU); the full lists are a click away, paginated.
const sectionCap = 25

var openStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}

var allStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress,
	store.StateCompleted, store.StateDenied, store.StateCancelled}

// dashboard lists the open requests a privacy team must act on, earliest due
// first: overdue, due within 7 days, waiting for identity verification,
// paused (and why), awaiting approval; and the number of requests per state.
// Each list is one bounded query on an indexed filter (the paused ones one
// join of the pending pause steps to their requests), and the counts a read
// of the counters the store keeps, so the page costs the same with a hundred
// requests or a hundred thousand.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now()
	p := &dashboardPage{base: h.base(r, "Dashboard", routeDashboard)}
	counts, err := h.DSAR.Store.CountRequestsByState(ctx)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	for _, st := range allStates {
		p.Counts = append(p.Counts, stateCount{State: string(st), N: counts[st]})
	}
	section := func(ls []dsar.Listed, more string, why func(i int) string) dashList {
		s := dashList{Cap: sectionCap}
		if len(ls) > sectionCap {
			ls, s.More = ls[:sectionCap], more
		}
		rows := make([]requestRow, len(ls))
		for i, l := range ls {
			rows[i] = h.row(l, now)
			if why != nil {
				rows[i].Why = why(i)
			}
		}
		slices.SortStableFunc(rows, func(a, b requestRow) int { return a.Due.Compare(b.Due) })
		s.Rows = rows
		return s
	}
	list := func(f store.RequestFilter, more string) dashList {
		if err != nil {
			return dashList{}
		}
		f.Limit = sectionCap + 1
		var ls []dsar.Listed
		if ls, err = h.DSAR.List(ctx, f); err != nil {
			return dashList{}
		}
		return section(ls, more, nil)
	}
	p.Overdue = list(store.RequestFilter{OverdueAt: now}, "/requests?overdue=1")
	p.DueSoon = list(dueSoon(now), "/requests?due_before="+now.Add(7*24*time.Hour).Format("2006-01-02"))
	p.Unverified = list(store.RequestFilter{States: []store.RequestState{store.StateReceived}}, "/requests?state=received")
	p.Unverified.Total = counts[store.StateReceived]
	p.AwaitingApproval = list(store.RequestFilter{States: []store.RequestState{store.StateAwaitingApproval}}, "/requests?state=awaiting_approval")
	p.AwaitingApproval.Total = counts[store.StateAwaitingApproval]
	if err == nil {
		var paused []dsar.PausedRequest
		if paused, err = h.DSAR.ListPaused(ctx, sectionCap+1); err == nil {
			ls := make([]dsar.Listed, len(paused))
			for i, x := range paused {
				ls[i] = x.Listed
			}
			p.Paused = section(ls, "/requests?state=in_progress", func(i int) string { return pauseText(paused[i].Pause) })
		}
	}
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	render(h, w, r, http.StatusOK, h.views.dashboard, p)
}

// dueSoon is the dashboard's "due within 7 days" filter: the open requests
// whose due date falls in [now, now+7 days). The window, rather than "due
// before now+7 days" with the overdue ones dropped afterwards, keeps the
// section right when more than sectionCap requests are overdue (they would
// fill the page and leave it empty) and lets the due date index read only
// the week (a scan of every open request before it).
func dueSoon(now time.Time) store.RequestFilter {
	return store.RequestFilter{States: openStates, DueFrom: now, DueBefore: now.Add(7 * 24 * time.Hour)}
}

// effectiveDue is the due date in force: the extended one if extended.
func effectiveDue(r store.Request) time.Time { return cmp.Or(r.ExtendedDueAt, r.DueAt) }

// row builds a list row from a listed request.
func (h *Handler) row(l dsar.Listed, now time.Time) requestRow {
	due := effectiveDue(l.Request)
	row := requestRow{ID: l.ID, Type: string(l.Type), Jurisdiction: l.Jurisdiction, State: string(l.State),
		Received: l.ReceivedAt, Due: due}
	if !dsar.Finished(l.State) {
		row.Remaining = fmtRemaining(due.Sub(now))
		row.Overdue = now.After(due)
	}
	return row
}

// pauseText says why a request is paused and what fixes it.
func pauseText(p dsar.Pause) string {
	return p.Reason + " since " + fmtDateTime(p.Since) + ": " + p.Fix()
}
