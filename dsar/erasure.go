package dsar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// RecoveryWindowNotice is recorded with every completed erasure: Intercom keeps a
// deleted contact recoverable for 7 days before it is gone for good.
const RecoveryWindowNotice = "Intercom keeps deleted contacts recoverable for 7 days before permanent removal"

// VerificationError reports an erasure whose verification still found the person in
// Intercom. It names Intercom object ids only. The step is not marked done; the job
// retries it.
type VerificationError struct {
	// Remaining are the Intercom contact ids still answering or still found by a
	// search for one of the person's identifiers.
	Remaining []string
	// Other counts tickets or conversations that still answer.
	Other int
}

// Error names the contacts still present (Intercom ids only).
func (e *VerificationError) Error() string {
	return fmt.Sprintf("dsar: erasure verification failed: %d contact(s) still present in Intercom (%s) and %d other object(s) still answering; the verify step will be retried",
		len(e.Remaining), strings.Join(capIDs(e.Remaining), ", "), e.Other)
}

// deleteProgress is the Detail of a step that deletes Intercom objects one by one.
// Targets are fixed when the step first runs; Done grows as each DELETE returns, so
// a resumed step sends no DELETE for an object already done.
type deleteProgress struct {
	Planned bool     `json:"planned"`
	Targets []string `json:"targets"`
	Done    []string `json:"done"`
	// Kept are objects shared with other people, left in place (Intercom removes the
	// person from them when the contact is deleted).
	Kept []string `json:"kept,omitempty"`
	// Retained are objects kept under a legal hold or an erasure exception
	// (and, in the contacts step, contacts kept for them), each with why.
	Retained []KeptObject `json:"retained,omitempty"`
	// Skipped says why a step did nothing ("not_configured").
	Skipped string           `json:"skipped,omitempty"`
	Counts  map[string]int64 `json:"counts"`
}

func (s *Service) config() *config.Config {
	if s.Config != nil {
		return s.Config
	}
	return config.Default()
}

// personContacts is the set of the person's Intercom contact ids (every match,
// whatever its status, and the canonical contacts of merged ones).
func (r *runner) personContacts() map[string]bool {
	set := map[string]bool{}
	for _, m := range r.res.Matches {
		set[m.ContactID] = true
		if m.MergedInto != "" {
			set[m.MergedInto] = true
		}
	}
	return set
}

// orderedContacts lists the person's contact ids: merged-away ones first, then
// archived ones, then live ones (so the canonical contact goes last).
func (r *runner) orderedContacts() []string {
	var out []string
	for _, pass := range []string{StatusMerged, StatusNotRetrievable, StatusActive} {
		for _, m := range r.res.Matches {
			if m.Status == pass && !slices.Contains(out, m.ContactID) {
				out = append(out, m.ContactID)
			}
		}
	}
	for _, m := range r.res.Matches {
		if m.MergedInto != "" && !slices.Contains(out, m.MergedInto) {
			out = append(out, m.MergedInto)
		}
	}
	return out
}

// onlyPerson reports whether every participant is one of the person's contacts.
func onlyPerson(refs []intercom.ContactRef, person map[string]bool) bool {
	for _, c := range refs {
		if !person[string(c.ID)] {
			return false
		}
	}
	return true
}

// deleteTickets deletes the person's tickets (Config.Erasure.DeleteTickets).
func (r *runner) deleteTickets(ctx context.Context) error {
	if !r.s.config().Erasure.DeleteTickets {
		return r.recordStep(ctx, StepDeleteTickets, deleteProgress{Skipped: "not_configured", Counts: map[string]int64{}},
			audit.Record{Action: audit.ActionErasureIntercomDeleted, Outcome: audit.OutcomeNoop, Reason: "ticket deletion not configured"}, nil)
	}
	del := func(ctx context.Context, id string) error {
		_, err := r.s.Intercom.DeleteTicket(ctx, id)
		return err
	}
	return r.deleteObjects(ctx, StepDeleteTickets, "tickets", r.planTickets, del)
}

// planTickets searches the person's tickets and plans those to delete (the
// erasure step and its dry run share it).
func (r *runner) planTickets(ctx context.Context, p *deleteProgress) error {
	return r.planShared(ctx, p, func(ctx context.Context, cid string) ([]sharedObject, error) {
		var out []sharedObject
		for t, err := range r.s.Intercom.SearchTickets(ctx, intercom.Field("contact_ids").Eq(cid), intercom.SearchOptions{}) {
			if err != nil {
				return nil, fmt.Errorf("search tickets: %w", err)
			}
			out = append(out, sharedObject{string(t.ID), t.Contacts.Contacts, ticketFacts(t)})
		}
		return out, nil
	})
}

// planConversations searches the person's conversations and plans those to
// delete (the erasure step and its dry run share it).
func (r *runner) planConversations(ctx context.Context, p *deleteProgress) error {
	return r.planShared(ctx, p, func(ctx context.Context, cid string) ([]sharedObject, error) {
		var out []sharedObject
		for c, err := range r.s.Intercom.SearchConversations(ctx, intercom.Field("contact_ids").Eq(cid), intercom.SearchOptions{}) {
			if err != nil {
				return nil, fmt.Errorf("search conversations: %w", err)
			}
			out = append(out, sharedObject{string(c.ID), c.Contacts.Contacts, conversationFacts(c)})
		}
		return out, nil
	})
}

// deleteConversations deletes the person's conversations when configured
// (Config.Erasure.DeleteConversations, with its retain_metrics choice).
// Conversations shared with other customers are kept: deleting them would erase
// other people's data; Intercom removes the person from them with the contact.
func (r *runner) deleteConversations(ctx context.Context) error {
	cfg := r.s.config().Erasure
	if !cfg.DeleteConversations {
		return r.recordStep(ctx, StepDeleteConversations, deleteProgress{Skipped: "not_configured", Counts: map[string]int64{}},
			audit.Record{Action: audit.ActionErasureIntercomDeleted, Outcome: audit.OutcomeNoop,
				Reason: "explicit conversation deletion not configured; Intercom deletes the conversations with the contact"}, nil)
	}
	retain := cfg.RetainMetrics
	del := func(ctx context.Context, id string) error {
		_, err := r.s.Intercom.DeleteConversation(ctx, id, intercom.DeleteConversationOptions{RetainMetrics: &retain})
		return err
	}
	return r.deleteObjects(ctx, StepDeleteConversations, "conversations", r.planConversations, del)
}

// sharedObject is a ticket or conversation found for one of the person's contacts.
type sharedObject struct {
	id           string
	participants []intercom.ContactRef
	facts        objectFacts
}

// planShared searches the objects of each of the person's contacts (in parallel)
// and plans to delete those that only the person takes part in; objects under
// a legal hold or an exception are kept (Retained), and so are objects shared
// with someone else (Kept).
func (r *runner) planShared(ctx context.Context, p *deleteProgress, search func(context.Context, string) ([]sharedObject, error)) error {
	contacts := r.orderedContacts()
	found := make([][]sharedObject, len(contacts))
	if err := r.forEach(ctx, len(contacts), func(ctx context.Context, i int) error {
		var err error
		found[i], err = search(ctx, contacts[i])
		return err
	}); err != nil {
		return err
	}
	person := r.personContacts()
	rt := r.retainer()
	var ids []string
	kind := ""
	for _, objs := range found {
		for _, o := range objs {
			ids, kind = append(ids, o.id), o.facts.kind
		}
	}
	if err := rt.load(ctx, r.s.Store, kind, ids); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, objs := range found {
		for _, o := range objs {
			if seen[o.id] {
				continue
			}
			seen[o.id] = true
			if k := rt.keep(o.facts); k != nil {
				for _, c := range o.participants {
					if person[string(c.ID)] {
						k.Contacts = append(k.Contacts, string(c.ID))
					}
				}
				k.Shared = !onlyPerson(o.participants, person)
				p.Retained = append(p.Retained, *k)
				continue
			}
			if onlyPerson(o.participants, person) {
				p.Targets = append(p.Targets, o.id)
			} else {
				p.Kept = append(p.Kept, o.id)
			}
		}
	}
	return nil
}

// forEach calls fn for 0..n-1 with at most Service.Parallelism calls at a time and
// returns the first error (the calls not yet started are then skipped).
func (r *runner) forEach(ctx context.Context, n int, fn func(context.Context, int) error) error {
	par := min(r.s.parallelism(), n)
	if par == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// deleteContacts deletes every contact of the person: live, archived (deleted by
// id directly) and merged-away ones (a 410 or 404 means their data lives in the
// canonical contact, which is deleted too).
func (r *runner) deleteContacts(ctx context.Context) error {
	plan := func(ctx context.Context, p *deleteProgress) error {
		var tickets, convs deleteProgress
		if _, err := r.loadProgress(ctx, StepDeleteTickets, &tickets); err != nil {
			return err
		}
		if _, err := r.loadProgress(ctx, StepDeleteConversations, &convs); err != nil {
			return err
		}
		return r.planContacts(ctx, p, &tickets, &convs)
	}
	unconfirmed := map[string]bool{}
	for _, m := range r.res.Matches {
		if m.Status == StatusNotRetrievable {
			unconfirmed[m.ContactID] = true
		}
	}
	retain := r.s.config().Erasure.RetainMetrics
	del := func(ctx context.Context, id string) error {
		if t, ok := strings.CutPrefix(id, store.ObjectTicket+":"); ok {
			_, err := r.s.Intercom.DeleteTicket(ctx, t)
			return err
		}
		if c, ok := strings.CutPrefix(id, store.ObjectConversation+":"); ok {
			_, err := r.s.Intercom.DeleteConversation(ctx, c, intercom.DeleteConversationOptions{RetainMetrics: &retain})
			return err
		}
		_, err := r.s.Intercom.DeleteContact(ctx, id)
		switch {
		case errors.Is(err, intercom.ErrMerged):
			return intercom.ErrNotFound // the canonical contact is among the targets
		case errors.Is(err, intercom.ErrNotFound) && unconfirmed[id]:
			// A contact id that answered 404 to GET and to DELETE: not found
			// (never "already gone", which would claim it existed).
			return errNotFoundByID
		}
		return err
	}
	return r.deleteObjects(ctx, StepDeleteContacts, "contacts", plan, del)
}

// deleteObjects runs one deleting step: it plans the targets once (recorded before
// the first DELETE), deletes each target not yet done, records each as done as soon
// as its DELETE returns, and marks the step done with its audit record. A DELETE
// answering 404 counts as already gone: it was deleted by an earlier attempt whose
// answer was lost, or by someone else, and no second effect happened.
func (r *runner) deleteObjects(ctx context.Context, step, kind string,
	plan func(context.Context, *deleteProgress) error, del func(context.Context, string) error) error {
	var p deleteProgress
	if _, err := r.loadProgress(ctx, step, &p); err != nil {
		return err
	}
	if p.Counts == nil {
		p.Counts = map[string]int64{}
	}
	if !p.Planned {
		p = deleteProgress{Planned: true, Targets: []string{}, Done: []string{}, Counts: map[string]int64{}}
		if err := plan(ctx, &p); err != nil {
			return err
		}
		p.Counts[kind+"_planned"] = int64(len(p.Targets))
		if len(p.Kept) > 0 {
			p.Counts[kind+"_shared_kept"] = int64(len(p.Kept))
		}
		if err := r.saveProgress(ctx, step, p); err != nil {
			return err
		}
	}
	// A hold placed on one of the targets since the plan keeps it.
	if moved, err := r.refreshHolds(ctx, objectKind(kind), &p); err != nil {
		return err
	} else if moved {
		if err := r.saveProgress(ctx, step, p); err != nil {
			return err
		}
	}
	for _, k := range p.Retained {
		if k.Object == objectKind(kind) {
			p.Counts[kind+"_kept_under_hold_or_exception"]++
		}
	}
	done := map[string]bool{}
	for _, id := range p.Done {
		done[id] = true
	}
	var todo []string
	for _, id := range p.Targets {
		if !done[id] {
			todo = append(todo, id)
		}
	}
	r.progress(step, "object", len(p.Done), len(p.Targets))
	if err := r.deleteEach(ctx, step, kind, &p, todo, del); err != nil {
		return err
	}
	outcome := audit.OutcomeSuccess
	if len(p.Targets) == 0 {
		outcome = audit.OutcomeNoop
	}
	return r.recordStep(ctx, step, p, audit.Record{Action: audit.ActionErasureIntercomDeleted, Outcome: outcome,
		Counts: p.Counts, ObjectIDs: capIDs(p.Done), Reason: kind + " deleted in Intercom"}, func(tx store.Tx) error {
		return r.recordKept(ctx, tx, p.Retained)
	})
}

// objectKind is the store's object kind of a deleting step's kind ("tickets").
func objectKind(kind string) string { return strings.TrimSuffix(kind, "s") }

// isGone reports whether Intercom answered that an object is not there (404)
// or was merged away (410).
func isGone(err error) bool {
	return errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged)
}

// maxListRequests bounds how many requests the purge looks through for earlier
// requests of the same person.
const maxListRequests = 100000

// errNotFoundByID marks a DELETE of a contact id given with the request that
// answered 404, like its GET: nothing was found under that id.
var errNotFoundByID = errors.New("dsar: contact id not found")

// deleteEach sends the DELETEs of todo, at most Service.Parallelism at a time (the
// client's shared rate budget bounds the rate), and records each object in p as
// soon as its DELETE returns. On the first failure it stops sending new DELETEs,
// still records those in flight that succeed, and returns the failure.
func (r *runner) deleteEach(ctx context.Context, step, kind string, p *deleteProgress, todo []string, del func(context.Context, string) error) error {
	var mu sync.Mutex
	return r.forEach(ctx, len(todo), func(sendCtx context.Context, i int) error {
		id := todo[i]
		err := del(sendCtx, id)
		mu.Lock()
		defer mu.Unlock()
		kind := kind
		if k, _, ok := strings.Cut(id, ":"); ok && (k == store.ObjectTicket || k == store.ObjectConversation) {
			kind = k + "s" // a contact step's ticket or conversation of a kept contact
		}
		switch {
		case err == nil:
			p.Counts[kind+"_deleted"]++
		case errors.Is(err, errNotFoundByID):
			p.Counts["contact_ids_not_found"]++
		case errors.Is(err, intercom.ErrNotFound):
			p.Counts[kind+"_already_gone"]++
		default:
			return fmt.Errorf("delete %s %s: %w", strings.TrimSuffix(kind, "s"), id, err)
		}
		p.Done = append(p.Done, id)
		// ctx, not sendCtx: a success is recorded even after another DELETE failed.
		if err := r.saveProgress(ctx, step, *p); err != nil {
			return err
		}
		r.progress(step, "object", len(p.Done), len(p.Targets))
		return nil
	})
}

// purgeDetail is the Detail of the purge_local and destroy_keys steps.
type purgeDetail struct {
	Counts map[string]int64 `json:"counts"`
}

// purgeLocal purges the local store and destroys the person's data keys in one
// transaction, with both audit records: the person keys are found through the
// cached rows that the purge deletes, so the two cannot be separated safely.
func (r *runner) purgeLocal(ctx context.Context) error {
	contactIDs := r.orderedContacts()
	lookups, err := r.s.cacheLookups(r.ids)
	if err != nil {
		return err
	}
	var destroyed []string
	var purged store.PurgeCounts
	var keysDestroyed int64
	now := r.s.now()
	err = r.guarded(ctx, func(tx store.Tx) error {
		if cur, found, err := stepOf(ctx, tx, r.id, StepDestroyKeys); err != nil {
			return err
		} else if found && cur.State == store.StepDone {
			return nil
		}
		keys := map[string]bool{}
		contacts := slices.Clone(contactIDs)
		for _, id := range contactIDs {
			c, err := tx.GetContact(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if c.PersonKeyID != "" {
				keys[c.PersonKeyID] = true
			}
		}
		for _, l := range lookups {
			cs, err := tx.FindContacts(ctx, l.kind, l.idx)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.PersonKeyID != "" {
					keys[c.PersonKeyID] = true
				}
				if !slices.Contains(contacts, c.IntercomID) {
					contacts = append(contacts, c.IntercomID)
				}
			}
		}
		// Earlier finished requests of the same person: their packages and the
		// identifiers they were filed with go too (their records stay). A package
		// is purged through its own key (or, stored before packages had keys of
		// their own, through the request's), and that key is destroyed with it.
		others, err := tx.ListRequests(ctx, store.RequestFilter{States: finishedStates, Limit: maxListRequests})
		if err != nil {
			return err
		}
		var earlier int64
		for _, o := range others {
			if o.ID != r.id && o.SubjectRef == r.req.SubjectRef && Finished(o.State) {
				keys[requestKeyID(o.ID)] = true
				earlier++
				blobs, err := tx.BlobsByRequest(ctx, o.ID)
				if err != nil {
					return err
				}
				for _, b := range blobs {
					if b.Kind == store.BlobAccessPackage {
						keys[packageKeyOf(b)] = true
					}
				}
			}
		}
		keyIDs := make([]string, 0, len(keys))
		for k := range keys {
			keyIDs = append(keyIDs, k)
		}
		slices.Sort(keyIDs)
		purged = store.PurgeCounts{}
		if len(keyIDs) > 0 || len(contacts) > 0 {
			var err error
			if purged, err = tx.PurgePerson(ctx, store.PurgeTarget{PersonKeyIDs: keyIDs, ContactIDs: contacts}); err != nil {
				return err
			}
		}
		keysDestroyed = 0
		for _, k := range keyIDs {
			existed, err := r.s.Vault.DestroyPersonKey(ctx, tx, k)
			if err != nil {
				return err
			}
			if existed {
				keysDestroyed++
			}
		}
		destroyed = keyIDs
		pc := map[string]int64{
			"cached_contacts": purged.Contacts, "cached_conversations": purged.Conversations,
			"cached_parts": purged.Parts, "webhook_events": purged.WebhookEvents, "blobs": purged.Blobs,
		}
		kc := map[string]int64{"person_keys_destroyed": keysDestroyed, "earlier_requests_shredded": earlier}
		for _, st := range []struct {
			name   string
			counts map[string]int64
			action audit.Action
			reason string
		}{
			{StepPurgeLocal, pc, audit.ActionErasureLocalPurged, "local store purged: cached contacts, conversations, webhook events, packages"},
			{StepDestroyKeys, kc, audit.ActionErasureKeyDestroyed, "the person's data keys destroyed (crypto-shredding)"},
		} {
			b, _ := json.Marshal(purgeDetail{Counts: st.counts})
			if err := tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: st.name, State: store.StepDone, Attempts: 1,
				Detail: b, StartedAt: now, FinishedAt: now}); err != nil {
				return err
			}
			outcome := audit.OutcomeSuccess
			var total int64
			for _, n := range st.counts {
				total += n
			}
			if total == 0 {
				outcome = audit.OutcomeNoop
			}
			if _, err := r.s.Chain.Append(ctx, tx, audit.Record{Actor: r.s.actor(ctx), Action: st.action, RequestID: r.id,
				SubjectRef: r.req.SubjectRef, Counts: st.counts, Outcome: outcome, Reason: st.reason}); err != nil {
				return err
			}
		}
		return r.resumeIfPaused(ctx, tx)
	})
	if err != nil {
		return err
	}
	for _, k := range destroyed {
		r.s.Vault.Forget(k)
	}
	return r.loadSteps(ctx)
}

// suppressDetail is the Detail of the suppress step.
type suppressDetail struct {
	Counts map[string]int64 `json:"counts"`
	// Skipped says why nothing was added ("nothing_found").
	Skipped string `json:"skipped,omitempty"`
}

// systemsErased lists the systems where the counts show something erased.
func systemsErased(c map[string]int64) []string {
	var out []string
	if c["contacts_deleted"]+c["tickets_deleted"]+c["conversations_deleted"]+c["late_contacts_deleted"]+c["parts_redacted"] > 0 {
		out = append(out, "intercom")
	}
	if c["cached_contacts"]+c["cached_conversations"]+c["cached_parts"]+c["webhook_events"]+c["blobs"] > 0 {
		out = append(out, "local_store")
	}
	if c["person_keys_destroyed"] > 0 {
		out = append(out, "vault_person_keys")
	}
	return out
}

// suppress adds the keyed HMAC (blind index) of each identifier given and of each
// contact id found to the suppression list, so later syncs and webhooks do not
// bring the person back.
func (r *runner) suppress(ctx context.Context) error {
	if r.nothingFound() && !r.s.config().Erasure.SuppressWhenNothingFound {
		return r.recordStep(ctx, StepSuppress, &suppressDetail{Counts: map[string]int64{}, Skipped: "nothing_found"},
			audit.Record{Action: audit.ActionErasureSuppressed, Outcome: audit.OutcomeNoop,
				Reason: "nothing found and nothing erased: no suppression entry added (erasure.suppress_when_nothing_found is off)"}, nil)
	}
	type entry struct {
		kind vault.IndexKind
		ref  []byte
	}
	var entries []entry
	var ierr error
	add := func(kind vault.IndexKind, v string) {
		ref, err := r.s.Vault.BlindIndex(kind, v)
		if err != nil {
			ierr = err
			return
		}
		entries = append(entries, entry{kind, ref})
	}
	r.ids.each(add)
	for _, id := range r.orderedContacts() {
		if !slices.Contains(r.ids.ContactIDs, id) {
			add(vault.KindContactID, id)
		}
	}
	if ierr != nil {
		return ierr
	}
	counts := map[string]int64{}
	rec := audit.Record{Action: audit.ActionErasureSuppressed, Counts: counts,
		Reason: "keyed HMAC of each identifier added to the suppression list"}
	return r.recordStep(ctx, StepSuppress, &suppressDetail{Counts: counts}, rec, func(tx store.Tx) error {
		clear(counts)
		now := r.s.now()
		for _, e := range entries {
			added, err := tx.AddSuppression(ctx, store.Suppression{Ref: e.ref, Kind: string(e.kind), CreatedAt: now})
			if err != nil {
				return err
			}
			if added {
				counts["suppressed_"+string(e.kind)]++
			} else {
				counts["already_suppressed"]++
			}
		}
		return nil
	})
}

// VerifyDetail is the Detail of the verify step: what was checked, and the SHA-256
// of the evidence (one line per check: the object id or the identifier's kind and
// position, and the answer), so the check can be shown later without keeping data.
// LateContacts are contacts the verification's searches found that the person's
// resolution did not list (created meanwhile); they are deleted too, each recorded
// in LateDone as its DELETE returns, and purged locally once (LatePurged).
type VerifyDetail struct {
	Counts         map[string]int64 `json:"counts"`
	EvidenceSHA256 string           `json:"evidence_sha256,omitempty"`
	LateContacts   []string         `json:"late_contacts,omitempty"`
	LateDone       []string         `json:"late_done,omitempty"`
	LatePurged     bool             `json:"late_purged,omitempty"`
}

// maxLateRounds bounds how often one verify step deletes contacts found late
// before it gives up and lets the job retry.
const maxLateRounds = 3

// verify re-queries Intercom: every contact of the person answers 404 (a merged-away
// id may answer 410 pointing at a canonical contact that answers 404), every deleted
// ticket and conversation answers 404, and a search by each email, phone and
// external id finds nothing. A contact that a search still finds and that the
// resolution did not list was created after it: it is deleted, purged and
// suppressed like the others, and the verification runs again. A listed contact
// that still answers (Intercom's search index lags behind deletions) fails the step
// with a *VerificationError, and the job retries it later.
func (r *runner) verify(ctx context.Context) error {
	var d VerifyDetail
	if _, err := r.loadProgress(ctx, StepVerify, &d); err != nil {
		return err
	}
	for round := 0; ; round++ {
		if err := r.eraseLate(ctx, &d); err != nil {
			return err
		}
		evidence, counts, remaining, other, err := r.verifyOnce(ctx, d.LateContacts)
		if err != nil {
			return err
		}
		person := r.personContacts()
		var fresh []string
		for _, id := range remaining {
			if !person[id] && !slices.Contains(d.LateContacts, id) {
				fresh = append(fresh, id)
			}
		}
		if len(fresh) > 0 && round < maxLateRounds {
			d.LateContacts = append(d.LateContacts, fresh...)
			d.LatePurged = false
			if err := r.saveProgress(ctx, StepVerify, d); err != nil {
				return err
			}
			continue
		}
		if len(remaining) > 0 || other > 0 {
			return &VerificationError{Remaining: remaining, Other: other}
		}
		if len(d.LateContacts) > 0 {
			counts["late_contacts_deleted"] = int64(len(d.LateDone))
		}
		sum := sha256.Sum256([]byte(evidence))
		d.Counts, d.EvidenceSHA256 = counts, hex.EncodeToString(sum[:])
		return r.recordStep(ctx, StepVerify, d, audit.Record{Action: audit.ActionErasureVerified, Counts: counts,
			Reason: "re-queried Intercom: every contact answers 404 and no search finds the person; evidence digest in the verify step"}, nil)
	}
}

// eraseLate deletes the late contacts not yet done (a 404 or 410 is done), then, in
// one transaction, purges their local copies, destroys their person keys, adds
// their ids to the suppression list and records it.
func (r *runner) eraseLate(ctx context.Context, d *VerifyDetail) error {
	if len(d.LateContacts) == 0 || d.LatePurged {
		return nil
	}
	for _, id := range d.LateContacts {
		if slices.Contains(d.LateDone, id) {
			continue
		}
		_, err := r.s.Intercom.DeleteContact(ctx, id)
		if err != nil && !errors.Is(err, intercom.ErrNotFound) && !errors.Is(err, intercom.ErrMerged) {
			return fmt.Errorf("delete contact %s found by the verification: %w", id, err)
		}
		d.LateDone = append(d.LateDone, id)
		if err := r.saveProgress(ctx, StepVerify, *d); err != nil {
			return err
		}
	}
	refs := make([][]byte, 0, len(d.LateContacts))
	for _, id := range d.LateContacts {
		ref, err := r.s.Vault.BlindIndex(vault.KindContactID, id)
		if err != nil {
			return err
		}
		refs = append(refs, ref)
	}
	var keys []string
	err := r.guarded(ctx, func(tx store.Tx) error {
		keys = keys[:0]
		for _, id := range d.LateContacts {
			c, err := tx.GetContact(ctx, id)
			if err == nil && c.PersonKeyID != "" && !slices.Contains(keys, c.PersonKeyID) {
				keys = append(keys, c.PersonKeyID)
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		purged, err := tx.PurgePerson(ctx, store.PurgeTarget{PersonKeyIDs: keys, ContactIDs: d.LateContacts})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := r.s.Vault.DestroyPersonKey(ctx, tx, k); err != nil {
				return err
			}
		}
		for _, ref := range refs {
			if _, err := tx.AddSuppression(ctx, store.Suppression{Ref: ref, Kind: string(vault.KindContactID), CreatedAt: r.s.now()}); err != nil {
				return err
			}
		}
		d.LatePurged = true
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := tx.UpsertStep(ctx, store.Step{RequestID: r.id, Name: StepVerify, State: store.StepPending, Detail: b, StartedAt: r.s.now()}); err != nil {
			return err
		}
		_, err = r.s.Chain.Append(ctx, tx, audit.Record{Actor: r.s.actor(ctx), Action: audit.ActionErasureIntercomDeleted,
			RequestID: r.id, SubjectRef: r.req.SubjectRef, Outcome: audit.OutcomeSuccess, ObjectIDs: capIDs(d.LateContacts),
			Counts: map[string]int64{"late_contacts_deleted": int64(len(d.LateDone)), "cached_contacts": purged.Contacts,
				"person_keys_destroyed": int64(len(keys)), "suppressed_contact_id": int64(len(refs))},
			Reason: "contacts matching the person's identifiers created after the resolution, found by the verification: deleted, purged and suppressed"})
		return err
	})
	if err != nil {
		d.LatePurged = false
		return err
	}
	for _, k := range keys {
		r.s.Vault.Forget(k)
	}
	return nil
}

// verifyOnce runs the checks once and returns the evidence text, the counts, the
// contacts still present and how many other objects still answer.
func (r *runner) verifyOnce(ctx context.Context, late []string) (string, map[string]int64, []string, int, error) {
	var evidence strings.Builder
	counts := map[string]int64{}
	var remaining []string
	other := 0
	person := r.personContacts()
	kept := r.keptContacts()
	type check struct{ kind, id string }
	var checks []check
	for _, id := range append(r.orderedContacts(), late...) {
		if k, ok := kept[id]; ok {
			fmt.Fprintf(&evidence, "contact %s: kept (%s, %s)\n", id, k.Why, k.Basis)
			counts["contacts_kept"]++
			continue
		}
		checks = append(checks, check{"contact", id})
	}
	for _, step := range []string{StepDeleteTickets, StepDeleteConversations, StepDeleteContacts} {
		var p deleteProgress
		if err := json.Unmarshal(r.steps[step].Detail, &p); err != nil {
			continue
		}
		for _, id := range p.Done {
			switch k, rest, _ := strings.Cut(id, ":"); {
			case step != StepDeleteContacts:
				checks = append(checks, check{step, id})
			case k == store.ObjectTicket:
				checks = append(checks, check{StepDeleteTickets, rest})
			case k == store.ObjectConversation:
				checks = append(checks, check{StepDeleteConversations, rest})
			}
		}
	}
	// The GETs run in parallel; the evidence is written in the checks' order.
	results := make([]error, len(checks))
	err := r.forEach(ctx, len(checks), func(ctx context.Context, i int) error {
		c := checks[i]
		switch c.kind {
		case "contact":
			_, results[i] = r.s.Intercom.GetContact(ctx, c.id)
		case StepDeleteTickets:
			_, results[i] = r.s.Intercom.GetTicket(ctx, c.id)
		default:
			_, results[i] = r.s.Intercom.GetConversation(ctx, c.id, intercom.GetConversationOptions{})
		}
		return nil
	})
	if err != nil {
		return "", nil, nil, 0, err
	}
	for i, c := range checks {
		err := results[i]
		var merged *intercom.MergedError
		if c.kind == "contact" {
			switch {
			case errors.Is(err, intercom.ErrNotFound):
				fmt.Fprintf(&evidence, "contact %s: 404\n", c.id)
			case errors.As(err, &merged) && person[merged.CanonicalID]:
				fmt.Fprintf(&evidence, "contact %s: 410 merged into %s\n", c.id, merged.CanonicalID)
			case err == nil, errors.As(err, &merged):
				remaining = append(remaining, c.id)
				fmt.Fprintf(&evidence, "contact %s: still present\n", c.id)
			default:
				return "", nil, nil, 0, fmt.Errorf("verify contact %s: %w", c.id, err)
			}
			counts["contacts_checked"]++
			continue
		}
		switch {
		case errors.Is(err, intercom.ErrNotFound):
			fmt.Fprintf(&evidence, "%s %s: 404\n", c.kind, c.id)
		case err == nil:
			other++
			fmt.Fprintf(&evidence, "%s %s: still present\n", c.kind, c.id)
		default:
			return "", nil, nil, 0, fmt.Errorf("verify %s: %w", c.kind, err)
		}
		counts[strings.TrimPrefix(c.kind, "delete_")+"_checked"]++
	}
	pos := map[vault.IndexKind]int{}
	var serr error
	r.ids.each(func(kind vault.IndexKind, v string) {
		if serr != nil {
			return
		}
		var field string
		switch kind {
		case vault.KindEmail:
			field = "email"
		case vault.KindPhone:
			field = "phone"
		case vault.KindExternalID:
			field = "external_id"
		default:
			return
		}
		pos[kind]++
		n := 0
		for c, err := range r.s.Intercom.SearchContacts(ctx, intercom.Field(field).Eq(v), intercom.SearchOptions{}) {
			if err != nil {
				serr = fmt.Errorf("verify: search contacts by %s: %w", field, err)
				return
			}
			if _, ok := kept[string(c.ID)]; ok {
				continue // kept under a hold or an exception
			}
			n++
			if !slices.Contains(remaining, string(c.ID)) {
				remaining = append(remaining, string(c.ID))
			}
		}
		fmt.Fprintf(&evidence, "search %s #%d: %d found\n", field, pos[kind], n)
		counts["searches"]++
	})
	if serr != nil {
		return "", nil, nil, 0, serr
	}
	return evidence.String(), counts, remaining, other, nil
}

// Outcome is the JSON a completed request keeps as its outcome: counts and notices,
// never data.
type Outcome struct {
	Type   store.RequestType `json:"type"`
	Result string            `json:"result"` // "completed" or "nothing_found"
	Counts map[string]int64  `json:"counts"`
	// Systems are those where something was actually erased: "intercom" (a
	// DELETE succeeded), "local_store" (rows purged), "vault_person_keys" (a key
	// destroyed). An erasure that found nothing lists none.
	Systems []string `json:"systems_purged,omitempty"`
	// Searched counts the identifiers looked up, by kind (never values).
	Searched map[string]int `json:"identifiers_searched,omitempty"`
	Notices  []Notice       `json:"notices,omitempty"`
	// EvidenceSHA256 is the verification digest of an erasure.
	EvidenceSHA256 string `json:"evidence_sha256,omitempty"`
	// Kept lists what an erasure kept under a legal hold or an exception
	// (GDPR Art. 17(3), CCPA §1798.105(d)), each with its basis code, the
	// provision of the request's law and the sentence the person is told.
	Kept []KeptObject `json:"kept,omitempty"`
}

// complete ends the request: state completed with the §7101 response date and
// nature, the outcome, and (for every erasure, access+erasure included) the
// request's own key destroyed so the identifiers it was filed with become
// unreadable, all in one transaction. The access package of an access+erasure
// request is encrypted under a key of its own and stays available until it
// expires; only a package stored before packages had keys of their own keeps the
// request's key alive until then (keepRequestKeyForPackage).
func (r *runner) complete(ctx context.Context) error {
	erasure := r.req.Type != store.RequestAccess
	out := Outcome{Type: r.req.Type, Result: "completed", Counts: map[string]int64{}, Notices: r.res.Notices, Searched: r.res.Searched}
	if r.nothingFound() {
		out.Result = "nothing_found"
	}
	for _, name := range Plan(r.req.Type) {
		var d struct {
			Counts         map[string]int64 `json:"counts"`
			EvidenceSHA256 string           `json:"evidence_sha256"`
		}
		if st, ok := r.steps[name]; ok && len(st.Detail) > 0 && json.Unmarshal(st.Detail, &d) == nil {
			for k, v := range d.Counts {
				out.Counts[k] += v
			}
			if d.EvidenceSHA256 != "" {
				out.EvidenceSHA256 = d.EvidenceSHA256
			}
		}
	}
	out.Counts["contacts_found"] = int64(r.res.Found())
	if erasure {
		out.Kept = r.keptObjects()
	}
	if n := r.res.NotFoundIDs(); n > 0 {
		out.Counts["contact_ids_not_found_or_archived"] = int64(n)
	}
	nature := "access package prepared"
	reason := "request answered"
	if erasure {
		out.Systems = systemsErased(out.Counts)
		nature = "personal data deleted"
		if r.req.Type == store.RequestAccessErasure {
			nature = "access package prepared and personal data deleted"
		}
		reason = RecoveryWindowNotice
	}
	if r.nothingFound() {
		nature = "no personal data found in Intercom"
		if erasure {
			nature = "no personal data found in Intercom or in the local store; nothing deleted"
			reason = "nothing found: no Intercom contact and no local copy matched the identifiers searched; nothing deleted"
			if out.Counts["suppressed_email"]+out.Counts["suppressed_phone"]+out.Counts["suppressed_external_id"]+out.Counts["suppressed_contact_id"]+out.Counts["already_suppressed"] > 0 {
				reason += "; identifiers suppressed as configured (erasure.suppress_when_nothing_found)"
			}
		} else {
			reason = "nothing found in Intercom"
		}
	}
	if len(out.Kept) > 0 {
		nature += "; some objects kept under a legal hold or an exception to erasure (see the outcome's kept list)"
	}
	destroyRequestKey := erasure
	if erasure {
		keep, err := r.keepRequestKeyForPackage(ctx)
		if err != nil {
			return err
		}
		destroyRequestKey = !keep
		switch {
		case keep:
			out.Notices = append(slices.Clone(out.Notices), NoticeRequestKeyKept)
		case r.req.Type == store.RequestAccessErasure:
			out.Notices = append(slices.Clone(out.Notices), NoticePackageKept)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	now := r.s.now()
	outcome := audit.OutcomeSuccess
	if r.nothingFound() {
		outcome = audit.OutcomeNoop
	}
	err = r.recordStep(ctx, StepComplete, map[string]any{"result": out.Result}, audit.Record{
		Action: audit.ActionRequestCompleted, Counts: out.Counts, ResponseDate: now, ResponseNature: nature,
		Reason: reason, Outcome: outcome,
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
		// The completion message, before the request's key (which protects the
		// address it goes to) is destroyed below.
		if _, err := r.s.milestone(ctx, tx, MilestoneCompleted, done, &out); err != nil {
			return err
		}
		if destroyRequestKey {
			if _, err := r.s.Vault.DestroyPersonKey(ctx, tx, requestKeyID(r.id)); err != nil {
				return err
			}
		}
		// What the erasure kept is erased once its holds and exceptions end
		// (EraseReleased).
		if row, err := keptRow(r.id, out.Kept, now); err != nil {
			return err
		} else if row != nil {
			if err := tx.UpsertStep(ctx, *row); err != nil {
				return err
			}
		}
		// Tell the recipients of the data of the erasure (GDPR Art. 19, CCPA
		// §7022(b)), in the transaction that completes it: a completed erasure
		// always has its notices.
		if erasure && !r.nothingFound() && r.s.Notices != nil {
			if _, err := r.s.Notices.Plan(ctx, tx, r.id, "erasure"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if destroyRequestKey {
		r.s.Vault.Forget(requestKeyID(r.id))
	}
	r.s.logger().Info("request completed", "request_id", r.id, "type", string(r.req.Type), "result", out.Result)
	return nil
}
