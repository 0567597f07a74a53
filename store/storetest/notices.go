package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func testNotices(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	plan := []store.RecipientNotice{
		{RequestID: "req_1", Recipient: "Warehouse", Event: "erasure", Method: "webhook", State: store.NoticePending, NextAttemptAt: now},
		{RequestID: "req_1", Recipient: "Mailer", Event: "erasure", Method: "email", State: store.NoticeManual},
		{RequestID: "req_2", Recipient: "Warehouse", Event: "erasure", Method: "webhook", State: store.NoticePending, NextAttemptAt: now.Add(time.Hour)},
	}
	n, err := s.PlanNotices(ctx, plan)
	if err != nil || n != 3 {
		t.Fatalf("plan: %d, %v", n, err)
	}
	// Planning again (a resumed step) inserts nothing.
	if n, err := s.PlanNotices(ctx, plan); err != nil || n != 0 {
		t.Fatalf("plan twice: %d, %v", n, err)
	}
	if _, err := s.PlanNotices(ctx, []store.RecipientNotice{{RequestID: "req_3"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete notice: %v", err)
	}
	byReq, err := s.NoticesByRequest(ctx, "req_1")
	if err != nil || len(byReq) != 2 || byReq[0].ID == "" {
		t.Fatalf("by request: %+v, %v", byReq, err)
	}
	due, err := s.DueNotices(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].RequestID != "req_1" || due[0].Recipient != "Warehouse" {
		t.Fatalf("due: %+v, %v", due, err)
	}
	manual, err := s.NoticesInState(ctx, 10, store.NoticeManual, store.NoticeFailed)
	if err != nil || len(manual) != 1 || manual[0].Method != "email" {
		t.Fatalf("manual: %+v, %v", manual, err)
	}
	// An attempt is recorded against the state and attempts read; a second
	// sender holding the same read loses.
	d := due[0]
	next := d
	next.Attempts, next.NextAttemptAt, next.LastError = 1, now.Add(time.Minute), "status 503"
	if err := s.UpdateNotice(ctx, next, d); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateNotice(ctx, next, d); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale update: %v", err)
	}
	sent := next
	sent.State, sent.FinishedAt, sent.LastError = store.NoticeSent, now, ""
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateNotice(ctx, sent, next) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetNotice(ctx, d.ID)
	if err != nil || got.State != store.NoticeSent || got.Attempts != 1 || !got.FinishedAt.Equal(now) || got.LastError != "" {
		t.Fatalf("after send: %+v, %v", got, err)
	}
	if due, _ := s.DueNotices(ctx, now.Add(2*time.Hour), 10); len(due) != 1 || due[0].RequestID != "req_2" {
		t.Fatalf("due later: %+v", due)
	}
	if _, err := s.GetNotice(ctx, "ntc_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.UpdateNotice(ctx, store.RecipientNotice{ID: "ntc_missing"}, store.RecipientNotice{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}
