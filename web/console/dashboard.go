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
// most sectionCap+1 rows on an indexed filter, whatever the store holds.
const sectionCap = 200

var openStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}

var allStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress,
	store.StateCompleted, store.StateDenied, store.StateCancelled}

// dashboard lists the open requests a privacy team must act on, earliest due
// first: overdue, due within 7 days, waiting for identity verification,
// paused (and why), awaiting approval; and the number of requests per state.
// Each list is one bounded query on an indexed filter, and the counts one
// grouped query, so the page costs the same with a hundred requests or a
// hundred thousand.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now()
	p := &dashboardPage{base: h.base(r, "Dashboard", routeDashboard)}
	var err error
	list := func(f store.RequestFilter, more string, keep func(dsar.Listed) (bool, string)) dashList {
		if err != nil {
			return dashList{}
		}
		f.Limit = sectionCap + 1
		var ls []dsar.Listed
		if ls, err = h.DSAR.List(ctx, f); err != nil {
			return dashList{}
		}
		var s dashList
		if len(ls) > sectionCap {
			ls, s.More = ls[:sectionCap], more
		}
		slices.SortStableFunc(ls, func(a, b dsar.Listed) int { return effectiveDue(a.Request).Compare(effectiveDue(b.Request)) })
		for _, l := range ls {
			ok, why := true, ""
			if keep != nil {
				ok, why = keep(l)
			}
			if ok {
				row := h.row(l, now)
				row.Why = why
				s.Rows = append(s.Rows, row)
			}
		}
		return s
	}
	p.Overdue = list(store.RequestFilter{OverdueAt: now}, "/requests?overdue=1", nil)
	p.DueSoon = list(dueSoon(now), "/requests?due_before="+now.Add(7*24*time.Hour).Format("2006-01-02"), nil)
	p.Unverified = list(store.RequestFilter{States: []store.RequestState{store.StateReceived}}, "/requests?state=received", nil)
	p.AwaitingApproval = list(store.RequestFilter{States: []store.RequestState{store.StateAwaitingApproval}}, "/requests?state=awaiting_approval", nil)
	p.Paused = list(store.RequestFilter{States: []store.RequestState{store.StateInProgress}}, "/requests?state=in_progress",
		func(l dsar.Listed) (bool, string) {
			pause, paused, perr := h.DSAR.Paused(ctx, l.ID)
			if perr != nil {
				err = perr
			}
			if !paused {
				return false, ""
			}
			return true, pauseText(pause)
		})
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	counts, err := h.DSAR.Store.CountRequestsByState(ctx)
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	for _, st := range allStates {
		p.Counts = append(p.Counts, stateCount{State: string(st), N: counts[st]})
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
