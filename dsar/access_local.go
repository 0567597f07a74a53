package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/intercom-privacy/intercom-privacy/accesspkg"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Local data: what this installation's own store holds about the person (the
// minimal sync's cached contacts, cached conversations and their parts, webhook
// events). Rows are found by the Intercom ids of the resolved contacts and by the
// blind indexes of the identifiers given (so a cached contact that Intercom no
// longer returns is still found), and decrypted with the vault for the package
// only.
//
// The encrypted columns are bound to their row by the vault's AAD. The table names
// used in the AAD are the store's table names ("cached_contacts", ...); the shorter
// names ("contacts", ...) are accepted too, so that rows written under either
// convention open. A field that opens under neither (a destroyed key, another
// convention) is left out and counted, and the package says so in a notice. A
// person key that exists but does not unwrap (damaged, or wrapped by a key-encryption
// key the keyset lost), or any other failure to read a key, is not a destroyed key:
// the package is not built, and the error names how many keys failed, so a person
// never receives a silently thinner package.

// aadTables lists, per kind of cached row, the AAD table names tried in order.
var aadTables = map[string][]string{
	"contact":      {"cached_contacts", "contacts"},
	"conversation": {"cached_conversations", "conversations"},
	"part":         {"cached_parts", "conversation_parts", "parts"},
	"webhook":      {"webhook_events", "webhooks"},
}

// localCollector gathers and decrypts local rows.
type localCollector struct {
	s        *Service
	v        *vault.Vault
	unopened int64
	// broken holds the person keys that exist but did not unwrap (or could not be
	// read); firstErr is the first such error.
	broken   map[string]bool
	firstErr error
	seenC    map[string]bool
	seenConv map[string]bool
	seenHook map[string]bool
	out      accesspkg.LocalData
	parts    int64
	// red redacts other people's data in cached conversation parts.
	red *redaction
}

// open decrypts ct under keyID, trying each AAD table of kind with column and the
// row ids given. It returns false when the field is empty or does not open.
func (l *localCollector) open(ctx context.Context, keyID, kind, column string, rows []string, ct []byte) (string, bool) {
	if len(ct) == 0 || keyID == "" {
		return "", false
	}
	if l.broken[keyID] {
		return "", false
	}
	for _, t := range aadTables[kind] {
		for _, row := range rows {
			plain, err := l.v.Decrypt(ctx, keyID, vault.AAD{Table: t, Column: column, Row: row}, ct)
			switch {
			case err == nil:
				return string(plain), true
			case errors.Is(err, vault.ErrShredded):
				// Destroyed (an earlier erasure): no convention will open it.
				l.unopened++
				return "", false
			case errors.Is(err, vault.ErrDecrypt):
				// Another AAD convention may open it: try the next.
			default:
				if l.broken == nil {
					l.broken = map[string]bool{}
				}
				l.broken[keyID] = true
				if l.firstErr == nil {
					l.firstErr = err
				}
				return "", false
			}
		}
	}
	l.unopened++
	return "", false
}

// localData collects the local rows of the person.
func (s *Service) localData(ctx context.Context, ids Identifiers, res Resolution, red *redaction) (accesspkg.LocalData, int64, error) {
	l := &localCollector{s: s, v: s.Vault.With(s.Store), seenC: map[string]bool{}, seenConv: map[string]bool{}, seenHook: map[string]bool{}, red: red}
	l.out = accesspkg.LocalData{Contacts: []accesspkg.Record{}, Conversations: []accesspkg.Record{}, WebhookEvents: []accesspkg.Record{}}
	contactIDs := map[string]bool{}
	for _, m := range res.Matches {
		contactIDs[m.ContactID] = true
	}
	var cached []store.CachedContact
	for _, id := range res.ContactIDs() {
		c, err := s.Store.GetContact(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return l.out, 0, fmt.Errorf("dsar: read cached contact: %w", err)
		}
		cached = append(cached, c)
	}
	lookups, err := s.cacheLookups(ids)
	if err != nil {
		return l.out, 0, err
	}
	for _, lk := range lookups {
		cs, err := s.Store.FindContacts(ctx, lk.kind, lk.idx)
		if err != nil {
			return l.out, 0, fmt.Errorf("dsar: find cached contacts by %s: %w", lk.kind, err)
		}
		cached = append(cached, cs...)
	}
	for _, c := range cached {
		if l.seenC[c.IntercomID] {
			continue
		}
		l.seenC[c.IntercomID] = true
		contactIDs[c.IntercomID] = true
		rec := accesspkg.Record{"intercom_id": c.IntercomID, "role": c.Role}
		for _, f := range []struct {
			col string
			ct  []byte
		}{{"email", c.EmailEnc}, {"name", c.NameEnc}, {"phone", c.PhoneEnc}, {"external_id", c.ExternalIDEnc}, {"attributes", c.AttributesEnc}} {
			if v, ok := l.open(ctx, c.PersonKeyID, "contact", f.col, []string{c.IntercomID}, f.ct); ok {
				if f.col == "attributes" {
					var attrs any
					if json.Unmarshal([]byte(v), &attrs) == nil {
						rec[f.col] = attrs
						continue
					}
				}
				rec[f.col] = v
			}
		}
		putTime(rec, "last_seen_at", c.LastSeenAt)
		putTime(rec, "intercom_updated_at", c.RemoteUpdatedAt)
		putTime(rec, "cached_since", c.CreatedAt)
		l.out.Contacts = append(l.out.Contacts, rec)
	}
	ordered := make([]string, 0, len(contactIDs))
	for id := range contactIDs {
		ordered = append(ordered, id)
	}
	sort.Strings(ordered)
	lister, canListHooks := s.Store.(store.WebhookEventLister)
	for _, cid := range ordered {
		convs, err := s.Store.ConversationsByContact(ctx, cid)
		if err != nil {
			return l.out, 0, fmt.Errorf("dsar: read cached conversations: %w", err)
		}
		for _, cv := range convs {
			if l.seenConv[cv.ID] {
				continue
			}
			l.seenConv[cv.ID] = true
			rec := accesspkg.Record{"conversation_id": cv.ID}
			if v, ok := l.open(ctx, cv.PersonKeyID, "conversation", "subject", []string{cv.ID}, cv.SubjectEnc); ok {
				rec["subject"] = red.text(v)
			}
			putTime(rec, "cached_since", cv.CreatedAt)
			putTime(rec, "intercom_updated_at", cv.RemoteUpdatedAt)
			parts, err := s.Store.Parts(ctx, cv.ID)
			if err != nil {
				return l.out, 0, fmt.Errorf("dsar: read cached conversation parts: %w", err)
			}
			var ps []any
			for _, p := range parts {
				pr := map[string]any{"part_id": p.PartID, "author_type": p.AuthorType}
				if !p.CreatedAt.IsZero() {
					pr["created_at"] = p.CreatedAt.UTC().Format(time.RFC3339)
				}
				if v, ok := l.open(ctx, cv.PersonKeyID, "part", "body", []string{cv.ID + "/" + p.PartID, p.PartID}, p.BodyEnc); ok {
					_, pr["text"] = red.html(v)
				}
				ps = append(ps, pr)
				l.parts++
			}
			rec["parts"] = ps
			l.out.Conversations = append(l.out.Conversations, rec)
		}
		if !canListHooks {
			continue
		}
		evs, err := lister.WebhookEventsByContact(ctx, cid)
		if err != nil {
			return l.out, 0, fmt.Errorf("dsar: read webhook events: %w", err)
		}
		for _, e := range evs {
			if l.seenHook[e.NotificationID] {
				continue
			}
			l.seenHook[e.NotificationID] = true
			rec := accesspkg.Record{"notification_id": e.NotificationID, "topic": e.Topic, "contact_id": e.ContactID}
			putTime(rec, "received_at", e.ReceivedAt)
			putTime(rec, "processed_at", e.ProcessedAt)
			if v, ok := l.open(ctx, e.PersonKeyID, "webhook", "payload", []string{e.NotificationID}, e.PayloadEnc); ok {
				var payload any
				if json.Unmarshal([]byte(v), &payload) == nil {
					rec["payload"] = payload
				} else {
					rec["payload"] = v
				}
			}
			l.out.WebhookEvents = append(l.out.WebhookEvents, rec)
		}
	}
	if len(l.broken) > 0 {
		return l.out, 0, &LocalKeysError{Keys: len(l.broken), Err: l.firstErr}
	}
	return l.out, l.unopened, nil
}

// LocalKeysError: some of the person's data keys for this installation's own copies
// exist but could not be used (they do not unwrap with the key-encryption keyset, or
// could not be read), so the access package was not built: it would have lacked data
// the person is owed. Err is the first cause (vault.ErrKeyUnwrap when a key does not
// unwrap); it names no key id.
type LocalKeysError struct {
	// Keys counts the person keys that failed.
	Keys int
	// Err is the first failure.
	Err error
}

func (e *LocalKeysError) Error() string {
	return fmt.Sprintf("dsar: %d of the person's data key(s) for the local copies could not be used, so no access package was built"+
		" (it would have left their data out): restore the person keys and keysets from a backup, then run the request again: %v", e.Keys, e.Err)
}

// Unwrap returns the first cause.
func (e *LocalKeysError) Unwrap() error { return e.Err }

func putTime(r accesspkg.Record, key string, t time.Time) {
	if !t.IsZero() {
		r[key] = t.UTC().Format(time.RFC3339)
	}
}
