package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/jobs"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// openStates are the states of a request that is not finished.
var openStates = []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}

// OpenFor returns the oldest open request (received, verified or in progress) of
// type typ for the same person as ids, found through the subject reference of ids'
// primary identifier (a keyed HMAC: no identifier is compared in clear in the
// store), and whether it was filed with exactly the same identifiers. It returns
// ErrNotFound when there is none. Filing the same request twice (a command run
// again after Ctrl-C or a crash) attaches to the first instead of filing a second.
func (s *Service) OpenFor(ctx context.Context, typ store.RequestType, ids Identifiers) (store.Request, bool, error) {
	norm, err := ids.Normalized()
	if err != nil {
		return store.Request{}, false, err
	}
	ref, err := norm.SubjectRef(s.Vault)
	if err != nil {
		return store.Request{}, false, err
	}
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: openStates, SubjectRef: ref, Types: []store.RequestType{typ}, Limit: 10})
	if err != nil {
		return store.Request{}, false, err
	}
	if len(rs) == 0 {
		return store.Request{}, false, fmt.Errorf("%w: no open request of this type for this person", ErrNotFound)
	}
	r := rs[0]
	got, err := s.Identifiers(ctx, r)
	if err != nil {
		return r, false, err
	}
	got, err = got.Normalized()
	if err != nil {
		return r, false, err
	}
	return r, sameIdentifiers(got, norm), nil
}

func sameIdentifiers(a, b Identifiers) bool {
	eq := func(x, y []string) bool {
		x, y = slices.Clone(x), slices.Clone(y)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	return eq(a.Emails, b.Emails) && eq(a.Phones, b.Phones) && eq(a.ExternalIDs, b.ExternalIDs) && eq(a.ContactIDs, b.ContactIDs)
}

// Pause is why a request is paused, as recorded in its "_pause" step.
type Pause struct {
	// Reason is PauseUnauthorized, PauseForbidden or PauseLegalHold.
	Reason string
	// Since is when the request was paused.
	Since time.Time
	// Holds are the legal holds that stopped an erasure (PauseLegalHold),
	// each with its basis as the person is told it under the request's law.
	Holds []PausedHold
}

// PausedHold is a legal hold that stopped an erasure.
type PausedHold struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// Basis is the hold's basis code (empty when none was given); Citation
	// and Text are that basis under the request's law.
	Basis    string `json:"basis,omitempty"`
	Citation string `json:"citation,omitempty"`
	Text     string `json:"text,omitempty"`
}

// Fix says what the operator must do to resume a request paused for this reason.
func (p Pause) Fix() string {
	if p.Reason == PauseLegalHold {
		ids := make([]string, 0, len(p.Holds))
		for _, h := range p.Holds {
			ids = append(ids, h.ID)
		}
		return "a legal hold stops this erasure (" + strings.Join(ids, ", ") + "); it resumes once released (`intercom-privacy retention hold release ID`)"
	}
	if p.Reason == PauseUpdateRefused {
		return "Intercom refused a correction's or a mark's update as invalid or conflicting (e.g. another user took the new email meanwhile): fix the value or the contact in Intercom and the request resumes, or deny it (dsar deny ID --reason ...)"
	}
	if p.Reason == PauseForbidden {
		return "the Intercom access token lacks a permission (scope) this request needs: grant it to the Intercom app (for deleting conversations with erasure.retain_metrics false: delete_conversations_and_metrics)"
	}
	return "Intercom refuses the access token: set INTERCOM_ACCESS_TOKEN (or INTERCOM_TOKEN_FILE) to a valid token of the app; check with `intercom-privacy me`"
}

// Paused reports whether request id is paused, and why.
func (s *Service) Paused(ctx context.Context, id string) (Pause, bool, error) {
	st, found, err := stepOf(ctx, s.Store, id, stepPause)
	if err != nil || !found || st.State != store.StepPending {
		return Pause{}, false, err
	}
	var req store.Request
	if pauseHolds(st) {
		if req, err = s.Get(ctx, id); err != nil {
			return Pause{}, false, err
		}
	}
	return pauseOf(req, st), true, nil
}

// PausedRequest is a request paused, with why.
type PausedRequest struct {
	Listed
	Pause Pause
}

// ListPaused lists the requests in progress that are paused, with why, in
// list order (ReceivedAt, ID), at most limit (1,000 when 0): one store query
// whatever the number of requests in progress.
func (s *Service) ListPaused(ctx context.Context, limit int) ([]PausedRequest, error) {
	rs, err := s.Store.PendingStepRequests(ctx, stepPause, []store.RequestState{store.StateInProgress}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]PausedRequest, 0, len(rs))
	for _, x := range rs {
		l := Listed{Request: x.Request}
		if st, err := s.Status(x.Request); err == nil {
			l.Status = st
		}
		out = append(out, PausedRequest{Listed: l, Pause: pauseOf(x.Request, x.Step)})
	}
	return out, nil
}

// pauseHolds reports whether a pending "_pause" step names legal holds (whose
// basis is told under the request's law).
func pauseHolds(st store.Step) bool {
	var d pauseDetail
	_ = json.Unmarshal(st.Detail, &d)
	return len(d.Holds) > 0
}

// pauseOf reads a pending "_pause" step of req: why, since when, and the
// legal holds with their basis under req's law.
func pauseOf(req store.Request, st store.Step) Pause {
	var d pauseDetail
	_ = json.Unmarshal(st.Detail, &d)
	p := Pause{Reason: d.Reason, Since: st.StartedAt}
	law := deadline.Jurisdiction(req.Jurisdiction)
	for _, h := range d.Holds {
		ph := PausedHold{ID: h.ID, Reason: h.Reason, Basis: h.Basis}
		if ex, err := jurisdiction.ExceptionFor(law, jurisdiction.Basis(h.Basis)); err == nil && h.Basis != "" {
			ph.Citation, ph.Text = ex.Citation, ex.Text
		}
		p.Holds = append(p.Holds, ph)
	}
	return p
}

// Lease is a worker's claim on a request, as recorded in its "_lease" step.
type Lease struct {
	// Owner names the worker; empty when the lease was released.
	Owner string
	// Until is when the claim ends unless renewed.
	Until time.Time
}

// LeaseOf returns the current lease of request id (zero when none was taken).
func (s *Service) LeaseOf(ctx context.Context, id string) (Lease, error) {
	st, found, err := stepOf(ctx, s.Store, id, stepLease)
	if err != nil || !found || len(st.Detail) == 0 {
		return Lease{}, err
	}
	var d leaseDetail
	if err := json.Unmarshal(st.Detail, &d); err != nil {
		return Lease{}, fmt.Errorf("dsar: lease of %s is unreadable: %w", id, err)
	}
	return Lease(d), nil
}

// Stranded reports whether the lease was taken by a worker that stopped renewing
// it (killed, or cut off from the database) and has expired: nobody runs the
// request although it is claimed.
func (l Lease) Stranded(now time.Time) bool { return l.Owner != "" && !l.Until.After(now) }

// Summary is what a worker finds when it starts: open requests by state, which
// are paused and why, which are overdue and which were left by a dead worker.
// It holds request ids, states and reasons only.
type Summary struct {
	Received, Verified, InProgress int
	// Paused maps a pause reason to the ids of the requests paused for it.
	Paused map[string][]string
	// Overdue are the ids of open requests past their (extended) due date.
	Overdue []string
	// Stranded are the ids of requests claimed by a worker whose lease expired.
	Stranded []string
}

// Open is the number of open requests.
func (m Summary) Open() int { return m.Received + m.Verified + m.InProgress }

// Summarize reads the open requests (up to 1000) for a worker's start-up report.
func (s *Service) Summarize(ctx context.Context) (Summary, error) {
	m := Summary{Paused: map[string][]string{}}
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: openStates, Limit: 1000})
	if err != nil {
		return m, err
	}
	now := s.now()
	for _, r := range rs {
		switch r.State {
		case store.StateReceived:
			m.Received++
		case store.StateVerified:
			m.Verified++
		case store.StateInProgress:
			m.InProgress++
		}
		due := r.DueAt
		if !r.ExtendedDueAt.IsZero() {
			due = r.ExtendedDueAt
		}
		if !due.IsZero() && due.Before(now) {
			m.Overdue = append(m.Overdue, r.ID)
		}
		if p, ok, err := s.Paused(ctx, r.ID); err != nil {
			return m, err
		} else if ok {
			m.Paused[p.Reason] = append(m.Paused[p.Reason], r.ID)
		}
		if l, err := s.LeaseOf(ctx, r.ID); err == nil && l.Stranded(now) {
			m.Stranded = append(m.Stranded, r.ID)
		}
	}
	return m, nil
}

// ReviveStranded queues a fresh job for every open request whose lease expired
// without being released: the worker that held it died (SIGKILL, a lost machine)
// and its River job stays "running" until River's rescue, JobTimeout plus minutes
// later. The fresh job is unique per (request, expired lease), so workers that all
// notice the same stranded request queue it once; the lease keeps the old job, if
// River ever runs it again, from doing anything twice. It returns the ids queued.
func (s *Service) ReviveStranded(ctx context.Context, q *jobs.Queue) ([]string, error) {
	rs, err := s.Store.ListRequests(ctx, store.RequestFilter{States: []store.RequestState{store.StateVerified, store.StateInProgress}, Limit: 1000})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []string
	for _, r := range rs {
		l, err := s.LeaseOf(ctx, r.ID)
		if err != nil || !l.Stranded(now) {
			continue
		}
		res, err := q.Insert(ctx, RequestArgs{RequestID: r.ID, Revival: l.Until.UnixMicro()}, nil)
		if err != nil {
			return out, fmt.Errorf("dsar: queue stranded request %s: %w", r.ID, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			s.logger().Warn("request left by a worker that stopped renewing its lease: queued again", "request_id", r.ID,
				"lease_expired_at", l.Until)
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// WatchStranded runs ReviveStranded every interval until ctx ends, so a request
// whose worker died is taken up again within about its lease TTL plus interval.
func (s *Service) WatchStranded(ctx context.Context, q *jobs.Queue, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.ReviveStranded(ctx, q); err != nil && !errors.Is(err, context.Canceled) {
			s.logger().Warn("looking for stranded requests failed; trying again later", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
