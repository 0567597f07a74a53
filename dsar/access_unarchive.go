package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Reading archived contacts (config access.unarchive_to_read).
//
// Intercom answers 404 for an archived contact and has no API to read one, so
// an access request by contact id cannot answer for an archived person. With
// access.unarchive_to_read, the package step of an access request first sends
// POST /contacts/{id}/unarchive for each contact id given that answered 404 (a
// 404 again means not found: it was never archived), reads the contact like
// any other, and once the package is stored sends POST /contacts/{id}/archive.
// Each effect is recorded: the intent before the POST, the answer after it with
// an audit record (access.contact_unarchived, access.contact_rearchived) in the
// same transaction, in the _unarchive bookkeeping row. A run resumed after a
// crash unarchives again only what it never saw answered (unarchiving an
// active contact is harmless) and archives every contact it unarchived exactly
// once recorded; a request cancelled or denied meanwhile is archived back by
// the next Run of it (which otherwise does nothing for a finished request).

// stepUnarchive is the bookkeeping row of unarchived contacts.
const stepUnarchive = "_unarchive"

// NoticeArchivedRead is part of an access package that read archived contacts.
var NoticeArchivedRead = Notice{"archived_contact_read", "An archived Intercom contact of yours was restored for the time needed to read it for this answer, then archived again."}

// unarchiveDetail is the Detail of the _unarchive row.
type unarchiveDetail struct {
	// Intended are contacts whose unarchive is about to be, or was, sent.
	Intended []string `json:"intended"`
	// Unarchived answered 200: they were archived and are readable now.
	Unarchived []string `json:"unarchived"`
	// NotFound answered 404 to the unarchive too: not archived, not found.
	NotFound []string `json:"not_found,omitempty"`
	// Rearchived were archived again.
	Rearchived []string `json:"rearchived"`
}

func (d unarchiveDetail) pending() []string {
	var out []string
	for _, id := range d.Unarchived {
		if !slices.Contains(d.Rearchived, id) {
			out = append(out, id)
		}
	}
	return out
}

// loadUnarchive reads the _unarchive row of request id.
func loadUnarchive(ctx context.Context, ops store.Ops, id string) (unarchiveDetail, store.Step, error) {
	var d unarchiveDetail
	st, found, err := stepOf(ctx, ops, id, stepUnarchive)
	if err != nil || !found || len(st.Detail) == 0 {
		return d, st, err
	}
	if err := json.Unmarshal(st.Detail, &d); err != nil {
		return d, st, fmt.Errorf("dsar: the unarchive record of %s is unreadable: %w", id, err)
	}
	return d, st, nil
}

// saveUnarchive writes the _unarchive row inside tx, with rec when set.
func (s *Service) saveUnarchive(ctx context.Context, tx store.Tx, req store.Request, st store.Step, d unarchiveDetail, rec *audit.Record) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if st.StartedAt.IsZero() {
		st.StartedAt = s.now()
	}
	if err := tx.UpsertStep(ctx, store.Step{RequestID: req.ID, Name: stepUnarchive, State: store.StepPending,
		Detail: b, StartedAt: st.StartedAt}); err != nil {
		return err
	}
	if rec == nil {
		return nil
	}
	rec.Actor, rec.RequestID, rec.SubjectRef, rec.Outcome = s.Actor, req.ID, req.SubjectRef, audit.OutcomeSuccess
	_, err = s.Chain.Append(ctx, tx, *rec)
	return err
}

// unarchiveToRead unarchives the archived contacts given by id, before the
// package is built.
func (r *runner) unarchiveToRead(ctx context.Context) error {
	if !r.s.config().Access.UnarchiveToRead || r.req.Type == store.RequestErasure {
		return nil
	}
	var ids []string
	for _, m := range r.res.Matches {
		if m.Status == StatusNotRetrievable && slices.Contains(m.MatchedBy, "contact_id") {
			ids = append(ids, m.ContactID)
		}
	}
	for _, id := range ids {
		var d unarchiveDetail
		var st store.Step
		var err error
		if d, st, err = loadUnarchive(ctx, r.s.Store, r.id); err != nil {
			return err
		}
		if slices.Contains(d.Unarchived, id) || slices.Contains(d.NotFound, id) {
			continue
		}
		if !slices.Contains(d.Intended, id) {
			d.Intended = append(d.Intended, id)
			if err := r.guarded(ctx, func(tx store.Tx) error { return r.s.saveUnarchive(ctx, tx, r.req, st, d, nil) }); err != nil {
				return err
			}
		}
		_, uerr := r.s.Intercom.UnarchiveContact(ctx, id)
		var rec *audit.Record
		switch {
		case uerr == nil:
			d.Unarchived = append(d.Unarchived, id)
			rec = &audit.Record{Action: audit.ActionAccessContactUnarchived, ObjectIDs: []string{id},
				Reason: "archived contact unarchived to read it for the access request (access.unarchive_to_read); it is archived again once the package is stored"}
		case errors.Is(uerr, intercom.ErrNotFound):
			d.NotFound = append(d.NotFound, id)
		default:
			return fmt.Errorf("unarchive contact %s: %w", id, uerr)
		}
		if err := r.guarded(ctx, func(tx store.Tx) error { return r.s.saveUnarchive(ctx, tx, r.req, st, d, rec) }); err != nil {
			return err
		}
	}
	return r.applyUnarchived(ctx)
}

// applyUnarchived marks the contacts unarchived for this request as found, so
// the package reads them and the outcome counts them (the resolve step
// recorded them as not found).
func (r *runner) applyUnarchived(ctx context.Context) error {
	d, _, err := loadUnarchive(ctx, r.s.Store, r.id)
	if err != nil || len(d.Unarchived) == 0 {
		return err
	}
	for i := range r.res.Matches {
		m := &r.res.Matches[i]
		if m.Status == StatusNotRetrievable && slices.Contains(d.Unarchived, m.ContactID) {
			m.Status = StatusActive
			if !slices.Contains(m.MatchedBy, "unarchived_to_read") {
				m.MatchedBy = append(m.MatchedBy, "unarchived_to_read")
			}
		}
	}
	if !slices.ContainsFunc(r.res.Notices, func(n Notice) bool { return n.Code == NoticeArchivedRead.Code }) {
		r.res.Notices = append(r.res.Notices, NoticeArchivedRead)
	}
	if r.res.Found() > 0 {
		r.res.Notices = slices.DeleteFunc(r.res.Notices, func(n Notice) bool { return n.Code == NoticeNothingFound.Code })
	}
	if r.res.NotFoundIDs() == 0 {
		r.res.Notices = slices.DeleteFunc(r.res.Notices, func(n Notice) bool { return n.Code == NoticeContactIDNotFound.Code })
	}
	return nil
}

// rearchive archives again every contact this request unarchived and has not
// archived back, each recorded once with its audit record. It runs under no
// lease (a request finished meanwhile is archived back too); two runs at once
// may both send the archive, which Intercom treats as one, and only one
// records it.
func (s *Service) rearchive(ctx context.Context, req store.Request) error {
	d, _, err := loadUnarchive(ctx, s.Store, req.ID)
	if err != nil {
		return err
	}
	for _, id := range d.pending() {
		_, aerr := s.Intercom.ArchiveContact(ctx, id)
		if aerr != nil && !errors.Is(aerr, intercom.ErrNotFound) {
			return fmt.Errorf("archive contact %s again: %w", id, aerr)
		}
		err := s.Store.InTx(ctx, func(tx store.Tx) error {
			if _, _, err := tx.Head(ctx); err != nil {
				return err
			}
			cur, st, err := loadUnarchive(ctx, tx, req.ID)
			if err != nil || slices.Contains(cur.Rearchived, id) {
				return err
			}
			cur.Rearchived = append(cur.Rearchived, id)
			reason := "contact archived again after it was read for the access request"
			if aerr != nil {
				reason = "contact gone before it was archived again (404)"
			}
			return s.saveUnarchive(ctx, tx, req, st, cur, &audit.Record{Action: audit.ActionAccessContactRearchived, ObjectIDs: []string{id}, Reason: reason})
		})
		if err != nil {
			return err
		}
	}
	return nil
}
