package sqlcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// ---- vault.KeyStore ----

// LoadKeyset implements vault.KeyStore.
func (o *Ops) LoadKeyset(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	err := o.queryRow(ctx, `SELECT encrypted FROM keysets WHERE name = $1`, []any{name}, &b)
	if errors.Is(err, errNoRows) {
		return nil, store.NotFound("keyset")
	}
	return b, err
}

// SwapKeyset implements vault.KeyStore: one conditional statement, so the
// comparison and the write are atomic on both backends (an INSERT that does
// nothing on conflict when old is nil, an UPDATE guarded by the stored bytes
// otherwise); no row written means another process saved first.
func (o *Ops) SwapKeyset(ctx context.Context, name string, old, encrypted []byte) error {
	if name == "" {
		return fmt.Errorf("%w: keyset name is empty", store.ErrInvalid)
	}
	if len(encrypted) == 0 {
		return fmt.Errorf("%w: keyset is empty", store.ErrInvalid)
	}
	var n int64
	var err error
	if old == nil {
		n, err = o.exec(ctx, `INSERT INTO keysets (name, encrypted, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, bval(encrypted), o.now().UnixMicro())
	} else {
		n, err = o.exec(ctx, `UPDATE keysets SET encrypted = $3, updated_at = $4 WHERE name = $1 AND encrypted = $2`,
			name, bval(old), bval(encrypted), o.now().UnixMicro())
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return vault.ErrKeysetChanged
	}
	return nil
}

const personKeyCols = `id, wrapped, kek_version, created_at`

func scanPersonKey(r Rows) (vault.PersonKey, error) {
	var k vault.PersonKey
	var v int64
	err := r.Scan(&k.ID, &k.Wrapped, &v, tc(&k.CreatedAt))
	k.KEKVersion = uint32(v)
	return k, err
}

// LoadPersonKey implements vault.KeyStore.
func (o *Ops) LoadPersonKey(ctx context.Context, id string) (vault.PersonKey, error) {
	return queryOne(ctx, o, "person_key", `SELECT `+personKeyCols+` FROM person_keys WHERE id = $1`, []any{id},
		scanPersonKey)
}

// CreatePersonKey implements vault.KeyStore.
func (o *Ops) CreatePersonKey(ctx context.Context, k vault.PersonKey) (vault.PersonKey, error) {
	if k.ID == "" {
		return vault.PersonKey{}, fmt.Errorf("%w: person key id is empty", store.ErrInvalid)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = o.now()
	}
	k.CreatedAt = k.CreatedAt.UTC().Truncate(time.Microsecond)
	// ON CONFLICT DO NOTHING never fails on a concurrent insert of the same id; the
	// SELECT then returns whichever key won.
	if _, err := o.exec(ctx, `INSERT INTO person_keys (id, wrapped, kek_version, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, k.ID, bval(k.Wrapped), int64(k.KEKVersion), k.CreatedAt.UnixMicro()); err != nil {
		return vault.PersonKey{}, err
	}
	return o.LoadPersonKey(ctx, k.ID)
}

// updatePersonKeySQL replaces a wrapped key only if it is still the one read.
const updatePersonKeySQL = `UPDATE person_keys SET wrapped = $2, kek_version = $3 WHERE id = $1 AND wrapped = $4`

// UpdatePersonKey implements vault.KeyStore.
func (o *Ops) UpdatePersonKey(ctx context.Context, k vault.PersonKey, prev []byte) error {
	n, err := o.exec(ctx, updatePersonKeySQL, k.ID, bval(k.Wrapped), int64(k.KEKVersion), bval(prev))
	if err != nil {
		return err
	}
	if n == 0 {
		return store.NotFound("person_key")
	}
	return nil
}

// UpdatePersonKeys implements vault.PersonKeyBatchUpdater: all keys in one
// transaction; keys that no longer exist or changed meanwhile are skipped.
func (o *Ops) UpdatePersonKeys(ctx context.Context, updates []vault.PersonKeyUpdate) (int, error) {
	var n int
	err := o.Atomic(ctx, func(t *Ops) error {
		n = 0
		for _, u := range updates {
			k := u.Key
			c, err := t.exec(ctx, updatePersonKeySQL, k.ID, bval(k.Wrapped), int64(k.KEKVersion), bval(u.Prev))
			if err != nil {
				return err
			}
			n += int(c)
		}
		return nil
	})
	return n, err
}

// DestroyPersonKey implements vault.KeyStore.
func (o *Ops) DestroyPersonKey(ctx context.Context, id string) (bool, error) {
	n, err := o.exec(ctx, `DELETE FROM person_keys WHERE id = $1`, id)
	return n > 0, err
}

// PersonKeys implements vault.KeyStore.
func (o *Ops) PersonKeys(ctx context.Context, afterID string, limit int) ([]vault.PersonKey, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+personKeyCols+` FROM person_keys WHERE id > $1 ORDER BY id LIMIT $2`,
		[]any{afterID, int64(limit)}, scanPersonKey)
}

// ---- contacts ----

const contactCols = `intercom_id, person_key_id, role, external_id_enc, external_id_idx, email_enc, email_idx,
	name_enc, phone_enc, phone_idx, attributes_enc, last_seen_at, remote_updated_at, created_at, updated_at`

func scanContact(r Rows) (store.CachedContact, error) {
	var c store.CachedContact
	err := r.Scan(&c.IntercomID, &c.PersonKeyID, &c.Role, &c.ExternalIDEnc, &c.ExternalIDIdx, &c.EmailEnc,
		&c.EmailIdx, &c.NameEnc, &c.PhoneEnc, &c.PhoneIdx, &c.AttributesEnc, tc(&c.LastSeenAt),
		tc(&c.RemoteUpdatedAt), tc(&c.CreatedAt), tc(&c.UpdatedAt))
	return c, err
}

// UpsertContact implements store.Ops.
func (o *Ops) UpsertContact(ctx context.Context, c store.CachedContact) error {
	if c.IntercomID == "" {
		return fmt.Errorf("%w: contact IntercomID is empty", store.ErrInvalid)
	}
	now := o.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	_, err := o.exec(ctx, `INSERT INTO cached_contacts (`+contactCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (intercom_id) DO UPDATE SET person_key_id = excluded.person_key_id, role = excluded.role,
		external_id_enc = excluded.external_id_enc, external_id_idx = excluded.external_id_idx,
		email_enc = excluded.email_enc, email_idx = excluded.email_idx, name_enc = excluded.name_enc,
		phone_enc = excluded.phone_enc, phone_idx = excluded.phone_idx, attributes_enc = excluded.attributes_enc,
		last_seen_at = excluded.last_seen_at, remote_updated_at = excluded.remote_updated_at,
		updated_at = excluded.updated_at`,
		c.IntercomID, c.PersonKeyID, c.Role, c.ExternalIDEnc, c.ExternalIDIdx, c.EmailEnc, c.EmailIdx,
		c.NameEnc, c.PhoneEnc, c.PhoneIdx, c.AttributesEnc, ts(c.LastSeenAt), ts(c.RemoteUpdatedAt),
		ts(c.CreatedAt), now.UnixMicro())
	return err
}

// GetContact implements store.Ops.
func (o *Ops) GetContact(ctx context.Context, intercomID string) (store.CachedContact, error) {
	return queryOne(ctx, o, "contact", `SELECT `+contactCols+` FROM cached_contacts WHERE intercom_id = $1`,
		[]any{intercomID}, scanContact)
}

// FindContacts implements store.Ops.
func (o *Ops) FindContacts(ctx context.Context, kind store.IndexKind, idx []byte) ([]store.CachedContact, error) {
	var col string
	switch kind {
	case store.IndexEmail:
		col = "email_idx"
	case store.IndexPhone:
		col = "phone_idx"
	case store.IndexExternalID:
		col = "external_id_idx"
	default:
		return nil, fmt.Errorf("%w: unknown index kind %q (want email, phone or external_id)", store.ErrInvalid, kind)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: empty blind index", store.ErrInvalid)
	}
	return queryList(ctx, o, `SELECT `+contactCols+` FROM cached_contacts WHERE `+col+` = $1 ORDER BY intercom_id`,
		[]any{idx}, scanContact)
}

// DeleteContact implements store.Ops.
func (o *Ops) DeleteContact(ctx context.Context, intercomID string) (bool, error) {
	n, err := o.exec(ctx, `DELETE FROM cached_contacts WHERE intercom_id = $1`, intercomID)
	return n > 0, err
}

// GetSyncState implements store.Ops.
func (o *Ops) GetSyncState(ctx context.Context, name string) (store.SyncState, error) {
	s := store.SyncState{Name: name}
	err := o.queryRow(ctx, `SELECT cursor_value, updated_at FROM sync_state WHERE name = $1`, []any{name},
		&s.Cursor, tc(&s.UpdatedAt))
	if errors.Is(err, errNoRows) {
		return store.SyncState{}, store.NotFound("sync_state")
	}
	return s, err
}

// PutSyncState implements store.Ops.
func (o *Ops) PutSyncState(ctx context.Context, s store.SyncState) error {
	if s.Name == "" {
		return fmt.Errorf("%w: sync state name is empty", store.ErrInvalid)
	}
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = o.now()
	}
	_, err := o.exec(ctx, `INSERT INTO sync_state (name, cursor_value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET cursor_value = excluded.cursor_value, updated_at = excluded.updated_at`,
		s.Name, s.Cursor, ts(s.UpdatedAt))
	return err
}

// ---- conversations ----

// UpsertConversation implements store.Ops.
func (o *Ops) UpsertConversation(ctx context.Context, c store.CachedConversation) error {
	if c.ID == "" {
		return fmt.Errorf("%w: conversation ID is empty", store.ErrInvalid)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = o.now()
	}
	return o.Atomic(ctx, func(t *Ops) error {
		if _, err := t.exec(ctx, `INSERT INTO cached_conversations (id, person_key_id, subject_enc, created_at, remote_updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET person_key_id = excluded.person_key_id, subject_enc = excluded.subject_enc,
			remote_updated_at = excluded.remote_updated_at`,
			c.ID, c.PersonKeyID, c.SubjectEnc, ts(c.CreatedAt), ts(c.RemoteUpdatedAt)); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM conversation_contacts WHERE conversation_id = $1`, c.ID); err != nil {
			return err
		}
		for _, id := range c.ContactIDs {
			if _, err := t.exec(ctx, `INSERT INTO conversation_contacts (conversation_id, contact_id) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, c.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpsertPart implements store.Ops.
func (o *Ops) UpsertPart(ctx context.Context, p store.CachedPart) error {
	if p.ConversationID == "" || p.PartID == "" {
		return fmt.Errorf("%w: part needs ConversationID and PartID", store.ErrInvalid)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = o.now()
	}
	var one int64
	err := o.queryRow(ctx, `SELECT 1 FROM cached_conversations WHERE id = $1`, []any{p.ConversationID}, &one)
	if errors.Is(err, errNoRows) {
		return store.NotFound("conversation")
	}
	if err != nil {
		return err
	}
	_, err = o.exec(ctx, `INSERT INTO cached_parts (conversation_id, part_id, author_type, body_enc, created_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (conversation_id, part_id) DO UPDATE SET author_type = excluded.author_type, body_enc = excluded.body_enc`,
		p.ConversationID, p.PartID, p.AuthorType, p.BodyEnc, ts(p.CreatedAt))
	return err
}

// ConversationsByContact implements store.Ops.
func (o *Ops) ConversationsByContact(ctx context.Context, contactID string) ([]store.CachedConversation, error) {
	out, err := queryList(ctx, o, `SELECT c.id, c.person_key_id, c.subject_enc, c.created_at, c.remote_updated_at
		FROM cached_conversations c
		WHERE c.id IN (SELECT conversation_id FROM conversation_contacts WHERE contact_id = $1)
		ORDER BY c.id`, []any{contactID}, func(r Rows) (store.CachedConversation, error) {
		var c store.CachedConversation
		err := r.Scan(&c.ID, &c.PersonKeyID, &c.SubjectEnc, tc(&c.CreatedAt), tc(&c.RemoteUpdatedAt))
		return c, err
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// The contacts of all those conversations, in one query.
	at := make(map[string]int, len(out))
	for i, c := range out {
		at[c.ID] = i
	}
	err = o.queryAll(ctx, `SELECT conversation_id, contact_id FROM conversation_contacts
		WHERE conversation_id IN (SELECT conversation_id FROM conversation_contacts WHERE contact_id = $1)
		ORDER BY conversation_id, contact_id`, []any{contactID}, func(r Rows) error {
		var conv, id string
		if err := r.Scan(&conv, &id); err != nil {
			return err
		}
		i, ok := at[conv]
		if !ok { // linked after the first query read the conversations
			return nil
		}
		out[i].ContactIDs = append(out[i].ContactIDs, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Parts implements store.Ops.
func (o *Ops) Parts(ctx context.Context, conversationID string) ([]store.CachedPart, error) {
	return queryList(ctx, o, `SELECT conversation_id, part_id, author_type, body_enc, created_at FROM cached_parts
		WHERE conversation_id = $1 ORDER BY created_at, part_id`, []any{conversationID}, func(r Rows) (store.CachedPart, error) {
		var p store.CachedPart
		err := r.Scan(&p.ConversationID, &p.PartID, &p.AuthorType, &p.BodyEnc, tc(&p.CreatedAt))
		return p, err
	})
}

// DeleteConversationsByContact implements store.Ops.
func (o *Ops) DeleteConversationsByContact(ctx context.Context, contactID string) (conversations, parts int64, err error) {
	err = o.Atomic(ctx, func(t *Ops) error {
		var e error
		conversations, parts, e = t.deleteConversationsWhere(ctx,
			`id IN (SELECT conversation_id FROM conversation_contacts WHERE contact_id = $1)`, contactID)
		return e
	})
	return conversations, parts, err
}

// deleteConversationsWhere deletes the conversations matching cond (over
// cached_conversations, column id) and their parts; the contact links go by
// ON DELETE CASCADE (cond may read them, so they must outlive the DELETE).
func (o *Ops) deleteConversationsWhere(ctx context.Context, cond string, args ...any) (convs, parts int64, err error) {
	parts, err = o.exec(ctx, `DELETE FROM cached_parts WHERE conversation_id IN
		(SELECT id FROM cached_conversations WHERE `+cond+`)`, args...)
	if err != nil {
		return 0, 0, err
	}
	convs, err = o.exec(ctx, `DELETE FROM cached_conversations WHERE `+cond, args...)
	return convs, parts, err
}

// ---- webhook events ----

const webhookCols = `notification_id, topic, contact_id, payload_enc, person_key_id, received_at, processed_at`

func scanWebhookEvent(r Rows) (store.WebhookEvent, error) {
	var e store.WebhookEvent
	err := r.Scan(&e.NotificationID, &e.Topic, &e.ContactID, &e.PayloadEnc, &e.PersonKeyID,
		tc(&e.ReceivedAt), tc(&e.ProcessedAt))
	return e, err
}

// InsertWebhookEvent implements store.Ops.
func (o *Ops) InsertWebhookEvent(ctx context.Context, e store.WebhookEvent) (bool, error) {
	if e.NotificationID == "" {
		return false, fmt.Errorf("%w: webhook NotificationID is empty", store.ErrInvalid)
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = o.now()
	}
	n, err := o.exec(ctx, `INSERT INTO webhook_events (`+webhookCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (notification_id) DO NOTHING`,
		e.NotificationID, e.Topic, e.ContactID, e.PayloadEnc, e.PersonKeyID, ts(e.ReceivedAt), ts(e.ProcessedAt))
	return n > 0, err
}

// MarkWebhookProcessed implements store.Ops.
func (o *Ops) MarkWebhookProcessed(ctx context.Context, notificationID string, at time.Time) error {
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `UPDATE webhook_events SET processed_at = $2 WHERE notification_id = $1`,
		notificationID, ts(at))
	if err == nil && n == 0 {
		return store.NotFound("webhook_event")
	}
	return err
}

// UnprocessedWebhookEvents implements store.Ops.
func (o *Ops) UnprocessedWebhookEvents(ctx context.Context, limit int) ([]store.WebhookEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+webhookCols+` FROM webhook_events WHERE processed_at IS NULL
		ORDER BY received_at, notification_id LIMIT $1`, []any{int64(limit)}, scanWebhookEvent)
}

// DeleteWebhookEventsByContact implements store.Ops.
func (o *Ops) DeleteWebhookEventsByContact(ctx context.Context, contactID string) (int64, error) {
	if contactID == "" {
		return 0, fmt.Errorf("%w: contact id is empty", store.ErrInvalid)
	}
	return o.exec(ctx, `DELETE FROM webhook_events WHERE contact_id = $1`, contactID)
}

// ---- requests and steps ----

const requestCols = `id, type, jurisdiction, channel, state, identifiers_enc, subject_ref, received_at, ack_due_at,
	due_at, extended_due_at, extension_reason, acknowledged_at, completed_at, denial_reason, outcome, created_at, updated_at,
	filed_by, approval, approved_by, assignee, payload_enc, linked_request_id, verification_level`

func scanRequest(r Rows) (store.Request, error) {
	var q store.Request
	var typ, state, outcome, level string
	err := r.Scan(&q.ID, &typ, &q.Jurisdiction, &q.Channel, &state, &q.IdentifiersEnc, &q.SubjectRef,
		tc(&q.ReceivedAt), tc(&q.AckDueAt), tc(&q.DueAt), tc(&q.ExtendedDueAt), &q.ExtensionReason,
		tc(&q.AcknowledgedAt), tc(&q.CompletedAt), &q.DenialReason, &outcome, tc(&q.CreatedAt), tc(&q.UpdatedAt),
		&q.FiledBy, &q.Approval, &q.ApprovedBy, &q.Assignee, &q.PayloadEnc, &q.LinkedRequestID, &level)
	q.Type, q.State, q.Outcome = store.RequestType(typ), store.RequestState(state), jsonOut(outcome)
	q.VerificationLevel = store.VerificationLevel(level)
	return q, err
}

func validJSON(b []byte, what string) error {
	if len(b) > 0 && !json.Valid(b) {
		return fmt.Errorf("%w: %s is not valid JSON", store.ErrInvalid, what)
	}
	return nil
}

// CreateRequest implements store.Ops.
func (o *Ops) CreateRequest(ctx context.Context, r store.Request) (store.Request, error) {
	if r.ID == "" {
		r.ID = store.NewID("req_")
	}
	if r.State == "" {
		r.State = store.StateReceived
	}
	if err := validJSON(r.Outcome, "request outcome"); err != nil {
		return store.Request{}, err
	}
	now := o.now()
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now
	}
	r.CreatedAt, r.UpdatedAt = now, now
	refs := slices.Clone(r.SubjectRefs)
	if r.SubjectRef != "" {
		refs = append(refs, r.SubjectRef)
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	var out store.Request
	err := o.Atomic(ctx, func(t *Ops) error {
		_, err := t.exec(ctx, `INSERT INTO requests (`+requestCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
			r.ID, string(r.Type), r.Jurisdiction, r.Channel, string(r.State), r.IdentifiersEnc, r.SubjectRef,
			ts(r.ReceivedAt), ts(r.AckDueAt), ts(r.DueAt), ts(r.ExtendedDueAt), r.ExtensionReason,
			ts(r.AcknowledgedAt), ts(r.CompletedAt), r.DenialReason, jsonArg(r.Outcome), ts(r.CreatedAt), ts(r.UpdatedAt),
			r.FiledBy, r.Approval, r.ApprovedBy, r.Assignee, r.PayloadEnc, r.LinkedRequestID, string(r.VerificationLevel))
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if ref == "" {
				continue
			}
			if _, err := t.exec(ctx, `INSERT INTO request_subjects (ref, request_id) VALUES ($1, $2)`, ref, r.ID); err != nil {
				return err
			}
		}
		out, err = t.GetRequest(ctx, r.ID)
		return err
	})
	return out, err
}

// GetRequest implements store.Ops.
func (o *Ops) GetRequest(ctx context.Context, id string) (store.Request, error) {
	return queryOne(ctx, o, "request", `SELECT `+requestCols+` FROM requests WHERE id = $1`, []any{id}, scanRequest)
}

// ListRequests implements store.Ops. Every filter is a condition on an
// indexed column (migration 8), and the page is a keyset range on
// (received_at, id), so a page costs the same wherever it is.
func (o *Ops) ListRequests(ctx context.Context, f store.RequestFilter) ([]store.Request, error) {
	q := `SELECT ` + requestCols + ` FROM requests WHERE 1 = 1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	in := func(col string, vals []string) {
		ps := make([]string, len(vals))
		for i, v := range vals {
			ps[i] = arg(v)
		}
		q += ` AND ` + col + ` IN (` + strings.Join(ps, ", ") + `)`
	}
	if len(f.States) > 0 {
		vals := make([]string, len(f.States))
		for i, s := range f.States {
			vals[i] = string(s)
		}
		in("state", vals)
	}
	if !f.DueBefore.IsZero() {
		q += ` AND COALESCE(extended_due_at, due_at) < ` + arg(f.DueBefore.UnixMicro())
	}
	if !f.DueFrom.IsZero() {
		q += ` AND COALESCE(extended_due_at, due_at) >= ` + arg(f.DueFrom.UnixMicro())
	}
	if !f.OverdueAt.IsZero() {
		// is_open (migration 8) is derived from the state: its index gives
		// the open requests in list order. The unary + keeps SQLite's planner
		// off the due date index, whose range (every request due before now)
		// is most of the table and would need a sort of all of it.
		q += ` AND is_open = 1 AND +COALESCE(extended_due_at, due_at) < ` + arg(f.OverdueAt.UnixMicro())
	}
	if f.SubjectRef != "" {
		q += ` AND subject_ref = ` + arg(f.SubjectRef)
	}
	if f.IdentifierRef != "" {
		q += ` AND id IN (SELECT request_id FROM request_subjects WHERE ref = ` + arg(f.IdentifierRef) + `)`
	}
	if len(f.Types) > 0 {
		vals := make([]string, len(f.Types))
		for i, t := range f.Types {
			vals[i] = string(t)
		}
		in("type", vals)
	}
	if len(f.Jurisdictions) > 0 {
		in("jurisdiction", f.Jurisdictions)
	}
	switch {
	case f.Assignee != "":
		// "assignee <> ''" lets the planners use the partial index
		// requests_assignee_received (they cannot infer it from a parameter).
		q += ` AND assignee <> '' AND assignee = ` + arg(f.Assignee)
	case f.Unassigned:
		q += ` AND assignee = ''`
	}
	if !f.ReceivedFrom.IsZero() {
		q += ` AND received_at >= ` + arg(f.ReceivedFrom.UnixMicro())
	}
	if !f.ReceivedBefore.IsZero() {
		q += ` AND received_at < ` + arg(f.ReceivedBefore.UnixMicro())
	}
	if f.After != nil {
		// A row value comparison: both planners read it as a range of the
		// (received_at, id) indexes (PostgreSQL does not for the equivalent OR).
		q += ` AND (received_at, id) > (` + arg(f.After.ReceivedAt.UnixMicro()) + `, ` + arg(f.After.ID) + `)`
	}
	if f.LinkedTo != "" {
		q += ` AND linked_request_id = ` + arg(f.LinkedTo)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q += ` ORDER BY received_at, id LIMIT ` + arg(int64(limit))
	return queryList(ctx, o, q, args, scanRequest)
}

// UpdateRequest implements store.Ops.
func (o *Ops) UpdateRequest(ctx context.Context, r store.Request, expected store.RequestState) (store.Request, error) {
	if err := validJSON(r.Outcome, "request outcome"); err != nil {
		return store.Request{}, err
	}
	if r.State == "" {
		r.State = expected
	}
	var out store.Request
	err := o.Atomic(ctx, func(t *Ops) error {
		n, err := t.exec(ctx, `UPDATE requests SET state = $3, identifiers_enc = $4, subject_ref = $5, ack_due_at = $6,
			due_at = $7, extended_due_at = $8, extension_reason = $9, acknowledged_at = $10, completed_at = $11,
			denial_reason = $12, outcome = $13, updated_at = $14, approval = $15, approved_by = $16, assignee = $17,
			verification_level = $18
			WHERE id = $1 AND state = $2`,
			r.ID, string(expected), string(r.State), r.IdentifiersEnc, r.SubjectRef, ts(r.AckDueAt), ts(r.DueAt),
			ts(r.ExtendedDueAt), r.ExtensionReason, ts(r.AcknowledgedAt), ts(r.CompletedAt), r.DenialReason,
			jsonArg(r.Outcome), t.now().UnixMicro(), r.Approval, r.ApprovedBy, r.Assignee, string(r.VerificationLevel))
		if err != nil {
			return err
		}
		cur, err := t.GetRequest(ctx, r.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return &store.StateConflictError{RequestID: r.ID, Expected: expected, Actual: cur.State}
		}
		out = cur
		return nil
	})
	return out, err
}

// UpsertStep implements store.Ops.
func (o *Ops) UpsertStep(ctx context.Context, s store.Step) error {
	if s.RequestID == "" || s.Name == "" {
		return fmt.Errorf("%w: step needs RequestID and Name", store.ErrInvalid)
	}
	if s.State == "" {
		s.State = store.StepPending
	}
	if err := validJSON(s.Detail, "step detail"); err != nil {
		return err
	}
	return o.Atomic(ctx, func(t *Ops) error {
		var one int64
		err := t.queryRow(ctx, `SELECT 1 FROM requests WHERE id = $1`, []any{s.RequestID}, &one)
		if errors.Is(err, errNoRows) {
			return store.NotFound("request")
		}
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `INSERT INTO request_steps (request_id, name, step_order, state, attempts, detail, started_at, finished_at)
			VALUES ($1, $2, (SELECT COALESCE(MAX(step_order), 0) + 1 FROM request_steps WHERE request_id = $1), $3, $4, $5, $6, $7)
			ON CONFLICT (request_id, name) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
			detail = excluded.detail, started_at = excluded.started_at, finished_at = excluded.finished_at`,
			s.RequestID, s.Name, string(s.State), int64(s.Attempts), jsonArg(s.Detail), ts(s.StartedAt), ts(s.FinishedAt))
		return err
	})
}

// Steps implements store.Ops.
func (o *Ops) Steps(ctx context.Context, requestID string) ([]store.Step, error) {
	return queryList(ctx, o, `SELECT request_id, name, state, attempts, detail, started_at, finished_at
		FROM request_steps WHERE request_id = $1 ORDER BY step_order`, []any{requestID}, func(r Rows) (store.Step, error) {
		var s store.Step
		var state, detail string
		var attempts int64
		err := r.Scan(&s.RequestID, &s.Name, &state, &attempts, &detail, tc(&s.StartedAt), tc(&s.FinishedAt))
		s.State, s.Attempts, s.Detail = store.StepState(state), int(attempts), jsonOut(detail)
		return s, err
	})
}

// ---- suppression list ----

// AddSuppression implements store.Ops.
func (o *Ops) AddSuppression(ctx context.Context, s store.Suppression) (bool, error) {
	if len(s.Ref) == 0 {
		return false, fmt.Errorf("%w: suppression ref is empty", store.ErrInvalid)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = o.now()
	}
	n, err := o.exec(ctx, `INSERT INTO suppressions (ref, kind, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (ref) DO NOTHING`, s.Ref, s.Kind, ts(s.CreatedAt))
	return n > 0, err
}

// Suppressed implements store.Ops.
func (o *Ops) Suppressed(ctx context.Context, refs ...[]byte) (bool, error) {
	var args []any
	for _, r := range refs {
		if len(r) > 0 {
			args = append(args, r)
		}
	}
	if len(args) == 0 {
		return false, nil
	}
	var one int64
	err := o.queryRow(ctx, `SELECT 1 FROM suppressions WHERE ref IN (`+placeholders(1, len(args))+`) LIMIT 1`, args, &one)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ---- legal holds ----

// AddLegalHold implements store.Ops.
func (o *Ops) AddLegalHold(ctx context.Context, h store.LegalHold) (store.LegalHold, error) {
	if (h.SubjectRef == "") == (h.RequestID == "") {
		return store.LegalHold{}, fmt.Errorf("%w: a legal hold names exactly one of SubjectRef and RequestID", store.ErrInvalid)
	}
	if h.ID == "" {
		h.ID = store.NewID("hold_")
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = o.now()
	}
	h.CreatedAt = h.CreatedAt.UTC().Truncate(time.Microsecond)
	h.ReleasedAt = time.Time{}
	_, err := o.exec(ctx, `INSERT INTO legal_holds (id, subject_ref, request_id, reason, basis, created_at, released_at)
		VALUES ($1, $2, $3, $4, $5, $6, NULL)`, h.ID, h.SubjectRef, h.RequestID, h.Reason, h.Basis, ts(h.CreatedAt))
	if err != nil {
		return store.LegalHold{}, err
	}
	return h, nil
}

// ReleaseLegalHold implements store.Ops.
func (o *Ops) ReleaseLegalHold(ctx context.Context, id string, at time.Time) (bool, error) {
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `UPDATE legal_holds SET released_at = $2 WHERE id = $1 AND released_at IS NULL`, id, ts(at))
	return n > 0, err
}

// ActiveLegalHolds implements store.Ops.
func (o *Ops) ActiveLegalHolds(ctx context.Context) ([]store.LegalHold, error) {
	return queryList(ctx, o, `SELECT id, subject_ref, request_id, reason, basis, created_at, released_at FROM legal_holds
		WHERE released_at IS NULL ORDER BY created_at, id`, nil, func(r Rows) (store.LegalHold, error) {
		var h store.LegalHold
		err := r.Scan(&h.ID, &h.SubjectRef, &h.RequestID, &h.Reason, &h.Basis, tc(&h.CreatedAt), tc(&h.ReleasedAt))
		return h, err
	})
}

// ---- retention runs ----

func countsArg(m map[string]int64) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// InsertRetentionRun implements store.Ops.
func (o *Ops) InsertRetentionRun(ctx context.Context, r store.RetentionRun) (store.RetentionRun, error) {
	if r.ID == "" {
		r.ID = store.NewID("ret_")
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = o.now()
	}
	r.StartedAt = r.StartedAt.UTC().Truncate(time.Microsecond)
	r.FinishedAt = r.FinishedAt.UTC().Truncate(time.Microsecond)
	counts, err := countsArg(r.Counts)
	if err != nil {
		return store.RetentionRun{}, err
	}
	dry := int64(0)
	if r.DryRun {
		dry = 1
	}
	_, err = o.exec(ctx, `INSERT INTO retention_runs (id, started_at, finished_at, dry_run, state, counts)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, ts(r.StartedAt), ts(r.FinishedAt), dry, r.State, counts)
	if err != nil {
		return store.RetentionRun{}, err
	}
	return r, nil
}

// UpdateRetentionRun implements store.Ops.
func (o *Ops) UpdateRetentionRun(ctx context.Context, r store.RetentionRun) error {
	counts, err := countsArg(r.Counts)
	if err != nil {
		return err
	}
	n, err := o.exec(ctx, `UPDATE retention_runs SET finished_at = $2, state = $3, counts = $4 WHERE id = $1`,
		r.ID, ts(r.FinishedAt), r.State, counts)
	if err == nil && n == 0 {
		return store.NotFound("retention_run")
	}
	return err
}

// RecentRetentionRuns implements store.Ops.
func (o *Ops) RecentRetentionRuns(ctx context.Context, limit int) ([]store.RetentionRun, error) {
	if limit <= 0 {
		limit = 20
	}
	var out []store.RetentionRun
	err := o.queryAll(ctx, `SELECT id, started_at, finished_at, dry_run, state, counts FROM retention_runs
		ORDER BY started_at DESC, id DESC LIMIT $1`, []any{int64(limit)}, func(r Rows) error {
		var x store.RetentionRun
		var dry int64
		var counts string
		if err := r.Scan(&x.ID, tc(&x.StartedAt), tc(&x.FinishedAt), &dry, &x.State, &counts); err != nil {
			return err
		}
		x.DryRun = dry != 0
		if counts != "" {
			if err := json.Unmarshal([]byte(counts), &x.Counts); err != nil {
				return fmt.Errorf("%w: retention run counts are not valid JSON", store.ErrCorrupt)
			}
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// ---- export jobs ----

const exportCols = `job_identifier, since_at, until_at, state, download_url, created_at, updated_at, outcome`

func scanExportJob(r Rows) (store.ExportJob, error) {
	var j store.ExportJob
	var outcome string
	err := r.Scan(&j.JobIdentifier, tc(&j.Since), tc(&j.Until), &j.State, &j.DownloadURL, tc(&j.CreatedAt),
		tc(&j.UpdatedAt), &outcome)
	j.Outcome = jsonOut(outcome)
	return j, err
}

// PutExportJob implements store.Ops.
func (o *Ops) PutExportJob(ctx context.Context, j store.ExportJob) error {
	if j.JobIdentifier == "" {
		return fmt.Errorf("%w: export job identifier is empty", store.ErrInvalid)
	}
	if err := validJSON(j.Outcome, "export job outcome"); err != nil {
		return err
	}
	now := o.now()
	if j.CreatedAt.IsZero() {
		j.CreatedAt = now
	}
	_, err := o.exec(ctx, `INSERT INTO export_jobs (`+exportCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (job_identifier) DO UPDATE SET since_at = excluded.since_at, until_at = excluded.until_at,
		state = excluded.state, download_url = excluded.download_url, updated_at = excluded.updated_at,
		outcome = excluded.outcome`,
		j.JobIdentifier, ts(j.Since), ts(j.Until), j.State, j.DownloadURL, ts(j.CreatedAt), now.UnixMicro(),
		jsonArg(j.Outcome))
	return err
}

// GetExportJob implements store.Ops.
func (o *Ops) GetExportJob(ctx context.Context, id string) (store.ExportJob, error) {
	return queryOne(ctx, o, "export_job", `SELECT `+exportCols+` FROM export_jobs WHERE job_identifier = $1`,
		[]any{id}, scanExportJob)
}

// ExportJobs implements store.Ops.
func (o *Ops) ExportJobs(ctx context.Context, states ...string) ([]store.ExportJob, error) {
	q := `SELECT ` + exportCols + ` FROM export_jobs`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + placeholders(1, len(states)) + `)`
		for _, s := range states {
			args = append(args, s)
		}
	}
	q += ` ORDER BY created_at, job_identifier`
	return queryList(ctx, o, q, args, scanExportJob)
}
