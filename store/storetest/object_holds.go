package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func testObjectHolds(t *testing.T, st store.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	lh, err := st.AddLegalHold(bg, store.LegalHold{RequestID: "req_9", Reason: "litigation", Basis: "legal_claims"})
	must(t, err)
	if lhs, err := st.ActiveLegalHolds(bg); err != nil || len(lhs) != 1 || lhs[0].ID != lh.ID || lhs[0].Basis != "legal_claims" {
		t.Fatalf("legal hold basis: %+v, %v", lhs, err)
	}
	h1, err := st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectTicket, ObjectID: "t1", Basis: "legal_claims", Reason: "billing dispute, case 17"})
	must(t, err)
	if h1.ID == "" || h1.CreatedAt.IsZero() {
		t.Fatalf("AddObjectHold = %+v", h1)
	}
	_, err = st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectConversation, ObjectID: "c1", Basis: "legal_obligation",
		Rule: "tax-records", RequestID: "req_1", KeepUntil: now.Add(time.Hour)})
	must(t, err)
	_, err = st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectConversation, ObjectID: "c2", Basis: "legal_obligation",
		Rule: "tax-records", RequestID: "req_1", KeepUntil: now.Add(-time.Hour)})
	must(t, err)
	for _, bad := range []store.ObjectHold{{ObjectType: "company", ObjectID: "x", Basis: "b"}, {ObjectType: store.ObjectTicket, Basis: "b"}, {ObjectType: store.ObjectTicket, ObjectID: "x"}} {
		if _, err := st.AddObjectHold(bg, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("AddObjectHold(%+v): %v", bad, err)
		}
	}
	all, err := st.ActiveObjectHolds(bg, now, "")
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("active holds = %+v (an expired exception counts)", all)
	}
	tickets, err := st.ActiveObjectHolds(bg, now, store.ObjectTicket, "t0", "t1")
	must(t, err)
	if len(tickets) != 1 || tickets[0].ID != h1.ID || tickets[0].Reason != "billing dispute, case 17" || !tickets[0].Active(now) {
		t.Fatalf("ticket holds = %+v", tickets)
	}
	if later, err := st.ActiveObjectHolds(bg, now.Add(2*time.Hour), store.ObjectConversation); err != nil || len(later) != 0 {
		t.Fatalf("conversation holds after keep_until = %+v, %v", later, err)
	}
	byReq, err := st.ObjectHoldsByRequest(bg, "req_1")
	must(t, err)
	if len(byReq) != 2 || byReq[0].Rule != "tax-records" || byReq[0].KeepUntil.IsZero() {
		t.Fatalf("holds by request = %+v", byReq)
	}
	ok, err := st.ReleaseObjectHold(bg, h1.ID, now)
	must(t, err)
	again, err := st.ReleaseObjectHold(bg, h1.ID, now)
	must(t, err)
	if !ok || again {
		t.Fatalf("release = %v then %v", ok, again)
	}
	if left, err := st.ActiveObjectHolds(bg, now, store.ObjectTicket); err != nil || len(left) != 0 {
		t.Fatalf("ticket holds after release = %+v, %v", left, err)
	}
}

func testRequestRecords(t *testing.T, st store.Store) {
	old := ts("2023-01-01T00:00:00Z")
	cutoff := ts("2024-01-01T00:00:00Z")
	mk := func(id string, state store.RequestState, completed time.Time) {
		t.Helper()
		_, err := st.CreateRequest(bg, store.Request{ID: id, Type: store.RequestErasure, State: state, ReceivedAt: old,
			CompletedAt: completed, CreatedAt: old, UpdatedAt: old})
		must(t, err)
		must(t, st.UpsertStep(bg, store.Step{RequestID: id, Name: "resolve", State: store.StepDone, StartedAt: old}))
	}
	mk("req_old", store.StateCompleted, old)
	mk("req_denied", store.StateDenied, old)
	mk("req_recent", store.StateCompleted, ts("2025-01-01T00:00:00Z"))
	mk("req_open", store.StateInProgress, time.Time{})
	mk("req_held", store.StateCompleted, old)
	mk("req_notice", store.StateCompleted, old)
	mk("req_kept", store.StateCompleted, old)
	mk("req_pending", store.StateCompleted, old)
	must(t, st.UpsertStep(bg, store.Step{RequestID: "req_pending", Name: "_kept", State: store.StepPending, StartedAt: old}))
	if pend, err := st.StepsByName(bg, "_kept", store.StepPending, 10); err != nil || len(pend) != 1 || pend[0].RequestID != "req_pending" {
		t.Fatalf("StepsByName = %+v, %v", pend, err)
	}
	if none, err := st.StepsByName(bg, "_kept", store.StepDone, 10); err != nil || len(none) != 0 {
		t.Fatalf("StepsByName(done) = %+v, %v", none, err)
	}
	_, err := st.AddLegalHold(bg, store.LegalHold{RequestID: "req_held", Reason: "regulator inquiry"})
	must(t, err)
	_, err = st.PlanNotices(bg, []store.RecipientNotice{{RequestID: "req_notice", Recipient: "Mailer", Event: "erasure", Method: "email", State: store.NoticeManual}})
	must(t, err)
	_, err = st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectTicket, ObjectID: "t9", Basis: "legal_claims", Rule: "disputes", RequestID: "req_kept"})
	must(t, err)
	_, err = st.PutBlob(bg, store.Blob{Kind: store.BlobAccessPackage, RequestID: "req_old", CreatedAt: old}, bytes.NewReader(rnd(10)))
	must(t, err)

	got, err := st.PrunableRequests(bg, cutoff, 10)
	must(t, err)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if len(ids) != 2 || ids[0] != "req_denied" && ids[0] != "req_old" || ids[1] != "req_denied" && ids[1] != "req_old" {
		t.Fatalf("prunable = %v; want req_old and req_denied only", ids)
	}
	if one, err := st.PrunableRequests(bg, cutoff, 1); err != nil || len(one) != 1 {
		t.Fatalf("limit 1: %d, %v", len(one), err)
	}
	c, err := st.DeleteRequests(bg, ids)
	must(t, err)
	if c.Requests != 2 || c.Steps != 2 || c.Blobs != 1 {
		t.Fatalf("DeleteRequests = %+v", c)
	}
	if _, err := st.GetRequest(bg, "req_old"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("request still there: %v", err)
	}
	if steps, err := st.Steps(bg, "req_old"); err != nil || len(steps) != 0 {
		t.Fatalf("steps left: %v, %v", steps, err)
	}
	if _, err := st.GetRequest(bg, "req_recent"); err != nil {
		t.Fatalf("a recent request went: %v", err)
	}

	a, b := rnd(32), rnd(32)
	_, err = st.AddSuppression(bg, store.Suppression{Ref: a, Kind: "email", CreatedAt: old})
	must(t, err)
	_, err = st.AddSuppression(bg, store.Suppression{Ref: b, Kind: "email", CreatedAt: ts("2025-01-01T00:00:00Z")})
	must(t, err)
	if n, err := st.CountSuppressionsBefore(bg, cutoff); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}
	if n, err := st.DeleteSuppressionsBefore(bg, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("delete = %d, %v", n, err)
	}
	if s, err := st.Suppressed(bg, a); err != nil || s {
		t.Fatalf("old entry still suppressed: %v, %v", s, err)
	}
	if s, err := st.Suppressed(bg, b); err != nil || !s {
		t.Fatalf("recent entry lost: %v, %v", s, err)
	}
}

// testObjectHoldsKeepCache: retention keeps the cached copy of a contact or
// conversation an object hold or a live exception keeps; an ended exception
// keeps nothing.
func testObjectHoldsKeepCache(t *testing.T, st store.Store) {
	old := ts("2026-01-01T00:00:00Z")
	cutoff := ts("2026-02-01T00:00:00Z")
	for _, id := range []string{"held", "ended", "free"} {
		c := sampleContact("c-"+id, "key-"+id)
		c.CreatedAt = old
		must(t, st.UpsertContact(bg, c))
		must(t, st.UpsertConversation(bg, store.CachedConversation{ID: "v-" + id, ContactIDs: []string{c.IntercomID}, PersonKeyID: "key-" + id, CreatedAt: old}))
	}
	_, err := st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectConversation, ObjectID: "v-held", Basis: "legal_claims"})
	must(t, err)
	_, err = st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectContact, ObjectID: "c-held", Basis: "legal_claims"})
	must(t, err)
	_, err = st.AddObjectHold(bg, store.ObjectHold{ObjectType: store.ObjectConversation, ObjectID: "v-ended", Basis: "legal_claims",
		Rule: "r", RequestID: "req_1", KeepUntil: ts("2026-03-01T00:00:00Z")})
	must(t, err)
	if n, err := st.CountExpired(bg, store.CategoryConversationCache, cutoff); err != nil || n != 2 {
		t.Fatalf("CountExpired(conversations) = %d, %v; want 2", n, err)
	}
	if n, err := st.DeleteExpired(bg, store.CategoryConversationCache, cutoff, 10); err != nil || n != 2 {
		t.Fatalf("DeleteExpired(conversations) = %d, %v; want 2", n, err)
	}
	if n, err := st.DeleteExpired(bg, store.CategoryContactCache, cutoff, 10); err != nil || n != 2 {
		t.Fatalf("DeleteExpired(contacts) = %d, %v; want 2", n, err)
	}
	if _, err := st.GetContact(bg, "c-held"); err != nil {
		t.Fatalf("the held contact's copy went: %v", err)
	}
	if cs, err := st.ConversationsByContact(bg, "c-held"); err != nil || len(cs) != 1 {
		t.Fatalf("the held conversation's copy went: %v, %v", cs, err)
	}
}
