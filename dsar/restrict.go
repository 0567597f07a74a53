package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The steps of a restriction and of an objection: resolve → mark_contacts →
// record_limit → complete. Lifting a restriction: unmark_contacts → lift_limit
// → complete (the contacts come from the restriction it lifts).
const (
	StepMarkContacts   = "mark_contacts"
	StepRecordLimit    = "record_limit"
	StepUnmarkContacts = "unmark_contacts"
	StepLiftLimit      = "lift_limit"
)

// The changes a mark makes to one contact, as recorded (no value, only what
// was changed): "tag:<tag id>", "unsubscribed" (unsubscribed_from_emails set),
// "opt_out:<subscription type id>".
const (
	changeTag          = "tag:"
	changeUnsubscribed = "unsubscribed"
	changeOptOut       = "opt_out:"
)

// marks are what a restriction or an objection puts on each contact.
type marks struct {
	tags        []string
	unsubscribe bool
	optOut      []string
}

// marksFor returns the marks of a restriction, or of an objection of scope.
func (s *Service) marksFor(t store.RequestType, scope []string) marks {
	cfg := s.config().Rights
	var m marks
	addTag := func(id string) {
		if id != "" && !slices.Contains(m.tags, id) {
			m.tags = append(m.tags, id)
		}
	}
	if t == store.RequestRestriction {
		addTag(cfg.RestrictionTag)
		m.unsubscribe, m.optOut = true, slices.Clone(cfg.MarketingSubscriptions)
		return m
	}
	for _, sc := range scope {
		switch sc {
		case ScopeMarketing:
			m.unsubscribe, m.optOut = true, slices.Clone(cfg.MarketingSubscriptions)
			addTag(cfg.ObjectionTag)
		case ScopeProcessing:
			addTag(cfg.ObjectionTag)
		case ScopeSaleSharing, ScopeSensitive:
			addTag(cfg.DoNotSellTag)
		}
	}
	return m
}

// contactState is what a mark reads of one contact before changing it.
type contactState struct {
	unsubscribed bool
	tags         []string
	optedOut     []string
}

// readState reads what the marks concern of contact id: its email opt-out,
// and its tags and subscriptions when the marks touch them.
func (r *runner) readState(ctx context.Context, id string, tags, subs bool) (contactState, error) {
	var st contactState
	c, err := r.s.Intercom.GetContact(ctx, id)
	if err != nil {
		return st, err
	}
	st.unsubscribed = bool(c.UnsubscribedFromEmails)
	if tags {
		ts, err := r.s.Intercom.ContactTags(ctx, id)
		if err != nil {
			return st, err
		}
		for _, t := range ts {
			st.tags = append(st.tags, string(t.ID))
		}
	}
	if subs {
		ss, err := r.s.Intercom.ContactSubscriptions(ctx, id)
		if err != nil {
			return st, err
		}
		for _, s := range ss {
			if s.ConsentType == intercom.ConsentOptOut {
				st.optedOut = append(st.optedOut, string(s.ID))
			}
		}
	}
	return st, nil
}

// needed lists the changes m still needs on a contact in state st.
func (m marks) needed(st contactState) []string {
	var out []string
	for _, t := range m.tags {
		if !slices.Contains(st.tags, t) {
			out = append(out, changeTag+t)
		}
	}
	if m.unsubscribe && !st.unsubscribed {
		out = append(out, changeUnsubscribed)
	}
	for _, s := range m.optOut {
		if !slices.Contains(st.optedOut, s) {
			out = append(out, changeOptOut+s)
		}
	}
	return out
}

// stillNeeded reports whether change still has to be made on a contact in
// state st (undo: whether it still has to be undone).
func stillNeeded(change string, st contactState, undo bool) bool {
	switch {
	case strings.HasPrefix(change, changeTag):
		return slices.Contains(st.tags, strings.TrimPrefix(change, changeTag)) == undo
	case change == changeUnsubscribed:
		return st.unsubscribed == undo
	case strings.HasPrefix(change, changeOptOut):
		return !undo && !slices.Contains(st.optedOut, strings.TrimPrefix(change, changeOptOut))
	}
	return false
}

// markProgress is the Detail of mark_contacts and unmark_contacts. Changes
// holds, per contact, the changes planned for it, recorded BEFORE any is made:
// a lift undoes exactly these, and a resumed step reads the contact again and
// makes only those not in effect yet.
type markProgress struct {
	Planned    bool                `json:"planned"`
	Targets    []string            `json:"targets"`
	Done       []string            `json:"done"`
	Changes    map[string][]string `json:"changes"`
	Unwritable []string            `json:"unwritable,omitempty"`
	Counts     map[string]int64    `json:"counts"`
}

// markContacts puts the marks of a restriction or objection on every writable
// contact of the person.
func (r *runner) markContacts(ctx context.Context) error {
	payload, err := r.s.PayloadOf(ctx, r.req)
	if err != nil {
		return err
	}
	m := r.s.marksFor(r.req.Type, payload.Scope)
	var p markProgress
	if _, err := r.loadProgress(ctx, StepMarkContacts, &p); err != nil {
		return err
	}
	if !p.Planned {
		live, unwritable := r.writableContacts()
		p = markProgress{Planned: true, Targets: live, Done: []string{}, Changes: map[string][]string{}, Unwritable: unwritable,
			Counts: map[string]int64{"contacts_planned": int64(len(live))}}
		if len(unwritable) > 0 {
			p.Counts["contacts_not_writable"] = int64(len(unwritable))
		}
		if err := r.saveProgress(ctx, StepMarkContacts, p); err != nil {
			return err
		}
	}
	for _, id := range p.Targets {
		if slices.Contains(p.Done, id) {
			continue
		}
		st, err := r.readState(ctx, id, len(m.tags) > 0, len(m.optOut) > 0)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			p.Counts["contacts_gone"]++
			p.Done = append(p.Done, id)
			if err := r.saveProgress(ctx, StepMarkContacts, p); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read contact %s: %w", id, err)
		}
		planned, ok := p.Changes[id]
		if !ok {
			// The intent first: what this request changes on the contact.
			planned = m.needed(st)
			p.Changes[id] = planned
			if err := r.saveProgress(ctx, StepMarkContacts, p); err != nil {
				return err
			}
		}
		for _, ch := range planned {
			if !stillNeeded(ch, st, false) {
				continue
			}
			if err := r.apply(ctx, id, ch, false); err != nil {
				return err
			}
			p.Counts[changeCount(ch, false)]++
		}
		p.Done = append(p.Done, id)
		if err := r.saveProgress(ctx, StepMarkContacts, p); err != nil {
			return err
		}
		r.progress(StepMarkContacts, "object", len(p.Done), len(p.Targets))
	}
	action, reason := audit.ActionRestrictionMarked, "contacts marked restricted in Intercom (tag, email opt-out, subscriptions)"
	if r.req.Type == store.RequestObjection {
		action, reason = audit.ActionObjectionRecorded, "objection applied in Intercom (email opt-out, subscriptions, tags as the scope asks)"
	}
	return r.recordStep(ctx, StepMarkContacts, p, audit.Record{Action: action, Counts: p.Counts, ObjectIDs: capIDs(p.Done), Reason: reason}, nil)
}

func changeCount(ch string, undo bool) string {
	var k string
	switch {
	case strings.HasPrefix(ch, changeTag):
		k = "tags_added"
	case ch == changeUnsubscribed:
		k = "unsubscribed_from_emails"
	default:
		k = "subscriptions_opted_out"
	}
	if undo {
		return "undone_" + k
	}
	return k
}

// apply makes (or, with undo, undoes) one change on a contact.
func (r *runner) apply(ctx context.Context, id, ch string, undo bool) error {
	var err error
	switch {
	case strings.HasPrefix(ch, changeTag) && !undo:
		_, err = r.s.Intercom.TagContact(ctx, id, strings.TrimPrefix(ch, changeTag))
	case strings.HasPrefix(ch, changeTag):
		_, err = r.s.Intercom.UntagContact(ctx, id, strings.TrimPrefix(ch, changeTag))
	case ch == changeUnsubscribed:
		v := !undo
		_, err = r.s.Intercom.UpdateContact(ctx, id, intercom.ContactFields{UnsubscribedFromEmails: &v})
	case strings.HasPrefix(ch, changeOptOut) && !undo:
		_, err = r.s.Intercom.SetContactSubscription(ctx, id, strings.TrimPrefix(ch, changeOptOut), intercom.ConsentOptOut)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("contact %s (%s): %w", id, changeCount(ch, undo), err)
	}
	return nil
}

// limitDetail is the Detail of record_limit and lift_limit.
type limitDetail struct {
	Counts map[string]int64 `json:"counts"`
}

// recordLimit records the restriction or objection locally, keyed by the
// blind indexes of the person's identifiers and contact ids, in one
// transaction with the step and its audit record. From then on the sync and
// the webhooks leave a restricted person's copy as it is, the exports leave
// the person out, and every request of the person shows it.
func (r *runner) recordLimit(ctx context.Context) error {
	payload, err := r.s.PayloadOf(ctx, r.req)
	if err != nil {
		return err
	}
	refs, kinds, err := r.s.identifierRefs(r.ids)
	if err != nil {
		return err
	}
	for id := range r.personContacts() {
		ref, err := r.s.Vault.BlindIndex(vault.KindContactID, id)
		if err != nil {
			return err
		}
		refs, kinds = append(refs, ref), append(kinds, string(vault.KindContactID))
	}
	kind, action := store.LimitRestriction, audit.ActionRestrictionMarked
	if r.req.Type == store.RequestObjection {
		kind, action = store.LimitObjection, audit.ActionObjectionRecorded
	}
	ls := make([]store.ProcessingLimit, len(refs))
	for i := range refs {
		ls[i] = store.ProcessingLimit{Kind: kind, Ref: refs[i], RefKind: kinds[i], RequestID: r.id, SubjectRef: r.req.SubjectRef,
			Scope: strings.Join(payload.Scope, ","), CreatedAt: r.s.now()}
	}
	d := limitDetail{Counts: map[string]int64{}}
	rec := audit.Record{Action: action, Counts: d.Counts, Reason: string(kind) + " recorded locally (blind indexes of the person's identifiers and contact ids)"}
	return r.recordStep(ctx, StepRecordLimit, &d, rec, func(tx store.Tx) error {
		n, err := tx.AddLimits(ctx, ls)
		clear(d.Counts)
		d.Counts["limit_refs"] = int64(n)
		return err
	})
}

// linkedMarks reads what the restriction a lift is linked to changed on each
// contact.
func (r *runner) linkedMarks(ctx context.Context) (markProgress, error) {
	var p markProgress
	st, found, err := stepOf(ctx, r.s.Store, r.req.LinkedRequestID, StepMarkContacts)
	if err != nil || !found {
		return p, err
	}
	if err := json.Unmarshal(st.Detail, &p); err != nil {
		return p, fmt.Errorf("dsar: marks of %s are unreadable: %w", r.req.LinkedRequestID, err)
	}
	return p, nil
}

// unmarkContacts undoes, on each contact, what the lifted restriction changed:
// its tag comes off and the email opt-out it set is cleared. Subscription
// opt-outs stay: setting them back to opt_in would record a consent the person
// never gave (they can subscribe again themselves).
func (r *runner) unmarkContacts(ctx context.Context) error {
	orig, err := r.linkedMarks(ctx)
	if err != nil {
		return err
	}
	var p markProgress
	if _, err := r.loadProgress(ctx, StepUnmarkContacts, &p); err != nil {
		return err
	}
	if !p.Planned {
		p = markProgress{Planned: true, Targets: []string{}, Done: []string{}, Changes: map[string][]string{}, Counts: map[string]int64{}}
		for _, id := range orig.Targets {
			var undo []string
			for _, ch := range orig.Changes[id] {
				if strings.HasPrefix(ch, changeOptOut) {
					p.Counts["subscription_opt_outs_kept"]++
					continue
				}
				undo = append(undo, ch)
			}
			if len(undo) > 0 {
				p.Targets = append(p.Targets, id)
				p.Changes[id] = undo
			}
		}
		p.Counts["contacts_planned"] = int64(len(p.Targets))
		if err := r.saveProgress(ctx, StepUnmarkContacts, p); err != nil {
			return err
		}
	}
	for _, id := range p.Targets {
		if slices.Contains(p.Done, id) {
			continue
		}
		hasTag := slices.ContainsFunc(p.Changes[id], func(c string) bool { return strings.HasPrefix(c, changeTag) })
		st, err := r.readState(ctx, id, hasTag, false)
		if errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged) {
			p.Counts["contacts_gone"]++
		} else if err != nil {
			return fmt.Errorf("read contact %s: %w", id, err)
		} else {
			for _, ch := range p.Changes[id] {
				if !stillNeeded(ch, st, true) {
					continue
				}
				if err := r.apply(ctx, id, ch, true); err != nil {
					return err
				}
				p.Counts[changeCount(ch, true)]++
			}
		}
		p.Done = append(p.Done, id)
		if err := r.saveProgress(ctx, StepUnmarkContacts, p); err != nil {
			return err
		}
	}
	return r.recordStep(ctx, StepUnmarkContacts, p, audit.Record{Action: audit.ActionRestrictionLifted, Counts: p.Counts,
		ObjectIDs: capIDs(p.Done), Reason: "restriction marks taken off in Intercom (subscription opt-outs kept)"}, nil)
}

// liftLimit ends the restriction locally: the sync and webhooks update the
// copy again and exports include the person.
func (r *runner) liftLimit(ctx context.Context) error {
	d := limitDetail{Counts: map[string]int64{}}
	rec := audit.Record{Action: audit.ActionRestrictionLifted, Counts: d.Counts, ObjectIDs: []string{r.req.LinkedRequestID},
		Reason: "restriction (object_ids) lifted locally (GDPR Art. 18(3): the person is told before it is lifted)"}
	return r.recordStep(ctx, StepLiftLimit, &d, rec, func(tx store.Tx) error {
		n, err := tx.LiftLimits(ctx, store.LimitRestriction, r.req.LinkedRequestID, r.id, r.s.now())
		clear(d.Counts)
		d.Counts["limit_refs_lifted"] = n
		return err
	})
}

// RightsOutcome is the outcome a completed correction, restriction, lift or
// objection keeps: counts and field names, never a value.
type RightsOutcome struct {
	Type     store.RequestType `json:"type"`
	Result   string            `json:"result"`
	Counts   map[string]int64  `json:"counts"`
	Notices  []Notice          `json:"notices,omitempty"`
	Searched map[string]int    `json:"searched,omitempty"`
	// Fields are the names of the fields a correction changed.
	Fields []string `json:"fields,omitempty"`
	// Scope is what an objection covers.
	Scope []string `json:"scope,omitempty"`
	// Linked is the restriction a lift lifted.
	Linked string `json:"linked,omitempty"`
}

// noticeEvent is the change the recipients are told of when a request of type t
// (with an objection's scope) completes: GDPR Art. 19, CCPA §7022(b),
// §7023(c), and §7026(f) for an opt-out of sale or sharing or a limit of
// sensitive data.
func noticeEvent(t store.RequestType, scope []string) string {
	switch t {
	case store.RequestCorrection:
		return "correction"
	case store.RequestRestriction:
		return "restriction"
	case store.RequestObjection:
		if slices.Contains(scope, ScopeSaleSharing) || slices.Contains(scope, ScopeSensitive) {
			return "opt_out"
		}
	}
	return ""
}

// completeRight completes a correction, restriction, lift or objection: the
// outcome, the state and, for a correction or restriction that changed
// anything, the notices owed to the recipients, in one transaction.
func (r *runner) completeRight(ctx context.Context) error {
	out := RightsOutcome{Type: r.req.Type, Result: "completed", Counts: map[string]int64{}, Notices: r.res.Notices,
		Searched: r.res.Searched, Linked: r.req.LinkedRequestID}
	steps := make([]store.Step, 0, len(r.steps))
	for _, name := range Plan(r.req.Type) {
		st, ok := r.steps[name]
		if !ok {
			continue
		}
		steps = append(steps, st)
		var d struct {
			Counts map[string]int64 `json:"counts"`
		}
		if len(st.Detail) > 0 && json.Unmarshal(st.Detail, &d) == nil {
			for k, v := range d.Counts {
				out.Counts[k] += v
			}
		}
	}
	if r.req.Type != store.RequestLiftRestriction {
		out.Counts["contacts_found"] = int64(r.res.Found())
		if r.res.Found() == 0 {
			out.Result = "nothing_found"
		}
	}
	out.Fields = ChangedFields(steps)
	if r.req.Type == store.RequestObjection {
		if p, err := r.s.PayloadOf(ctx, r.req); err == nil {
			out.Scope = p.Scope
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	now := r.s.now()
	nature := map[store.RequestType]string{
		store.RequestCorrection:      "personal data corrected",
		store.RequestRestriction:     "processing restricted",
		store.RequestLiftRestriction: "restriction lifted",
		store.RequestObjection:       "objection / opt-out applied",
	}[r.req.Type]
	outcome := audit.OutcomeSuccess
	if out.Result == "nothing_found" {
		nature, outcome = "no personal data found in Intercom", audit.OutcomeNoop
	}
	event := noticeEvent(r.req.Type, out.Scope)
	changed := out.Counts["contacts_updated"] > 0 || r.req.Type != store.RequestCorrection && out.Result != "nothing_found"
	err = r.recordStep(ctx, StepComplete, map[string]any{"result": out.Result}, audit.Record{
		Action: audit.ActionRequestCompleted, Counts: out.Counts, ResponseDate: now, ResponseNature: nature, Outcome: outcome,
		Reason:      "request answered" + fieldsReason(out.Fields),
		RequestDate: r.req.ReceivedAt, RequestNature: requestNature(r.req.Type), RequestMethod: r.req.Channel,
	}, func(tx store.Tx) error {
		cur, err := tx.GetRequest(ctx, r.id)
		if err != nil {
			return err
		}
		if cur.State != store.StateInProgress {
			return fmt.Errorf("%w: %s is %s", ErrWrongState, r.id, cur.State)
		}
		cur.State, cur.CompletedAt, cur.UpdatedAt, cur.Outcome = store.StateCompleted, now, now, b
		done, err := tx.UpdateRequest(ctx, cur, store.StateInProgress)
		if err != nil {
			return err
		}
		// Tell the recipients of the data (GDPR Art. 19, CCPA §7022(b),
		// §7023(c)) in the transaction that completes the request.
		told := 0
		if event != "" && changed && r.s.Notices != nil {
			if told, err = r.s.Notices.Plan(ctx, tx, r.id, event); err != nil {
				return err
			}
		}
		// And the person: what was done, in the same transaction, so the
		// message is written exactly once with the completion.
		_, err = r.s.tell(ctx, tx, Milestone{Kind: MilestoneCompleted, Request: done, Recipients: told})
		return err
	})
	if err != nil {
		return err
	}
	r.s.logger().Info("request completed", "request_id", r.id, "type", string(r.req.Type), "result", out.Result)
	return nil
}

func fieldsReason(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	shown := make([]string, len(fields))
	for i, f := range fields {
		shown[i] = shownField(f)
	}
	return "; fields changed: " + strings.Join(shown, ", ")
}
