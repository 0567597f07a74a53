package contactsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/groupcommit"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// WebhookSink is the store-backed webhook.Sink of the minimal sync. For each
// verified notification (webhook.Handler verifies and parses it) it:
//
//   - acknowledges a ping (no id) without storing anything;
//   - stores the event minimised: notification id, topic, and for contact
//     items the contact id and its person key id; the item payload is dropped
//     (nothing of it is needed to apply the event, so no personal data of the
//     notification is kept, in clear or encrypted). InsertWebhookEvent
//     de-duplicates on the notification id: a redelivery is acknowledged as a
//     duplicate and has no second effect;
//   - contact.deleted, contact.archived (and API 1.x user.deleted): purges the
//     contact from the local store (cached contact, its conversations, its
//     earlier webhook events) and destroys its person key, in the transaction
//     that stores the event, with a webhook.applied audit record. No network
//     call is made;
//   - contact created, updated, unarchived and merged topics: stores the event
//     unprocessed and wakes the Applier, which fetches the contact from
//     Intercom outside any transaction and then updates the minimal copy (see
//     ApplyPending). A process killed in between leaves the event unprocessed,
//     and the Applier applies it when it next runs;
//   - any other topic: stored (already processed) and acknowledged.
//
// The events are kept for the webhook-event retention (aged from ReceivedAt).
//
// Accept returns only after the transaction holding the event (and, for a
// purge, its effect and audit record) committed, so an acknowledgement always
// means stored. With Commit set, notifications arriving together share one
// transaction (group commit): a burst costs one commit per batch instead of
// one per notification, and writers do not contend for the database's lock.
// When the notification cannot be stored now (Commit's queue full, or the
// database busy past its timeout), Accept stores nothing and returns a
// *webhook.UnavailableError: the receiver answers 503 with Retry-After and
// Intercom delivers it again.
type WebhookSink struct {
	// Syncer gives the store, the vault, the audit chain and the allow-list.
	Syncer *Syncer
	// Wake, when set, is called after an event that needs fetching was stored
	// or redelivered (Applier.Wake).
	Wake func()
	// Commit, when set, writes notifications in shared transactions (see
	// package groupcommit); its owner closes it after the HTTP server has
	// stopped. When nil, each notification has a transaction of its own.
	Commit *groupcommit.Committer
}

// busyRetryAfter is the Retry-After suggested when the database was busy.
const busyRetryAfter = 2 * time.Second

var _ webhook.Sink = (*WebhookSink)(nil)

// eventKind is how a notification is applied.
type eventKind int

const (
	kindStoreOnly eventKind = iota
	kindPurge
	kindRefresh
)

// refreshes reports whether topic asks for the contact to be fetched again.
func refreshes(t webhook.Topic) bool {
	return t.UpdatesContact() || t == webhook.TopicContactMerged
}

func kindOf(t webhook.Topic, contactID string) eventKind {
	switch {
	case contactID == "":
		return kindStoreOnly
	case t.PurgesContact():
		return kindPurge
	case refreshes(t):
		return kindRefresh
	}
	return kindStoreOnly
}

// maxContactIDLen bounds the contact ids kept from a notification.
const maxContactIDLen = 255

// contactOf returns the contact id of a notification's item when the item is
// a contact (type contact, or user/lead in API 1.x); "" otherwise.
func contactOf(n webhook.Notification) string {
	ref, err := n.Ref()
	if err != nil {
		return ""
	}
	switch ref.Type {
	case "contact", "user", "lead":
	default:
		return ""
	}
	id := strings.TrimSpace(ref.ID)
	if len(id) > maxContactIDLen || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	return id
}

// Accept implements webhook.Sink.
func (w *WebhookSink) Accept(ctx context.Context, n webhook.Notification, _ []byte) (bool, error) {
	s := w.Syncer
	if err := s.check(false); err != nil {
		return false, err
	}
	if n.ID == "" {
		return false, nil
	}
	ev := store.WebhookEvent{NotificationID: n.ID, Topic: string(n.Topic), ReceivedAt: s.now()}
	if id := contactOf(n); id != "" {
		keyID, err := PersonKeyID(s.Vault, id)
		if err != nil {
			return false, fmt.Errorf("contactsync: person key id of a webhook contact: %w", err)
		}
		ev.ContactID, ev.PersonKeyID = id, keyID
	}
	kind := kindOf(n.Topic, ev.ContactID)
	if kind == kindStoreOnly {
		ev.ProcessedAt = ev.ReceivedAt
	}
	// The unit may run more than once (see groupcommit.Func, store.Store.InTx):
	// it resets what it reports.
	var (
		dup bool
		bc  batchCounts
	)
	unit := func(ctx context.Context, tx store.Tx) error {
		dup, bc = false, batchCounts{}
		if kind == kindPurge {
			var err error
			dup, err = s.receivePurge(ctx, tx, ev, &bc)
			return err
		}
		inserted, err := tx.InsertWebhookEvent(ctx, ev)
		dup = !inserted
		return err
	}
	var err error
	if w.Commit != nil {
		err = w.Commit.Do(ctx, unit)
	} else {
		err = s.Store.InTx(ctx, func(tx store.Tx) error { return unit(ctx, tx) })
	}
	if err != nil {
		return false, acceptError(kind, err)
	}
	for _, k := range bc.destroyed {
		s.Vault.Forget(k)
	}
	switch {
	case kind == kindRefresh && w.Wake != nil:
		w.Wake()
	case kind == kindPurge && !dup:
		s.logger().InfoContext(ctx, "webhook applied", slog.String("id", ev.NotificationID), slog.String("topic", ev.Topic),
			slog.Int64("cached_contacts_purged", bc.purged.Contacts))
	}
	return dup, nil
}

// acceptError wraps the error of a failed Accept; an overloaded queue or a
// busy database becomes a *webhook.UnavailableError (nothing was stored).
func acceptError(kind eventKind, err error) error {
	what := "store webhook event"
	if kind == kindPurge {
		what = "apply webhook event"
	}
	err = fmt.Errorf("contactsync: %s: %w", what, err)
	var oe *groupcommit.OverloadedError
	switch {
	case errors.As(err, &oe):
		return &webhook.UnavailableError{RetryAfter: oe.RetryAfter, Err: err}
	case errors.Is(err, store.ErrBusy):
		return &webhook.UnavailableError{RetryAfter: busyRetryAfter, Err: err}
	}
	return err
}

// receivePurge stores a purge event and applies it inside tx: the event (the
// record that de-duplicates its redeliveries), the purge of the contact's
// local copy and its person key, and a webhook.applied audit record. It
// reports duplicate, and writes nothing, for an event already stored.
func (s *Syncer) receivePurge(ctx context.Context, tx store.Tx, ev store.WebhookEvent, bc *batchCounts) (dup bool, err error) {
	inserted, err := tx.InsertWebhookEvent(ctx, ev)
	if err != nil || !inserted {
		return !inserted && err == nil, err
	}
	done := ev
	done.ProcessedAt = ev.ReceivedAt
	if err := s.purgeKeepingEvent(ctx, tx, done, bc); err != nil {
		return false, err
	}
	return false, s.appendApplied(ctx, tx, ev, *bc, "webhook "+ev.Topic+": local copy purged")
}

// purgeKeepingEvent purges the event's contact and keeps the event itself
// (marked processed) as the record that de-duplicates its redeliveries: the
// purge deletes every event of the contact, this one included.
func (s *Syncer) purgeKeepingEvent(ctx context.Context, tx store.Tx, ev store.WebhookEvent, bc *batchCounts) error {
	if err := s.purge(ctx, tx, ev.ContactID, ev.PersonKeyID, bc); err != nil {
		return err
	}
	reinserted, err := tx.InsertWebhookEvent(ctx, ev)
	if err != nil {
		return err
	}
	if reinserted && bc.purged.WebhookEvents > 0 {
		bc.purged.WebhookEvents--
	}
	if !reinserted {
		// The purge did not remove it (it had no contact id): mark it.
		return tx.MarkWebhookProcessed(ctx, ev.NotificationID, ev.ProcessedAt)
	}
	return nil
}

// appendApplied appends the webhook.applied audit record of ev.
func (s *Syncer) appendApplied(ctx context.Context, tx store.Tx, ev store.WebhookEvent, bc batchCounts, reason string) error {
	outcome := audit.OutcomeSuccess
	if bc.stored+bc.purged.Total()+bc.keysDestroyed == 0 {
		outcome = audit.OutcomeNoop
	}
	counts := bc.audit()
	counts["cached_conversations_purged"] = bc.purged.Conversations
	_, err := s.Chain.Append(ctx, tx, s.appliedRecord(ev, counts, outcome, reason))
	return err
}

// appliedRecord builds a webhook.applied record. The contact id is recorded
// as an object id unless the audit checker refuses it (an id Intercom would
// never send): the record must not fail, or Intercom would redeliver forever.
func (s *Syncer) appliedRecord(ev store.WebhookEvent, counts map[string]int64, o audit.Outcome, reason string) audit.Record {
	r := audit.Record{Actor: s.actor(), Action: audit.ActionWebhookApplied, SubjectRef: ev.PersonKeyID,
		Counts: counts, Outcome: o, Reason: reason}
	if ev.ContactID != "" {
		r.ObjectIDs = []string{ev.ContactID}
		if s.Chain.Validate(&r) != nil {
			r.ObjectIDs = nil
		}
	}
	return r
}

// ApplyResult counts what ApplyPending did.
type ApplyResult struct {
	// Seen counts the unprocessed events read.
	Seen int `json:"seen"`
	// Stored counts contacts refreshed in the local store.
	Stored int `json:"stored"`
	// Purged counts events whose contact was gone from Intercom (404 or
	// merged): the local copy was purged.
	Purged int `json:"purged"`
	// Skipped counts events with nothing to do: suppressed people, cached
	// copies already newer, events another process applied or a purge removed.
	Skipped int `json:"skipped"`
	// Failed counts events Intercom refused for good (marked processed with a
	// failure record); Deferred those left for a later attempt.
	Failed   int `json:"failed"`
	Deferred int `json:"deferred"`
}

// ApplyPending applies up to limit stored webhook events that are not yet
// processed, oldest first (100 when limit <= 0). For a contact topic it fetches
// the contact with GetContact (no transaction open), then in one transaction
// claims the event (store.WebhookEventClaimer: if another process applied it,
// or a purge deleted it meanwhile, nothing is written), re-checks the
// suppression list, writes the allow-listed copy unless the cached one is
// newer, and appends a webhook.applied record. A contact Intercom no longer
// has (404, or 410 merged) is purged locally instead. Intercom errors that may
// pass (5xx, 429, a revoked token, timeouts) leave the event for the next
// call; the first such error is returned after the other events were tried
// (a revoked token or an exhausted rate limit stops the batch at once).
func (s *Syncer) ApplyPending(ctx context.Context, limit int) (ApplyResult, error) {
	var res ApplyResult
	if err := s.check(true); err != nil {
		return res, err
	}
	if limit <= 0 {
		limit = 100
	}
	evs, err := s.Store.UnprocessedWebhookEvents(ctx, limit)
	if err != nil {
		return res, fmt.Errorf("contactsync: read unprocessed webhook events: %w", err)
	}
	var firstErr error
	for _, ev := range evs {
		res.Seen++
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		err := s.applyOne(ctx, ev, &res)
		if err == nil {
			continue
		}
		res.Deferred++
		if firstErr == nil {
			firstErr = err
		}
		if errors.Is(err, intercom.ErrUnauthorized) || errors.Is(err, intercom.ErrRateLimited) ||
			errors.Is(err, intercom.ErrForbidden) || ctx.Err() != nil {
			break
		}
	}
	if res.Stored+res.Purged+res.Failed > 0 && ctx.Err() == nil {
		// The batch is signed when it ends: the unsigned tail never holds an
		// applied batch (the serve checkpointer witnesses it).
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			_, _, err := s.Chain.Checkpoint(ctx, tx)
			return err
		})
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("contactsync: audit checkpoint: %w", err)
		}
	}
	return res, firstErr
}

// applyOne applies one unprocessed event.
func (s *Syncer) applyOne(ctx context.Context, ev store.WebhookEvent, res *ApplyResult) error {
	if kindOf(webhook.Topic(ev.Topic), ev.ContactID) != kindRefresh {
		// Nothing to fetch (an event stored by another version, or a purge
		// topic left unprocessed): purge topics are applied, others marked.
		return s.applyLocal(ctx, ev, res)
	}
	c, err := s.Intercom.GetContact(ctx, ev.ContactID)
	switch {
	case err == nil:
		p, err := s.prepare(c, s.syncConfig())
		if err != nil {
			return err
		}
		if p.id != ev.ContactID {
			// Intercom answered for another id (should not happen): purge
			// nothing, store nothing.
			return s.markOnly(ctx, ev, res, audit.OutcomeFailure, "webhook "+topicLabel(ev.Topic)+": Intercom returned another contact")
		}
		return s.applyFetched(ctx, ev, p, res)
	case errors.Is(err, intercom.ErrNotFound) || errors.Is(err, intercom.ErrMerged):
		return s.applyGone(ctx, ev, res)
	case errors.Is(err, intercom.ErrValidation):
		return s.markOnly(ctx, ev, res, audit.OutcomeFailure, "webhook "+topicLabel(ev.Topic)+": Intercom refused the contact id")
	default:
		s.logger().WarnContext(ctx, "webhook event deferred", slog.String("id", ev.NotificationID), slog.String("error", err.Error()))
		return fmt.Errorf("contactsync: fetch the contact of webhook event %s: %w", ev.NotificationID, err)
	}
}

// topicLabel returns topic for a topic the project knows, "other topic"
// otherwise (audit reasons hold only known words).
func topicLabel(topic string) string {
	switch t := webhook.Topic(topic); {
	case t.PurgesContact(), refreshes(t):
		return topic
	}
	return "other topic"
}

// claim marks ev processed inside tx and reports whether this transaction is
// the one applying it.
func claim(ctx context.Context, tx store.Tx, ev store.WebhookEvent, at time.Time) (bool, error) {
	if c, ok := tx.(store.WebhookEventClaimer); ok {
		claimed, err := c.ClaimWebhookEvent(ctx, ev.NotificationID, at)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return claimed, err
	}
	err := tx.MarkWebhookProcessed(ctx, ev.NotificationID, at)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Syncer) applyFetched(ctx context.Context, ev store.WebhookEvent, p prepared, res *ApplyResult) error {
	var bc batchCounts
	var o outcome
	claimed := false
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		bc = batchCounts{}
		var err error
		if claimed, err = claim(ctx, tx, ev, s.now()); err != nil || !claimed {
			return err
		}
		if o, err = s.storeOne(ctx, tx, p, time.Time{}, &bc); err != nil {
			return err
		}
		bc.count(o)
		reason := map[outcome]string{outStored: "minimal copy updated", outStale: "cached copy already newer",
			outSuppressed: "person is suppressed: not stored", outRestricted: "processing restricted (GDPR Art. 18): copy left as it was"}[o]
		return s.appendApplied(ctx, tx, ev, bc, "webhook "+topicLabel(ev.Topic)+": "+reason)
	})
	if err != nil {
		return fmt.Errorf("contactsync: apply webhook event %s: %w", ev.NotificationID, err)
	}
	for _, k := range bc.destroyed {
		s.Vault.Forget(k)
	}
	switch {
	case !claimed || o != outStored:
		res.Skipped++
	default:
		res.Stored++
	}
	return nil
}

// applyGone purges a contact Intercom no longer has.
func (s *Syncer) applyGone(ctx context.Context, ev store.WebhookEvent, res *ApplyResult) error {
	var bc batchCounts
	claimed := false
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		bc = batchCounts{}
		now := s.now()
		var err error
		if claimed, err = claim(ctx, tx, ev, now); err != nil || !claimed {
			return err
		}
		done := ev
		done.ProcessedAt = now
		if err := s.purgeKeepingEvent(ctx, tx, done, &bc); err != nil {
			return err
		}
		return s.appendApplied(ctx, tx, ev, bc, "webhook "+topicLabel(ev.Topic)+": contact no longer in Intercom, local copy purged")
	})
	if err != nil {
		return fmt.Errorf("contactsync: apply webhook event %s: %w", ev.NotificationID, err)
	}
	for _, k := range bc.destroyed {
		s.Vault.Forget(k)
	}
	if claimed {
		res.Purged++
	} else {
		res.Skipped++
	}
	return nil
}

// applyLocal applies an unprocessed event that needs no fetch.
func (s *Syncer) applyLocal(ctx context.Context, ev store.WebhookEvent, res *ApplyResult) error {
	if kindOf(webhook.Topic(ev.Topic), ev.ContactID) == kindPurge {
		return s.applyGone(ctx, ev, res)
	}
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		_, err := claim(ctx, tx, ev, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("contactsync: mark webhook event %s: %w", ev.NotificationID, err)
	}
	res.Skipped++
	return nil
}

// markOnly marks ev processed with an audit record and applies nothing.
func (s *Syncer) markOnly(ctx context.Context, ev store.WebhookEvent, res *ApplyResult, o audit.Outcome, reason string) error {
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		claimed, err := claim(ctx, tx, ev, s.now())
		if err != nil || !claimed {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, s.appliedRecord(ev, nil, o, reason))
		return err
	})
	if err != nil {
		return fmt.Errorf("contactsync: mark webhook event %s: %w", ev.NotificationID, err)
	}
	res.Failed++
	return nil
}

// Applier applies stored webhook events in the background: when woken (a
// refresh event was stored), and every Interval to pick up events left by a
// crash or deferred by an Intercom error.
type Applier struct {
	Syncer *Syncer
	// Interval between sweeps (DefaultApplyInterval when 0).
	Interval time.Duration
	// Batch is the limit passed to ApplyPending (100 when 0).
	Batch int
	// OnResult, when set, is called after each ApplyPending call.
	OnResult func(ApplyResult, error)

	wake chan struct{}
}

// DefaultApplyInterval is the Applier's sweep interval.
const DefaultApplyInterval = 30 * time.Second

// NewApplier returns an Applier for s.
func NewApplier(s *Syncer) *Applier {
	return &Applier{Syncer: s, wake: make(chan struct{}, 1)}
}

// Wake asks the Applier to run soon; it never blocks.
func (a *Applier) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run applies pending events until ctx is done, then returns nil. It starts
// with a sweep (events left by an earlier process).
func (a *Applier) Run(ctx context.Context) error {
	if a.wake == nil {
		a.wake = make(chan struct{}, 1)
	}
	interval := a.Interval
	if interval <= 0 {
		interval = DefaultApplyInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		a.sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-a.wake:
		case <-t.C:
		}
	}
}

// sweep calls ApplyPending until a batch is not full or fails.
func (a *Applier) sweep(ctx context.Context) {
	batch := a.Batch
	if batch <= 0 {
		batch = 100
	}
	for ctx.Err() == nil {
		res, err := a.Syncer.ApplyPending(ctx, batch)
		if a.OnResult != nil {
			a.OnResult(res, err)
		}
		if err != nil {
			if ctx.Err() == nil {
				a.Syncer.logger().WarnContext(ctx, "webhook applier: events deferred", slog.Int("deferred", res.Deferred), slog.String("error", err.Error()))
			}
			return
		}
		if res.Seen < batch {
			return
		}
	}
}
