package console

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// dashboardPage is dashboard.html: the open requests by legal due date and
// the counts per state.
type dashboardPage struct {
	base
	Overdue, DueSoon, Unverified, Paused, AwaitingApproval []requestRow
	Counts                                                 []stateCount
	// Capped is set when there were more open requests than the dashboard
	// reads (the lists then show the earliest due).
	Capped bool
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
	N     int
	// More is set when N is a lower bound (the count stopped at the cap).
	More bool
}

// dashboardCap bounds how many open requests the dashboard reads.
const dashboardCap = 1000

var openStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}

var allStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress,
	store.StateCompleted, store.StateDenied, store.StateCancelled}

// dashboard lists the open requests a privacy team must act on, earliest due
// first: overdue, due within 7 days, waiting for identity verification,
// paused (and why), awaiting approval; and the number of requests per state.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.now()
	open, err := h.DSAR.List(ctx, store.RequestFilter{States: openStates, Limit: dashboardCap + 1})
	if err != nil {
		h.failErr(w, r, err)
		return
	}
	p := &dashboardPage{base: h.base(r, "Dashboard", routeDashboard)}
	if len(open) > dashboardCap {
		p.Capped, open = true, open[:dashboardCap]
	}
	slices.SortStableFunc(open, func(a, b dsar.Listed) int { return effectiveDue(a.Request).Compare(effectiveDue(b.Request)) })
	for _, l := range open {
		row := h.row(l, now)
		switch {
		case l.Status.State == deadline.Overdue || row.Overdue:
			p.Overdue = append(p.Overdue, row)
		case effectiveDue(l.Request).Sub(now) <= 7*24*time.Hour:
			p.DueSoon = append(p.DueSoon, row)
		}
		switch l.State {
		case store.StateReceived:
			p.Unverified = append(p.Unverified, row)
		case store.StateAwaitingApproval:
			p.AwaitingApproval = append(p.AwaitingApproval, row)
		}
		if l.State == store.StateInProgress {
			pause, paused, err := h.DSAR.Paused(ctx, l.ID)
			if err != nil {
				h.failErr(w, r, err)
				return
			}
			if paused {
				row.Why = pauseText(pause)
				p.Paused = append(p.Paused, row)
			}
		}
	}
	for _, st := range allStates {
		n, more, err := h.countState(r, st)
		if err != nil {
			h.failErr(w, r, err)
			return
		}
		p.Counts = append(p.Counts, stateCount{State: string(st), N: n, More: more})
	}
	render(h, w, r, http.StatusOK, h.views.dashboard, p)
}

// countState counts the requests in state st, up to countCap.
func (h *Handler) countState(r *http.Request, st store.RequestState) (int, bool, error) {
	rs, err := h.DSAR.Store.ListRequests(r.Context(), store.RequestFilter{States: []store.RequestState{st}, Limit: countCap + 1})
	if err != nil {
		return 0, false, err
	}
	if len(rs) > countCap {
		return countCap, true, nil
	}
	return len(rs), false, nil
}

// countCap bounds a count per state on the dashboard.
const countCap = 10000

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
