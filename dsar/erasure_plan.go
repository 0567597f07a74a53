package dsar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Erasure plans and dry runs.
//
// PlanErasure (a filed request: `dsar plan ID`) and DryRunErasure (identifiers
// only: `dsar erase --dry-run`) say what an erasure would do, without sending
// anything that changes Intercom and without writing anything: they resolve the
// person (searches and GETs only), plan tickets and conversations with the same
// code the erasure steps use (so the plan is what the run would do), list the
// legal holds that would stop it, and count what the local purge and the
// suppression list would touch. A request already under way shows the targets
// its steps fixed and what is done.

// ErasurePlan is what an erasure would do. It holds Intercom ids and counts,
// never an identifier's value.
type ErasurePlan struct {
	RequestID string `json:"request_id,omitempty"`
	// State is the request's state (empty for a dry run).
	State store.RequestState `json:"state,omitempty"`
	// Searched counts the identifiers looked up, by kind.
	Searched map[string]int `json:"identifiers_searched"`
	// NothingFound: no contact confirmed; the run would delete nothing in
	// Intercom (a contact id answering 404 still gets its DELETE, which may find
	// an archived contact).
	NothingFound bool `json:"nothing_found"`
	// Contacts are deleted in Intercom, in this order.
	Contacts []PlannedContact `json:"contacts"`
	// Tickets and Conversations: deleted, or kept and why.
	Tickets       PlannedObjects `json:"tickets"`
	Conversations PlannedObjects `json:"conversations"`
	// Holds are the active legal holds that would stop the erasure before its
	// first DELETE.
	Holds []PlannedHold `json:"legal_holds,omitempty"`
	// Local is what the local purge would remove.
	Local LocalPlan `json:"local"`
	// Suppressed is how many suppression entries would be added (0 when nothing
	// is found and erasure.suppress_when_nothing_found is off).
	Suppressed int `json:"suppression_entries"`
	// Recipients is how many recipients of the registry would be told of the
	// erasure once it completes.
	Recipients int `json:"recipients_notified"`
	// GraceUntil is when the waiting period ends (zero: none, or over).
	GraceUntil time.Time `json:"grace_until,omitzero"`
	Notices    []Notice  `json:"notices,omitempty"`
}

// PlannedContact is one contact the erasure deletes.
type PlannedContact struct {
	ID string `json:"id"`
	// Status is the resolution's: active, merged, or archived_or_deleted (a
	// contact id that answered 404: not found, or archived).
	Status string `json:"status"`
	Done   bool   `json:"done,omitempty"`
	// Kept says why the contact is not deleted (a hold or an exception on it,
	// or a kept ticket or conversation Intercom would delete with it).
	Kept *KeptObject `json:"kept,omitempty"`
}

// PlannedObjects are the tickets or conversations of the person.
type PlannedObjects struct {
	// Skipped says why none are deleted ("not_configured").
	Skipped string   `json:"skipped,omitempty"`
	Delete  []string `json:"delete"`
	Done    []string `json:"done,omitempty"`
	// Kept are objects left in place, each with why.
	Kept []KeptObject `json:"kept,omitempty"`
}

// PlannedHold is a legal hold that would stop the erasure.
type PlannedHold struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	Basis  string `json:"basis,omitempty"`
}

// LocalPlan counts what the local purge would remove.
type LocalPlan struct {
	CachedContacts  int `json:"cached_contacts"`
	EarlierRequests int `json:"earlier_requests"`
}

// ErrNothingToPlan: the request is finished, or is not an erasure.
var ErrNothingToPlan = errors.New("dsar: nothing to plan")

// PlanErasure says what the erasure request id would do from where it stands.
// A request that does not exist fails with ErrNotFound; a finished one, or an
// access request, with ErrNothingToPlan.
func (s *Service) PlanErasure(ctx context.Context, id string) (ErasurePlan, error) {
	req, err := s.Get(ctx, id)
	if err != nil {
		return ErasurePlan{}, err
	}
	if Finished(req.State) {
		return ErasurePlan{}, fmt.Errorf("%w: %s is %s", ErrNothingToPlan, id, req.State)
	}
	if req.Type == store.RequestAccess {
		return ErasurePlan{}, fmt.Errorf("%w: %s is an access request", ErrNothingToPlan, id)
	}
	ids, err := s.Identifiers(ctx, req)
	if err != nil {
		return ErasurePlan{}, err
	}
	r := &runner{s: s, id: req.ID, req: req, ids: ids}
	if err := r.loadSteps(ctx); err != nil {
		return ErasurePlan{}, err
	}
	p, err := r.plan(ctx)
	if err != nil {
		return ErasurePlan{}, err
	}
	p.RequestID, p.State = req.ID, req.State
	if until := s.graceUntil(req); req.State == store.StateVerified && s.now().Before(until) {
		p.GraceUntil = until
	}
	return p, nil
}

// DryRunErasure says what an erasure of ids under the GDPR would do, without
// filing it.
func (s *Service) DryRunErasure(ctx context.Context, ids Identifiers) (ErasurePlan, error) {
	return s.DryRunErasureUnder(ctx, deadline.GDPR, ids)
}

// DryRunErasureUnder says what an erasure of ids filed under the law j would
// do, without filing it: the exceptions to erasure that apply depend on the
// law.
func (s *Service) DryRunErasureUnder(ctx context.Context, j deadline.Jurisdiction, ids Identifiers) (ErasurePlan, error) {
	norm, err := ids.Normalized()
	if err != nil {
		return ErasurePlan{}, err
	}
	ref, err := norm.SubjectRef(s.Vault)
	if err != nil {
		return ErasurePlan{}, err
	}
	r := &runner{s: s, req: store.Request{Type: store.RequestErasure, Jurisdiction: string(j), SubjectRef: ref}, ids: norm, steps: map[string]store.Step{}}
	return r.plan(ctx)
}

// plan builds the plan from the recorded steps where they exist, else fresh.
func (r *runner) plan(ctx context.Context) (ErasurePlan, error) {
	if r.s.Intercom == nil {
		return ErasurePlan{}, ErrNoIntercom
	}
	if r.done(StepResolve) {
		if err := r.loadResolution(); err != nil {
			return ErasurePlan{}, err
		}
	} else {
		res, err := r.s.Resolve(ctx, r.ids)
		if err != nil {
			return ErasurePlan{}, err
		}
		r.res = res
	}
	out := ErasurePlan{Searched: r.res.Searched, NothingFound: r.res.Found() == 0, Contacts: []PlannedContact{}, Notices: r.res.Notices}
	cfg := r.s.config().Erasure
	var err error
	var tickets, convs deleteProgress
	if out.Tickets, tickets, err = r.planObjects(ctx, StepDeleteTickets, cfg.DeleteTickets, r.planTickets); err != nil {
		return ErasurePlan{}, err
	}
	if out.Conversations, convs, err = r.planObjects(ctx, StepDeleteConversations, cfg.DeleteConversations, r.planConversations); err != nil {
		return ErasurePlan{}, err
	}
	var cp deleteProgress
	if _, err := r.loadProgress(ctx, StepDeleteContacts, &cp); err != nil {
		return ErasurePlan{}, err
	}
	if !cp.Planned {
		cp = deleteProgress{}
		if err := r.planContacts(ctx, &cp, &tickets, &convs); err != nil {
			return ErasurePlan{}, err
		}
	}
	kept := map[string]KeptObject{}
	for _, k := range cp.Retained {
		switch k.Object {
		case store.ObjectContact:
			kept[k.ID] = k
		case store.ObjectTicket:
			out.Tickets.Kept = append(out.Tickets.Kept, k)
		case store.ObjectConversation:
			out.Conversations.Kept = append(out.Conversations.Kept, k)
		}
	}
	status := map[string]string{}
	for _, m := range r.res.Matches {
		status[m.ContactID] = m.Status
	}
	for _, id := range r.orderedContacts() {
		st := status[id]
		if st == "" {
			st = StatusActive // the canonical contact of a merged one
		}
		pc := PlannedContact{ID: id, Status: st, Done: slices.Contains(cp.Done, id)}
		if k, ok := kept[id]; ok {
			pc.Kept = &k
		}
		out.Contacts = append(out.Contacts, pc)
	}
	holds, err := r.coveringHolds(ctx, r.s.Store)
	if err != nil {
		return ErasurePlan{}, err
	}
	for _, h := range holds {
		out.Holds = append(out.Holds, PlannedHold{ID: h.ID, Reason: h.Reason, Basis: h.Basis})
	}
	if out.Local, err = r.planLocal(ctx); err != nil {
		return ErasurePlan{}, err
	}
	if !out.NothingFound || out.Local.CachedContacts+out.Local.EarlierRequests > 0 || cfg.SuppressWhenNothingFound {
		n := 0
		r.ids.each(func(vault.IndexKind, string) { n++ })
		for _, id := range r.orderedContacts() {
			if !slices.Contains(r.ids.ContactIDs, id) {
				n++
			}
		}
		out.Suppressed = n
	}
	out.Recipients = len(r.s.config().Recipients)
	return out, nil
}

// planObjects plans one step's tickets or conversations, or shows the targets
// the step already fixed.
func (r *runner) planObjects(ctx context.Context, step string, configured bool, plan func(context.Context, *deleteProgress) error) (PlannedObjects, deleteProgress, error) {
	if !configured {
		return PlannedObjects{Skipped: "not_configured", Delete: []string{}}, deleteProgress{}, nil
	}
	var p deleteProgress
	if _, err := r.loadProgress(ctx, step, &p); err != nil {
		return PlannedObjects{}, p, err
	}
	if !p.Planned {
		p = deleteProgress{Targets: []string{}}
		if err := plan(ctx, &p); err != nil {
			return PlannedObjects{}, p, err
		}
		p.Planned = true // as the step would have it, for the contacts' plan
	}
	out := PlannedObjects{Delete: p.Targets, Done: p.Done}
	if out.Delete == nil {
		out.Delete = []string{}
	}
	out.Kept = append(out.Kept, p.Retained...)
	for _, id := range p.Kept {
		out.Kept = append(out.Kept, KeptObject{ID: id, Why: WhyShared})
	}
	return out, p, nil
}

// planLocal counts the cached contacts of the person and their earlier finished
// requests, as the purge would find them (read only).
func (r *runner) planLocal(ctx context.Context) (LocalPlan, error) {
	var out LocalPlan
	seen := map[string]bool{}
	for _, id := range r.orderedContacts() {
		if _, err := r.s.Store.GetContact(ctx, id); err == nil {
			seen[id] = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
	}
	lookups, err := r.s.cacheLookups(r.ids)
	if err != nil {
		return out, err
	}
	for _, l := range lookups {
		cs, err := r.s.Store.FindContacts(ctx, l.kind, l.idx)
		if err != nil {
			return out, err
		}
		for _, c := range cs {
			seen[c.IntercomID] = true
		}
	}
	out.CachedContacts = len(seen)
	others, err := r.s.Store.ListRequests(ctx, store.RequestFilter{States: finishedStates, Limit: maxListRequests})
	if err != nil {
		return out, err
	}
	for _, o := range others {
		if o.ID != r.id && o.SubjectRef == r.req.SubjectRef {
			out.EarlierRequests++
		}
	}
	return out, nil
}
