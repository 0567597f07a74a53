package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func TestSubmitRecordsRequestAndAudit(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			received := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
			r, err := h.app.DSAR.Submit(ctx, dsar.Submission{
				Type: store.RequestAccess, Jurisdiction: deadline.GDPR, Channel: "email", ReceivedAt: received,
				Identifiers: dsar.Identifiers{Emails: []string{" Ada@Example.COM "}},
			})
			if err != nil {
				t.Fatal(err)
			}
			// One calendar month from 31 January is the last day of February.
			if got := r.DueAt.Format("2006-01-02"); got != "2026-02-28" {
				t.Errorf("GDPR due %s, want 2026-02-28", got)
			}
			if r.State != store.StateReceived || len(r.SubjectRef) != 64 {
				t.Errorf("state %s subject ref %q", r.State, r.SubjectRef)
			}
			if strings.Contains(string(r.IdentifiersEnc), "ada@") {
				t.Fatal("identifiers stored in clear")
			}
			ids, err := h.app.DSAR.Identifiers(ctx, r)
			if err != nil || !slices.Equal(ids.Emails, []string{"ada@example.com"}) {
				t.Fatalf("identifiers %v, %v", ids, err)
			}
			rep, err := h.app.VerifyAudit(ctx)
			if err != nil || !rep.OK() || rep.Records != 1 {
				t.Fatalf("audit after submit: %+v %v", rep, err)
			}
		})
	}
}

func TestSubmitRejectsMalformedIdentifiers(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	for _, ids := range []dsar.Identifiers{
		{},
		{Emails: []string{"not-an-email"}},
		{Emails: []string{"Ada <ada@example.com>"}},
		{Phones: []string{"12"}},
		{ContactIDs: []string{"../etc/passwd"}},
	} {
		_, err := h.app.DSAR.Submit(context.Background(), dsar.Submission{Type: store.RequestErasure, Identifiers: ids})
		if !errors.Is(err, dsar.ErrInvalidRequest) {
			t.Errorf("%+v: err = %v", ids, err)
		}
		if err != nil && (strings.Contains(err.Error(), "not-an-email") || strings.Contains(err.Error(), "passwd")) {
			t.Errorf("error repeats the identifier: %v", err)
		}
	}
}

func TestLifecycleTransitions(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	sub := dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.CCPA, Identifiers: dsar.Identifiers{Emails: []string{"x@example.com"}}}
	r, err := h.app.DSAR.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if r.AckDueAt.IsZero() {
		t.Fatal("CCPA request without an acknowledgement deadline")
	}
	r2, err := h.app.DSAR.Extend(ctx, r.ID, 45, "complex request: many contacts")
	if err != nil {
		t.Fatal(err)
	}
	if !r2.ExtendedDueAt.After(r.DueAt) {
		t.Fatal("extension did not move the due date")
	}
	if _, err := h.app.DSAR.Extend(ctx, r.ID, 45, "again"); err == nil {
		t.Fatal("second extension accepted")
	}
	if _, err := h.app.DSAR.Deny(ctx, r.ID, ""); !errors.Is(err, dsar.ErrInvalidRequest) {
		t.Fatalf("denial without reason: %v", err)
	}
	if _, err := h.app.DSAR.Deny(ctx, r.ID, "CCPA 1798.145: identity could not be verified"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.DSAR.Cancel(ctx, r.ID); !errors.Is(err, dsar.ErrFinished) {
		t.Fatalf("cancel after denial: %v", err)
	}
	rep, err := h.app.VerifyAudit(ctx)
	if err != nil || !rep.OK() || rep.Records != 3 {
		t.Fatalf("audit: %+v %v", rep, err)
	}
}

func TestResolveFindsEveryContact(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Leads: 2, Archived: 1, Merged: 1, Conversations: 1})
	ctx := context.Background()
	res, err := h.app.DSAR.Resolve(ctx, dsar.Identifiers{Emails: []string{strings.ToUpper(p.Email)}})
	if err != nil {
		t.Fatal(err)
	}
	got := res.ContactIDs()
	for _, id := range p.LiveContactIDs {
		if !slices.Contains(got, id) {
			t.Errorf("live contact %s not found by email", id)
		}
	}
	for _, id := range p.ArchivedIDs {
		if slices.Contains(got, id) {
			t.Errorf("archived contact %s found by search: the sandbox should hide it", id)
		}
	}
	// Archived and merged contacts are found by id; merged ones lead to their canonical contact.
	byID := dsar.Identifiers{ContactIDs: append(append([]string{}, p.ArchivedIDs...), p.MergedIDs...)}
	res, err = h.app.DSAR.Resolve(ctx, byID)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]dsar.Match{}
	for _, m := range res.Matches {
		status[m.ContactID] = m
	}
	for _, id := range p.ArchivedIDs {
		if status[id].Status != dsar.StatusNotRetrievable {
			t.Errorf("archived %s: status %q", id, status[id].Status)
		}
	}
	for _, id := range p.MergedIDs {
		m := status[id]
		if m.Status != dsar.StatusMerged || m.MergedInto == "" {
			t.Errorf("merged %s: %+v", id, m)
		}
		if c, ok := status[m.MergedInto]; !ok || !slices.Contains(c.MatchedBy, "merged_from") {
			t.Errorf("canonical contact of %s not resolved", id)
		}
	}
	res, err = h.app.DSAR.Resolve(ctx, dsar.Identifiers{Emails: []string{"nobody-at-all@example.org"}})
	if err != nil || len(res.Matches) != 0 {
		t.Fatalf("unknown person: %v %v", res.Matches, err)
	}
}

func TestExtendRefusesPersonalDataInReasonAndIDsInErrors(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestAccess, Identifiers: dsar.Identifiers{Emails: []string{"y@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.app.DSAR.Extend(ctx, r.ID, 2, "y@example.com sent 400 attachments")
	if err == nil {
		t.Fatal("an extension reason holding an email was accepted")
	}
	if strings.Contains(err.Error(), "y@example.com") {
		t.Fatalf("error repeats the reason: %v", err)
	}
	got, err := h.app.DSAR.Get(ctx, r.ID)
	if err != nil || !got.ExtendedDueAt.IsZero() || got.ExtensionReason != "" {
		t.Fatalf("refused extension left a trace: %+v %v", got, err)
	}
	_, err = h.app.DSAR.Get(ctx, "someone@example.com")
	if !errors.Is(err, dsar.ErrNotFound) || strings.Contains(err.Error(), "someone@") {
		t.Fatalf("lookup by a mistyped identifier: %v", err)
	}
}
