// Package contactsync is the minimal sync of Intercom contacts into the local
// store, and the webhook sink that keeps it fresh.
//
// # What is kept
//
// Only an allow-list: the Intercom id, the role and last_seen_at in clear (not
// personal data on their own), the external id encrypted with its blind index,
// the custom attributes named in the configuration (sync.custom_attributes,
// default "plan") encrypted together as one JSON object, and the personal
// fields named in sync.pii (email, name, phone; none by default) encrypted,
// email and phone with their blind indexes. Every other field of the contact is
// dropped before anything is written. Each contact has its own person key
// (PersonKeyID: the vault's subject reference of the contact id), and every
// ciphertext is bound to "contacts/<column>/<intercom id>" as associated data,
// so a value moved to another row or column does not decrypt.
//
// # Runs
//
// The first run (or --full) lists every contact (GET /contacts, 150 a page).
// Later runs search contacts by updated_at from a cursor kept in the store
// (SyncState "contacts"). Intercom matches dates by calendar day in the
// workspace's time zone ("updated_at > X" starts at the day after X's), so the
// search asks for "updated_at > cursor − 25 h" (a day is at most 25 hours long
// across a daylight-saving change) and the contacts older than the cursor are
// filtered out here. The cursor is never later than the run's start minus
// ClockSkew, so a contact updated while a run walks the list, or not yet
// searchable (Intercom indexes new changes within minutes), is picked up by
// the next run; re-storing an unchanged contact is harmless.
//
// One page of contacts is held in memory at a time and each page is written in
// one store transaction, with its audit record (sync.run, counts only). A run
// that stops half way leaves every committed page in place; an incremental
// run also moves the cursor with each page (the search is sorted by
// updated_at; if Intercom ever returned them out of order the cursor would
// wait for the end of the run), a full run only at its end.
//
// # Suppression
//
// A contact whose contact id, external id, email or phone is on the
// suppression list (blind indexes added by an erasure) is never stored; if a
// copy is cached it is purged and its person key destroyed, in the same
// transaction.
//
// # Webhooks
//
// WebhookSink is the store-backed webhook.Sink: see its documentation.
package contactsync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// CursorName is the SyncState name of the contact sync's cursor.
const CursorName = "contacts"

// DefaultClockSkew is how far before a run's start its cursor is placed at most:
// it covers clock differences with Intercom and the minutes Intercom takes to
// make a change searchable.
const DefaultClockSkew = 10 * time.Minute

// searchOverlap is subtracted from the cursor in the updated_at search: Intercom
// compares dates by calendar day in the workspace time zone, and a day lasts at
// most 25 hours.
const searchOverlap = 25 * time.Hour

// Actor is the audit actor of the sync when Syncer.Actor is empty.
const Actor = "sync"

// Errors of this package, for errors.Is.
var (
	// ErrNotConfigured: a Syncer lacks the store, the vault, the audit chain or
	// the Intercom client.
	ErrNotConfigured = errors.New("contactsync: not configured")
	// ErrCursor: the stored cursor cannot be read; run the sync with --full to
	// start over.
	ErrCursor = errors.New("contactsync: the stored sync cursor is unreadable: run `intercom-privacy sync contacts --full` to start over")
)

// Syncer runs the minimal contact sync and applies webhook notifications. Its
// fields are set by the caller (the command line and the server build it from
// an app.App); it is safe for concurrent use once set.
type Syncer struct {
	Store    store.Store
	Vault    *vault.Vault
	Chain    *audit.Chain
	Intercom *intercom.Client
	// Config is the allow-list (config.Default().Sync when zero).
	Config config.Sync
	// Actor names the actor in audit records (Actor when empty).
	Actor string
	// Logger is the project's redacting logger (discarding when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Options tune one run of Sync.
type Options struct {
	// Full lists every contact instead of searching those changed since the
	// cursor. The first run is always full.
	Full bool
	// PerPage is the page size (intercom.MaxPerPage, 150, when 0).
	PerPage int
	// ClockSkew is DefaultClockSkew when 0.
	ClockSkew time.Duration
	// Progress, when set, is called after each committed page with the totals
	// so far.
	Progress func(Result)
}

// Result counts what a run did. It holds no personal data.
type Result struct {
	// Mode is "full" or "incremental".
	Mode string `json:"mode"`
	// Fetched counts the contacts Intercom returned.
	Fetched int64 `json:"fetched"`
	// Stored counts the contacts written (inserted or replaced).
	Stored int64 `json:"stored"`
	// Unchanged counts contacts the incremental search returned that were not
	// updated since the cursor (the search is day-granular), and contacts whose
	// cached copy is already newer.
	Unchanged int64 `json:"unchanged"`
	// Suppressed counts contacts on the suppression list, never stored.
	Suppressed int64 `json:"suppressed"`
	// Purged counts the cached contacts of suppressed people deleted.
	Purged int64 `json:"purged"`
	// Skipped counts contacts Intercom returned without an id, which cannot be stored.
	Skipped int64 `json:"skipped"`
	// DeletedMeanwhile counts contacts not stored because a webhook purged them
	// after this run fetched them.
	DeletedMeanwhile int64 `json:"deleted_meanwhile"`
	// Pages counts the transactions committed.
	Pages int64 `json:"pages"`
	// PreviousCursor and Cursor are the updated_at cursor before and after.
	PreviousCursor time.Time `json:"previous_cursor,omitzero"`
	Cursor         time.Time `json:"cursor,omitzero"`
	// Started and Finished bound the run.
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Syncer) actor() string {
	if s.Actor == "" {
		return Actor
	}
	return s.Actor
}

func (s *Syncer) syncConfig() config.Sync {
	if s.Config.CustomAttributes == nil && s.Config.PII == nil {
		return config.Default().Sync
	}
	return s.Config
}

// check reports what is missing.
func (s *Syncer) check(needIntercom bool) error {
	switch {
	case s == nil || s.Store == nil:
		return fmt.Errorf("%w: no store", ErrNotConfigured)
	case s.Vault == nil:
		return fmt.Errorf("%w: no vault", ErrNotConfigured)
	case s.Chain == nil:
		return fmt.Errorf("%w: no audit chain", ErrNotConfigured)
	case needIntercom && s.Intercom == nil:
		return fmt.Errorf("%w: no Intercom client: set INTERCOM_ACCESS_TOKEN and INTERCOM_API_URL or INTERCOM_REGION", ErrNotConfigured)
	}
	return nil
}

// Cursor returns the stored cursor (ok false when no run has finished yet).
func (s *Syncer) Cursor(ctx context.Context) (t time.Time, ok bool, err error) {
	st, err := s.Store.GetSyncState(ctx, CursorName)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("contactsync: read the sync cursor: %w", err)
	}
	t, err = ParseCursor(st.Cursor)
	if err != nil {
		return time.Time{}, false, err
	}
	return t, true, nil
}

// Sync runs the contact sync once: a full walk on the first run or when
// o.Full is set, otherwise an incremental search from the stored cursor. It
// returns what it did, also when it stops with an error (the pages committed
// before the error stay committed).
func (s *Syncer) Sync(ctx context.Context, o Options) (res Result, err error) {
	if err := s.check(true); err != nil {
		return Result{}, err
	}
	if o.PerPage <= 0 || o.PerPage > intercom.MaxPerPage {
		o.PerPage = intercom.MaxPerPage
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = DefaultClockSkew
	}
	cfg := s.syncConfig()
	res.Started = s.now()
	prev, have, err := s.Cursor(ctx)
	if err != nil {
		if !o.Full {
			return res, err
		}
		// --full starts over and replaces the unreadable cursor at its end.
		prev, have = time.Time{}, false
	}
	res.PreviousCursor = prev
	full := o.Full || !have
	res.Mode = "incremental"
	if full {
		res.Mode = "full"
	}
	// limit is the latest the cursor may move to in this run.
	limit := res.Started.Add(-o.ClockSkew).Truncate(time.Second)
	var seq iter.Seq2[intercom.Contact, error]
	if full {
		seq = s.Intercom.ListContacts(ctx, intercom.ListOptions{PerPage: o.PerPage})
	} else {
		from := prev.Add(-searchOverlap)
		seq = s.Intercom.SearchContacts(ctx, intercom.Field("updated_at").Gt(from.Unix()),
			intercom.SearchOptions{PerPage: o.PerPage, Sort: &intercom.Sort{Field: "updated_at", Order: "ascending"}})
	}
	log := s.logger()
	log.InfoContext(ctx, "contact sync started", slog.String("mode", res.Mode))

	var (
		batch   []prepared
		maxSeen time.Time
		// sorted stays true while the search returns contacts in updated_at
		// order; only then may the cursor move with each page.
		sorted = true
		lastUp time.Time
		// marks[0] is a time before the page of every contact in the current
		// batch was fetched (see storeBatch).
		marks = [2]time.Time{res.Started, res.Started}
	)
	// cursorFor returns the cursor after contacts up to seen were stored: the
	// next run takes contacts updated at or after it. At the end of a run
	// every contact updated at seen was returned, and every change made after
	// the run started is dated at or after limit, hence seen+1s, but never
	// past limit. In the middle of a run (final false) more contacts of the
	// same second may follow on the next page, so the cursor stays at seen.
	cursorFor := func(seen time.Time, final bool) time.Time {
		c := seen
		if final {
			c = seen.Add(time.Second)
		}
		if seen.IsZero() || c.After(limit) {
			c = limit
		}
		if have && c.Before(prev) {
			c = prev
		}
		return c
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var cur *time.Time
		if !full && sorted {
			c := cursorFor(maxSeen, false)
			cur = &c
		}
		pc, err := s.storeBatch(ctx, batch, marks[0], cur, cfg)
		if err != nil {
			return err
		}
		res.add(pc)
		res.Pages++
		batch = batch[:0]
		marks[0], marks[1] = marks[1], s.now()
		if o.Progress != nil {
			o.Progress(res)
		}
		return nil
	}
	var walkErr error
	for c, err := range seq {
		if err != nil {
			walkErr = err
			break
		}
		res.Fetched++
		up := c.UpdatedAt.Time().UTC()
		if up.Before(lastUp) {
			sorted = false
		}
		lastUp = up
		if up.After(maxSeen) {
			maxSeen = up
		}
		if !full && up.Before(prev) {
			res.Unchanged++
		} else {
			p, err := s.prepare(c, cfg)
			switch {
			case errors.Is(err, errUnusableContact):
				res.Skipped++
			case err != nil:
				walkErr = err
			default:
				batch = append(batch, p)
			}
			if walkErr != nil {
				break
			}
		}
		if res.Fetched%int64(o.PerPage) == 0 {
			if err := flush(); err != nil {
				walkErr = err
				break
			}
		}
	}
	if walkErr == nil {
		walkErr = flush()
	}
	res.Finished = s.now()
	if walkErr != nil {
		res.Cursor = prev
		if !full && res.Pages > 0 {
			if c, ok, err := s.Cursor(ctx); err == nil && ok {
				res.Cursor = c
			}
		}
		// Record the stopped run even when ctx was cancelled (Ctrl-C).
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		_ = s.finish(fctx, res, false)
		cancel()
		log.WarnContext(ctx, "contact sync stopped", slog.String("mode", res.Mode), slog.Int64("stored", res.Stored), slog.String("error", walkErr.Error()))
		return res, fmt.Errorf("contactsync: %s sync stopped after %d contacts (%d pages committed; run it again to continue): %w",
			res.Mode, res.Fetched, res.Pages, walkErr)
	}
	res.Cursor = cursorFor(maxSeen, true)
	if err := s.finish(ctx, res, true); err != nil {
		return res, err
	}
	log.InfoContext(ctx, "contact sync finished", slog.String("mode", res.Mode), slog.Int64("fetched", res.Fetched),
		slog.Int64("stored", res.Stored), slog.Int64("suppressed", res.Suppressed))
	return res, nil
}

func (r *Result) add(c batchCounts) {
	r.Stored += c.stored
	r.Unchanged += c.stale
	r.Suppressed += c.suppressed
	r.Purged += c.purged.Contacts
	r.DeletedMeanwhile += c.deletedMeanwhile
}

// finish writes the cursor (on success) and the run's audit record in one
// transaction, then a signed checkpoint.
func (s *Syncer) finish(ctx context.Context, res Result, ok bool) error {
	counts := map[string]int64{
		"contacts_fetched": res.Fetched, "contacts_stored": res.Stored, "contacts_unchanged": res.Unchanged,
		"contacts_suppressed": res.Suppressed, "cached_contacts_purged": res.Purged,
		"contacts_deleted_meanwhile": res.DeletedMeanwhile, "pages": res.Pages,
	}
	rec := audit.Record{Actor: s.actor(), Action: audit.ActionSyncRun, Counts: counts,
		Outcome: audit.OutcomeSuccess, Reason: "contact sync (" + res.Mode + ") finished"}
	if !ok {
		rec.Outcome, rec.Reason = audit.OutcomePartial, "contact sync ("+res.Mode+") stopped before the end; committed pages kept"
		if res.Pages == 0 {
			rec.Outcome = audit.OutcomeFailure
		}
	}
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		if ok {
			if err := tx.PutSyncState(ctx, store.SyncState{Name: CursorName, Cursor: FormatCursor(res.Cursor), UpdatedAt: res.Finished}); err != nil {
				return err
			}
		}
		_, err := s.Chain.Append(ctx, tx, rec)
		return err
	})
	if err != nil {
		return fmt.Errorf("contactsync: record the run: %w", err)
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		_, _, err := s.Chain.Checkpoint(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("contactsync: audit checkpoint: %w", err)
	}
	return nil
}
