package dsar

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Holds and exceptions on single objects.
//
// A hold an operator placed on one ticket, conversation or contact
// (store.ObjectHold, `retention hold add --ticket-id ... --basis ...`), or a
// configured exception (config.Exception: tickets of a type, conversations or
// contacts with a tag) keeps that object through the erasure while the rest is
// erased (GDPR Art. 17(3), CCPA §1798.105(d)). Each deleting step classifies
// its objects when it plans them: kept under a hold or an exception first,
// then deleted if only the person takes part, else kept because shared.
// Intercom deletes a contact's conversations (and tickets) with the contact,
// so the contacts taking part in a kept object are kept too
// (WhyKeepsObject), and the contacts step looks for held or excepted
// conversations and tickets itself when their own step is not configured.
// Holds are read again before each step sends anything, so a hold placed while
// the erasure runs keeps its object. An exception applies only under the laws
// that know its basis; a hold keeps its object under any law.
//
// When the step is recorded done, the exceptions it applied are recorded as
// object holds of the request (rule, basis, keep_until) and an erasure.kept
// audit record lists the kept objects as "<kind>:<id>" with their basis codes,
// in the step's transaction. The outcome lists every kept object with the
// sentence the person is told.

// Why an object is kept.
const (
	WhyShared      = "shared_with_others"
	WhyLegalHold   = "legal_hold"
	WhyException   = "exception"
	WhyKeepsObject = "keeps_kept_object"
)

// KeptObject is an object an erasure leaves in place, and why.
type KeptObject struct {
	// Object is the kind: ticket, conversation or contact (empty in the
	// plan's lists of tickets and conversations, which say it).
	Object string `json:"object,omitempty"`
	ID     string `json:"id"`
	// Why is WhyShared (Intercom removes the person from it with the
	// contact), WhyLegalHold, WhyException or WhyKeepsObject (a contact kept
	// because Intercom would delete a kept object with it).
	Why string `json:"why"`
	// Basis is the jurisdiction.Basis code of a hold or an exception.
	Basis string `json:"basis,omitempty"`
	// Citation and Text are the basis under the request's law, as the person
	// is told it.
	Citation string `json:"citation,omitempty"`
	Text     string `json:"text,omitempty"`
	// Hold is the object hold's id; Rule the configured exception's name.
	Hold string `json:"hold,omitempty"`
	Rule string `json:"rule,omitempty"`
	// KeepUntil is when the exception ends (zero: until the hold is released).
	KeepUntil time.Time `json:"keep_until,omitzero"`
	// Redact: the person's own messages in this kept conversation are
	// redacted all the same (the exception says so).
	Redact bool `json:"redact,omitempty"`
	// Contacts are the person's contacts taking part in a kept ticket or
	// conversation.
	Contacts []string `json:"contacts,omitempty"`
	// For names the kept object ("ticket:<id>") a contact is kept for.
	For string `json:"for,omitempty"`
	// Shared: other people take part in the object too, so it is not deleted
	// when its hold or exception ends (only what is the person's alone is).
	Shared bool `json:"shared,omitempty"`
}

// objectFacts are what an exception matches on.
type objectFacts struct {
	kind        string
	id          string
	tags        []string
	ticketType  []string
	ticketState string
	ticketAttrs map[string]any
}

// retainer decides which objects an erasure keeps.
type retainer struct {
	law        deadline.Jurisdiction
	now        time.Time
	holds      map[string]store.ObjectHold
	exceptions []config.Exception
}

// retainer decides with the configured exceptions and the request's law; its
// holds are loaded for the objects in question (load).
func (r *runner) retainer() *retainer {
	law := deadline.Jurisdiction(r.req.Jurisdiction)
	if law == "" {
		law = deadline.GDPR
	}
	return &retainer{law: law, now: r.s.now(), holds: map[string]store.ObjectHold{}, exceptions: r.s.config().Erasure.Exceptions}
}

// holdsBatch bounds the ids one read of object holds asks for.
const holdsBatch = 500

// load reads the active holds on the objects of kind with these ids.
func (rt *retainer) load(ctx context.Context, st store.Store, kind string, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), holdsBatch)
		hs, err := st.ActiveObjectHolds(ctx, rt.now, kind, ids[:n]...)
		if err != nil {
			return fmt.Errorf("dsar: read object holds: %w", err)
		}
		for _, h := range hs {
			if _, dup := rt.holds[h.ObjectType+":"+h.ObjectID]; !dup {
				rt.holds[h.ObjectType+":"+h.ObjectID] = h
			}
		}
		ids = ids[n:]
	}
	return nil
}

// concerns reports whether an exception is configured for kind or any active
// hold is on an object of kind, so that objects of kind must be looked at.
func (rt *retainer) concerns(ctx context.Context, st store.Store, kind string) (bool, error) {
	if slices.ContainsFunc(rt.exceptions, func(e config.Exception) bool { return e.Objects == kind }) {
		return true, nil
	}
	hs, err := st.ActiveObjectHolds(ctx, rt.now, kind)
	return len(hs) > 0, err
}

// keep returns why f is kept under a hold or an exception, or nil.
func (rt *retainer) keep(f objectFacts) *KeptObject {
	if h, ok := rt.holds[f.kind+":"+f.id]; ok {
		k := &KeptObject{Object: f.kind, ID: f.id, Why: WhyLegalHold, Basis: h.Basis, Hold: h.ID, KeepUntil: h.KeepUntil}
		if h.Rule != "" {
			k.Why, k.Rule, k.Hold = WhyException, h.Rule, ""
		}
		rt.explain(k)
		return k
	}
	for _, e := range rt.exceptions {
		if e.Objects != f.kind || !matches(e, f) {
			continue
		}
		ex, err := jurisdiction.ExceptionFor(rt.law, jurisdiction.Basis(e.Basis))
		if err != nil || !ex.Applies {
			continue // the law has no such exception to erasure
		}
		return &KeptObject{Object: f.kind, ID: f.id, Why: WhyException, Basis: e.Basis, Rule: e.Name,
			KeepUntil: e.KeepUntil(rt.now).UTC().Truncate(time.Microsecond), Redact: e.Redact, Citation: ex.Citation, Text: ex.Text}
	}
	return nil
}

// explain fills the citation and the person's sentence of k's basis.
func (rt *retainer) explain(k *KeptObject) {
	if ex, err := jurisdiction.ExceptionFor(rt.law, jurisdiction.Basis(k.Basis)); err == nil {
		k.Citation, k.Text = ex.Citation, ex.Text
	}
}

// matches reports whether every criterion of e holds for f.
func matches(e config.Exception, f objectFacts) bool {
	anyFold := func(want, have []string) bool {
		return len(want) == 0 || slices.ContainsFunc(want, func(w string) bool {
			return slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(strings.TrimSpace(w), h) })
		})
	}
	if !anyFold(e.Tags, f.tags) || !anyFold(e.TicketTypes, f.ticketType) {
		return false
	}
	if len(e.TicketStates) > 0 && !slices.Contains(e.TicketStates, f.ticketState) {
		return false
	}
	for name, values := range e.TicketAttributes {
		if !anyFold(values, attributeValues(f.ticketAttrs[name])) {
			return false
		}
	}
	return true
}

// attributeValues renders a ticket attribute's value as strings (a list
// attribute gives each element).
func attributeValues(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, attributeValues(e)...)
		}
		return out
	case map[string]any:
		for _, k := range []string{"name", "value", "label"} {
			if s, ok := v[k].(string); ok {
				return []string{s}
			}
		}
		return nil
	}
	return []string{fmt.Sprint(v)}
}

// ticketFacts reads what an exception matches on a ticket.
func ticketFacts(t intercom.Ticket) objectFacts {
	f := objectFacts{kind: store.ObjectTicket, id: string(t.ID), ticketAttrs: t.TicketAttributes}
	var typ struct {
		ID   intercom.ID `json:"id"`
		Name string      `json:"name"`
	}
	if json.Unmarshal(t.TicketType, &typ) == nil {
		f.ticketType = []string{string(typ.ID), typ.Name}
	}
	var st struct {
		Category string `json:"category"`
	}
	if json.Unmarshal(t.TicketState, &st) == nil {
		f.ticketState = st.Category
	} else {
		_ = json.Unmarshal(t.TicketState, &f.ticketState)
	}
	return f
}

// conversationFacts reads a conversation's tag names from its JSON.
func conversationFacts(c intercom.Conversation) objectFacts {
	f := objectFacts{kind: store.ObjectConversation, id: string(c.ID)}
	var raw struct {
		Tags struct {
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
		} `json:"tags"`
	}
	if json.Unmarshal(c.Raw, &raw) == nil {
		for _, t := range raw.Tags.Tags {
			f.tags = append(f.tags, t.Name)
		}
	}
	return f
}

// keptFrom lists a step's kept objects (its Retained) from its detail.
func (r *runner) keptFrom(step string) []KeptObject {
	var p deleteProgress
	if st, ok := r.steps[step]; ok && len(st.Detail) > 0 && json.Unmarshal(st.Detail, &p) == nil {
		return p.Retained
	}
	return nil
}

// planContacts plans the contacts step: every contact of the person, less
// those kept under a hold or an exception and those taking part in a kept
// ticket or conversation. When the tickets or conversations step did not plan
// (not configured), it searches them here for held or excepted ones, which it
// keeps in p.Retained too.
func (r *runner) planContacts(ctx context.Context, p *deleteProgress, tickets, convs *deleteProgress) error {
	rt := r.retainer()
	var kept []KeptObject
	type side struct {
		kind    string
		prog    *deleteProgress
		plan    func(context.Context, *deleteProgress) error
		planned *deleteProgress // searched here
	}
	sides := []*side{{kind: store.ObjectTicket, prog: tickets, plan: r.planTickets}, {kind: store.ObjectConversation, prog: convs, plan: r.planConversations}}
	search := func(sd *side) error {
		var q deleteProgress
		if err := sd.plan(ctx, &q); err != nil {
			return err
		}
		sd.planned = &q
		kept = append(kept, q.Retained...)
		p.Retained = append(p.Retained, q.Retained...)
		return nil
	}
	for _, sd := range sides {
		switch {
		case sd.prog != nil && sd.prog.Planned:
			kept = append(kept, sd.prog.Retained...)
		default:
			concerned, err := rt.concerns(ctx, r.s.Store, sd.kind)
			if err != nil {
				return err
			}
			if concerned {
				if err := search(sd); err != nil {
					return err
				}
			}
		}
	}
	keptBy := map[string]KeptObject{}
	for _, o := range kept {
		for _, c := range o.Contacts {
			if _, ok := keptBy[c]; !ok {
				keptBy[c] = KeptObject{Object: store.ObjectContact, ID: c, Why: WhyKeepsObject, Basis: o.Basis,
					Citation: o.Citation, Text: o.Text, For: o.Object + ":" + o.ID}
			}
		}
	}
	if err := rt.load(ctx, r.s.Store, store.ObjectContact, r.orderedContacts()); err != nil {
		return err
	}
	tagged := slices.ContainsFunc(rt.exceptions, func(e config.Exception) bool { return e.Objects == store.ObjectContact && len(e.Tags) > 0 })
	for _, id := range r.orderedContacts() {
		f := objectFacts{kind: store.ObjectContact, id: id}
		if tagged {
			tags, err := r.s.Intercom.ContactTags(ctx, id)
			if err != nil && !isGone(err) {
				return fmt.Errorf("read the tags of contact %s: %w", id, err)
			}
			for _, t := range tags {
				f.tags = append(f.tags, t.Name)
			}
		}
		if k := rt.keep(f); k != nil {
			p.Retained = append(p.Retained, *k)
		} else if k, ok := keptBy[id]; ok {
			p.Retained = append(p.Retained, k)
		} else {
			p.Targets = append(p.Targets, id)
		}
	}
	// A kept contact keeps its conversations and tickets in Intercom, which
	// deleting it would have taken: those of the person alone, not kept
	// themselves, are deleted explicitly (as "<kind>:<id>" targets, first)
	// when their own step did not delete them.
	if len(p.Retained) == 0 || !slices.ContainsFunc(p.Retained, func(k KeptObject) bool { return k.Object == store.ObjectContact }) {
		return nil
	}
	var first []string
	for _, sd := range sides {
		if sd.prog != nil && sd.prog.Planned {
			continue
		}
		if sd.planned == nil {
			if err := search(sd); err != nil {
				return err
			}
		}
		for _, id := range sd.planned.Targets {
			first = append(first, sd.kind+":"+id)
		}
	}
	p.Targets = append(first, p.Targets...)
	return nil
}

// refreshHolds moves the targets not yet done that a hold placed since the
// plan now keeps into p.Retained; it reports whether any moved.
func (r *runner) refreshHolds(ctx context.Context, kind string, p *deleteProgress) (bool, error) {
	var todo []string
	for _, id := range p.Targets {
		if !slices.Contains(p.Done, id) {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		return false, nil
	}
	hs, err := r.s.Store.ActiveObjectHolds(ctx, r.s.now(), kind, todo...)
	if err != nil || len(hs) == 0 {
		return false, err
	}
	rt := &retainer{law: deadline.Jurisdiction(r.req.Jurisdiction), now: r.s.now(), holds: map[string]store.ObjectHold{}}
	if rt.law == "" {
		rt.law = deadline.GDPR
	}
	for _, h := range hs {
		rt.holds[h.ObjectType+":"+h.ObjectID] = h
	}
	var targets []string
	for _, id := range p.Targets {
		if k := rt.keep(objectFacts{kind: kind, id: id}); k != nil && !slices.Contains(p.Done, id) {
			p.Retained = append(p.Retained, *k)
			continue
		}
		targets = append(targets, id)
	}
	p.Targets = targets
	return true, nil
}

// recordKept records, inside the transaction that marks a step done, the
// exceptions it applied as object holds of the request and one erasure.kept
// audit record naming every kept object and its basis code.
func (r *runner) recordKept(ctx context.Context, tx store.Tx, kept []KeptObject) error {
	if len(kept) == 0 {
		return nil
	}
	now := r.s.now()
	counts := map[string]int64{}
	ids := make([]string, 0, len(kept))
	var bases []string
	for _, k := range kept {
		if k.Why == WhyException && k.Hold == "" {
			if _, err := tx.AddObjectHold(ctx, store.ObjectHold{ObjectType: k.Object, ObjectID: k.ID, Basis: k.Basis,
				Rule: k.Rule, RequestID: r.id, KeepUntil: k.KeepUntil, CreatedAt: now,
				Reason: "erasure exception " + k.Rule}); err != nil {
				return err
			}
		}
		counts[k.Object+"s_kept_"+k.Why]++
		ids = append(ids, k.Object+":"+k.ID)
		if !slices.Contains(bases, k.Basis) {
			bases = append(bases, k.Basis)
		}
	}
	slices.Sort(bases)
	_, err := r.s.Chain.Append(ctx, tx, audit.Record{Actor: r.s.Actor, Action: audit.ActionErasureKept, RequestID: r.id,
		SubjectRef: r.req.SubjectRef, Outcome: audit.OutcomeSuccess, Counts: counts, ObjectIDs: capIDs(ids),
		Reason: "kept under legal hold or erasure exception; basis: " + strings.Join(bases, ", ")})
	return err
}

// keptContacts is the set of the person's contacts the contacts step kept.
func (r *runner) keptContacts() map[string]KeptObject {
	out := map[string]KeptObject{}
	for _, k := range r.keptFrom(StepDeleteContacts) {
		if k.Object == store.ObjectContact {
			out[k.ID] = k
		}
	}
	return out
}

// keptObjects lists every object the erasure's steps kept under a hold or an
// exception (not those kept because shared), for the outcome.
func (r *runner) keptObjects() []KeptObject {
	var out []KeptObject
	seen := map[string]bool{}
	for _, step := range []string{StepDeleteTickets, StepDeleteConversations, StepDeleteContacts} {
		for _, k := range r.keptFrom(step) {
			if key := k.Object + ":" + k.ID; !seen[key] {
				seen[key] = true
				out = append(out, k)
			}
		}
	}
	return out
}
