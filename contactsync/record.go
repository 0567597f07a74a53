package contactsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// AADTable is the table name bound to every ciphertext of a cached contact; the
// column is one of the Col constants and the row the Intercom contact id.
const AADTable = "contacts"

// The encrypted columns of a cached contact, as named in the associated data.
const (
	ColExternalID = "external_id"
	ColEmail      = "email"
	ColName       = "name"
	ColPhone      = "phone"
	ColAttributes = "attributes"
)

// maxRoleLen bounds the role kept in clear ("user" or "lead" in practice).
const maxRoleLen = 32

// PersonKeyID returns the person key id of a contact: the vault's subject
// reference of its Intercom id (a keyed HMAC, never the plain id).
func PersonKeyID(v *vault.Vault, contactID string) (string, error) {
	return v.SubjectRef(vault.KindContactID, contactID)
}

// prepared is one contact reduced to the allow-list, with its blind indexes
// computed, ready to be encrypted and written inside a transaction.
type prepared struct {
	id        string
	keyID     string
	updatedAt time.Time
	// refs are the blind indexes checked against the suppression list.
	refs [][]byte
	rec  store.CachedContact
	// plain maps an encrypted column to its plaintext.
	plain map[string][]byte
}

// errUnusableContact is returned by prepare for a contact that cannot be stored (no
// id); a sync run skips and counts it rather than stopping at it on every run.
var errUnusableContact = errors.New("contactsync: Intercom returned a contact without an id")

// prepare reduces c to the allow-list of cfg. Nothing outside the allow-list
// leaves this function; the blind indexes of email and phone are computed for
// the suppression check even when those fields are not stored.
func (s *Syncer) prepare(c intercom.Contact, cfg config.Sync) (prepared, error) {
	id := strings.TrimSpace(c.ID.String())
	if id == "" {
		return prepared{}, errUnusableContact
	}
	keyID, err := PersonKeyID(s.Vault, id)
	if err != nil {
		return prepared{}, fmt.Errorf("contactsync: person key id: %w", err)
	}
	p := prepared{id: id, keyID: keyID, updatedAt: c.UpdatedAt.Time().UTC(), plain: map[string][]byte{}}
	p.rec = store.CachedContact{IntercomID: id, PersonKeyID: keyID, RemoteUpdatedAt: p.updatedAt}
	if c.UpdatedAt.IsZero() {
		p.rec.RemoteUpdatedAt, p.updatedAt = time.Time{}, time.Time{}
	}
	if r := c.Role; len(r) <= maxRoleLen {
		p.rec.Role = r
	}
	if !c.LastSeenAt.IsZero() {
		p.rec.LastSeenAt = c.LastSeenAt.Time().UTC()
	}
	ref, err := s.Vault.BlindIndex(vault.KindContactID, id)
	if err != nil {
		return prepared{}, fmt.Errorf("contactsync: blind index of the contact id: %w", err)
	}
	p.refs = append(p.refs, ref)
	// index returns the blind index of v, or nil when v is empty or unusable
	// (an identifier that does not normalise is neither stored nor indexed).
	index := func(kind vault.IndexKind, v string) []byte {
		if v == "" {
			return nil
		}
		idx, err := s.Vault.BlindIndex(kind, v)
		if err != nil {
			return nil
		}
		p.refs = append(p.refs, idx)
		return idx
	}
	if ext := c.ExternalID.String(); ext != "" {
		if idx := index(vault.KindExternalID, ext); idx != nil {
			p.rec.ExternalIDIdx = idx
			p.plain[ColExternalID] = []byte(ext)
		}
	}
	keep := func(f string) bool { return slices.Contains(cfg.PII, f) }
	if idx := index(vault.KindEmail, c.Email); idx != nil && keep("email") {
		p.rec.EmailIdx = idx
		p.plain[ColEmail] = []byte(c.Email)
	}
	if idx := index(vault.KindPhone, c.Phone); idx != nil && keep("phone") {
		p.rec.PhoneIdx = idx
		p.plain[ColPhone] = []byte(c.Phone)
	}
	if c.Name != "" && keep("name") {
		p.plain[ColName] = []byte(c.Name)
	}
	if attrs := allowedAttributes(c.CustomAttributes, cfg.CustomAttributes); attrs != nil {
		b, err := json.Marshal(attrs)
		if err != nil {
			return prepared{}, errors.New("contactsync: custom attributes do not encode as JSON")
		}
		p.plain[ColAttributes] = b
	}
	return p, nil
}

// allowedAttributes returns the custom attributes named in allow that are set
// (non-null), or nil when there are none.
func allowedAttributes(attrs map[string]any, allow []string) map[string]any {
	var out map[string]any
	for _, name := range allow {
		v, ok := attrs[name]
		if !ok || v == nil {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[name] = v
	}
	return out
}

// outcome is what storing one contact did.
type outcome int

const (
	outStored outcome = iota
	outStale
	outSuppressed
	outDeletedMeanwhile
	// outRestricted: the person's processing is restricted (GDPR Art. 18):
	// the copy is left exactly as it was, neither updated nor created.
	outRestricted
)

// batchCounts counts the outcomes of a batch.
type batchCounts struct {
	stored, stale, suppressed, deletedMeanwhile, restricted int64
	purged                                                  store.PurgeCounts
	keysDestroyed                                           int64
	destroyed                                               []string
}

func (b *batchCounts) count(o outcome) {
	switch o {
	case outStored:
		b.stored++
	case outStale:
		b.stale++
	case outSuppressed:
		b.suppressed++
	case outDeletedMeanwhile:
		b.deletedMeanwhile++
	case outRestricted:
		b.restricted++
	}
}

func (b batchCounts) audit() map[string]int64 {
	return map[string]int64{
		"contacts_stored": b.stored, "contacts_unchanged": b.stale, "contacts_suppressed": b.suppressed,
		"contacts_deleted_meanwhile": b.deletedMeanwhile, "contacts_restricted": b.restricted, "cached_contacts_purged": b.purged.Contacts,
		"webhook_events_purged": b.purged.WebhookEvents, "person_keys_destroyed": b.keysDestroyed,
	}
}

// storeBatch writes a batch in one transaction with its audit record, and moves
// the cursor to *cursor when it is not nil. since is a time before the batch's
// contacts were fetched: a contact purged by a webhook after it is not stored.
func (s *Syncer) storeBatch(ctx context.Context, batch []prepared, since time.Time, cursor *time.Time, cfg config.Sync) (batchCounts, error) {
	var bc batchCounts
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		bc = batchCounts{}
		for _, p := range batch {
			o, err := s.storeOne(ctx, tx, p, since, &bc)
			if err != nil {
				return err
			}
			bc.count(o)
		}
		if cursor != nil {
			if err := tx.PutSyncState(ctx, store.SyncState{Name: CursorName, Cursor: FormatCursor(*cursor), UpdatedAt: s.now()}); err != nil {
				return err
			}
		}
		if bc.stored+bc.suppressed == 0 && cursor == nil {
			return nil
		}
		_, err := s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(), Action: audit.ActionSyncRun, Counts: bc.audit(),
			Outcome: audit.OutcomeSuccess, Reason: "contact sync: page committed"})
		return err
	})
	if err != nil {
		return batchCounts{}, fmt.Errorf("contactsync: write a page of contacts: %w", err)
	}
	for _, k := range bc.destroyed {
		s.Vault.Forget(k)
	}
	return bc, nil
}

// storeOne writes one prepared contact inside tx, unless the person is
// suppressed (then any cached copy is purged and its key destroyed), the
// cached copy is newer, or a purge topic arrived by webhook for the contact
// after since (zero since: no such check).
func (s *Syncer) storeOne(ctx context.Context, tx store.Tx, p prepared, since time.Time, bc *batchCounts) (outcome, error) {
	suppressed, err := tx.Suppressed(ctx, p.refs...)
	if err != nil {
		return 0, err
	}
	if suppressed {
		if err := s.purge(ctx, tx, p.id, p.keyID, bc); err != nil {
			return 0, err
		}
		return outSuppressed, nil
	}
	restricted, err := tx.Limited(ctx, store.LimitRestriction, p.refs...)
	if err != nil {
		return 0, err
	}
	if restricted {
		return outRestricted, nil
	}
	if !since.IsZero() {
		if gone, err := purgedSince(ctx, tx, p.id, since); err != nil {
			return 0, err
		} else if gone {
			return outDeletedMeanwhile, nil
		}
	}
	old, err := tx.GetContact(ctx, p.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return 0, err
	case !p.updatedAt.IsZero() && old.RemoteUpdatedAt.After(p.updatedAt):
		return outStale, nil
	}
	rec := p.rec
	v := s.Vault.With(tx)
	for col, dst := range map[string]*[]byte{
		ColExternalID: &rec.ExternalIDEnc, ColEmail: &rec.EmailEnc, ColName: &rec.NameEnc,
		ColPhone: &rec.PhoneEnc, ColAttributes: &rec.AttributesEnc,
	} {
		plain, ok := p.plain[col]
		if !ok {
			continue
		}
		ct, err := v.Encrypt(ctx, p.keyID, vault.AAD{Table: AADTable, Column: col, Row: p.id}, plain)
		if err != nil {
			return 0, fmt.Errorf("encrypt %s: %w", col, err)
		}
		*dst = ct
	}
	if err := tx.UpsertContact(ctx, rec); err != nil {
		return 0, err
	}
	return outStored, nil
}

// purge deletes everything cached about one contact and destroys its person
// key, inside tx.
func (s *Syncer) purge(ctx context.Context, tx store.Tx, contactID, keyID string, bc *batchCounts) error {
	pc, err := tx.PurgePerson(ctx, store.PurgeTarget{PersonKeyIDs: []string{keyID}, ContactIDs: []string{contactID}})
	if err != nil {
		return err
	}
	bc.purged.Contacts += pc.Contacts
	bc.purged.Conversations += pc.Conversations
	bc.purged.Parts += pc.Parts
	bc.purged.WebhookEvents += pc.WebhookEvents
	bc.purged.Blobs += pc.Blobs
	existed, err := s.Vault.With(tx).DestroyPersonKey(ctx, tx, keyID)
	if err != nil {
		return err
	}
	if existed {
		bc.keysDestroyed++
		bc.destroyed = append(bc.destroyed, keyID)
	}
	return nil
}

// purgedSince reports whether a webhook event that purges the contact was
// received at or after since.
func purgedSince(ctx context.Context, tx store.Tx, contactID string, since time.Time) (bool, error) {
	l, ok := tx.(store.WebhookEventLister)
	if !ok {
		return false, nil
	}
	evs, err := l.WebhookEventsByContact(ctx, contactID)
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		if webhook.Topic(e.Topic).PurgesContact() && !e.ReceivedAt.Before(since.Truncate(time.Microsecond)) {
			return true, nil
		}
	}
	return false, nil
}

// FormatCursor encodes a cursor as UNIX seconds in decimal.
func FormatCursor(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10)
}

// maxCursor is 9999-12-31T23:59:59Z.
const maxCursor = 253402300799

// ParseCursor decodes a cursor written by FormatCursor: decimal UNIX seconds
// between 0 and the year 9999. Anything else gives ErrCursor.
func ParseCursor(s string) (time.Time, error) {
	if s == "" || len(s) > 12 {
		return time.Time{}, ErrCursor
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, ErrCursor
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxCursor {
		return time.Time{}, ErrCursor
	}
	return time.Unix(n, 0).UTC(), nil
}
