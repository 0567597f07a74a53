package dsar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// MaxNoteLen is the longest note accepted, in bytes.
const MaxNoteLen = 4000

const tableNotes = "request_notes"

// Note is a note on a request as shown. Text is empty and Unreadable true once
// the request's key was destroyed (an erasure completed, or an access
// request's dispute window ended).
type Note struct {
	ID         string    `json:"id"`
	Author     string    `json:"author"`
	CreatedAt  time.Time `json:"created_at"`
	Text       string    `json:"text,omitempty"`
	Unreadable bool      `json:"unreadable,omitempty"`
}

// AddNote adds a note to a request. The text may name the person: it is
// encrypted under the request's key (destroyed with the request's
// identifiers), and the audit record carries the note's id only. A request
// whose key was destroyed takes no more notes.
func (s *Service) AddNote(ctx context.Context, id, text string) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" || len(text) > MaxNoteLen || !utf8.ValidString(text) {
		return Note{}, fmt.Errorf("%w: a note is 1 to %d bytes of text", ErrInvalidRequest, MaxNoteLen)
	}
	actor := s.actor(ctx)
	noteID := store.NewID("note_")
	var out store.RequestNote
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		r, err := tx.GetRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, shownID(id))
		}
		if err != nil {
			return err
		}
		enc, err := s.Vault.With(tx).Encrypt(ctx, requestKeyID(r.ID), vault.AAD{Table: tableNotes, Column: "body", Row: noteID}, []byte(text))
		if err != nil {
			if errors.Is(err, vault.ErrShredded) {
				return fmt.Errorf("%w: the request's key was destroyed, so it takes no more notes", ErrWrongState)
			}
			return err
		}
		out, err = tx.AddRequestNote(ctx, store.RequestNote{ID: noteID, RequestID: r.ID, Author: actor, BodyEnc: enc, CreatedAt: s.now()})
		if err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionRequestNoteAdded, RequestID: r.ID,
			SubjectRef: r.SubjectRef, Outcome: audit.OutcomeSuccess, ObjectIDs: []string{noteID}})
		return err
	})
	if err != nil {
		return Note{}, err
	}
	return Note{ID: out.ID, Author: out.Author, CreatedAt: out.CreatedAt, Text: text}, nil
}

// Notes lists a request's notes, decrypted; a note whose key was destroyed is
// listed as Unreadable.
func (s *Service) Notes(ctx context.Context, id string) ([]Note, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	ns, err := s.Store.RequestNotes(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(ns))
	v := s.Vault.With(s.Store)
	for _, n := range ns {
		note := Note{ID: n.ID, Author: n.Author, CreatedAt: n.CreatedAt}
		plain, err := v.Decrypt(ctx, requestKeyID(id), vault.AAD{Table: tableNotes, Column: "body", Row: n.ID}, n.BodyEnc)
		switch {
		case err == nil:
			note.Text = string(plain)
		case errors.Is(err, vault.ErrShredded):
			note.Unreadable = true
		default:
			return nil, fmt.Errorf("dsar: note %s of %s: %w", n.ID, id, err)
		}
		out = append(out, note)
	}
	return out, nil
}

// Event is one entry of a request's timeline, read from its audit records:
// who did what, when, how it ended. Audit records hold no personal data, so
// neither does an Event.
type Event struct {
	Seq     int64            `json:"seq"`
	Time    time.Time        `json:"time"`
	Actor   string           `json:"actor"`
	Action  string           `json:"action"`
	Outcome string           `json:"outcome,omitempty"`
	Reason  string           `json:"reason,omitempty"`
	Counts  map[string]int64 `json:"counts,omitempty"`
	// ObjectIDs are the ids the action touched (Intercom objects, a note, the
	// assignee).
	ObjectIDs []string `json:"object_ids,omitempty"`
}

// Timeline returns the audit records of request id as events, in order.
func (s *Service) Timeline(ctx context.Context, id string) ([]Event, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	recs, err := s.Store.RequestAudit(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(recs))
	for _, r := range recs {
		body, err := audit.DecodeBody(r.Body)
		if err != nil {
			return nil, fmt.Errorf("dsar: audit record %d of %s: %w", r.Seq, id, err)
		}
		out = append(out, Event{Seq: r.Seq, Time: r.Time, Actor: body.Actor, Action: r.Action,
			Outcome: string(body.Outcome), Reason: body.Reason, Counts: body.Counts, ObjectIDs: body.ObjectIDs})
	}
	return out, nil
}

// ErrWildcard: an identifier search holds a wildcard; the blind index matches
// whole identifiers only.
var ErrWildcard = fmt.Errorf("%w: the identifier search matches whole identifiers only (a keyed hash of each is stored, never the value): wildcards such as * %% ? are not supported", ErrInvalidRequest)

// IdentifierRef returns the blind index (keyed HMAC) an identifier search
// looks for: store.RequestFilter.IdentifierRef. kind is "email", "phone",
// "external_id" or "contact_id"; empty means an e-mail address when the value
// holds an @. The value is normalised as at filing, so "Ada@Example.com"
// finds a request filed with "ada@example.com". Errors never repeat the value.
func (s *Service) IdentifierRef(kind, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("%w: empty identifier", ErrInvalidRequest)
	}
	if strings.ContainsAny(value, "*%?") {
		return "", ErrWildcard
	}
	if kind == "" && strings.Contains(value, "@") {
		kind = "email"
	}
	var ids Identifiers
	switch kind {
	case "email":
		ids.Emails = []string{value}
	case "phone":
		ids.Phones = []string{value}
	case "external_id":
		ids.ExternalIDs = []string{value}
	case "contact_id":
		ids.ContactIDs = []string{value}
	default:
		return "", fmt.Errorf("%w: say which kind of identifier this is: email, phone, external_id or contact_id", ErrInvalidRequest)
	}
	norm, err := ids.Normalized()
	if err != nil {
		return "", err
	}
	return norm.SubjectRef(s.Vault)
}
