package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	msg := func(req, kind, dedup string, next time.Time) store.OutboxMessage {
		return store.OutboxMessage{RequestID: req, Kind: kind, DedupKey: dedup, KeyID: "message:" + dedup,
			ContentEnc: []byte("ciphertext-" + dedup), NextAttemptAt: next}
	}
	a, ins, err := s.EnqueueMessage(ctx, msg("req_1", "acknowledgement", "req_1/acknowledgement", now))
	if err != nil || !ins || a.ID == "" || a.State != store.MessagePending || a.CreatedAt.IsZero() {
		t.Fatalf("enqueue: %+v %v %v", a, ins, err)
	}
	// The same dedup key (a resumed step) inserts nothing and returns the first.
	again, ins, err := s.EnqueueMessage(ctx, msg("req_1", "acknowledgement", "req_1/acknowledgement", now))
	if err != nil || ins || again.ID != a.ID {
		t.Fatalf("enqueue twice: %+v %v %v", again, ins, err)
	}
	if _, _, err := s.EnqueueMessage(ctx, store.OutboxMessage{Kind: "x", DedupKey: "y"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete message: %v", err)
	}
	// Written in a transaction that rolls back, a message does not exist.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := tx.EnqueueMessage(ctx, msg("req_9", "denial", "req_9/denial", now)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if ms, err := s.MessagesByRequest(ctx, "req_9"); err != nil || len(ms) != 0 {
		t.Fatalf("rolled back message: %+v, %v", ms, err)
	}
	var b store.OutboxMessage
	if err := s.InTx(ctx, func(tx store.Tx) error {
		var err error
		b, _, err = tx.EnqueueMessage(ctx, msg("req_1", "verification", "req_1/verification", now.Add(time.Hour)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EnqueueMessage(ctx, msg("req_2", "acknowledgement", "req_2/acknowledgement", now.Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	byReq, err := s.MessagesByRequest(ctx, "req_1")
	if err != nil || len(byReq) != 2 || byReq[0].ID != a.ID || byReq[1].ID != b.ID || string(byReq[1].ContentEnc) != "ciphertext-req_1/verification" {
		t.Fatalf("by request: %+v, %v", byReq, err)
	}
	due, err := s.DueMessages(ctx, now, 10)
	if err != nil || len(due) != 2 || due[0].RequestID != "req_2" || due[1].ID != a.ID {
		t.Fatalf("due (earliest first): %+v, %v", due, err)
	}
	// A claim is recorded against the state and attempts read; a second
	// sender holding the same read loses.
	claimed := a
	claimed.Attempts, claimed.NextAttemptAt = 1, now.Add(2*time.Minute)
	if err := s.UpdateMessage(ctx, claimed, a); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateMessage(ctx, claimed, a); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale claim: %v", err)
	}
	if due, _ := s.DueMessages(ctx, now.Add(time.Minute), 10); len(due) != 1 || due[0].RequestID != "req_2" {
		t.Fatalf("a claimed message is not due: %+v", due)
	}
	sent := claimed
	sent.State, sent.SentAt, sent.ContentEnc, sent.LastError = store.MessageSent, now, nil, ""
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateMessage(ctx, sent, claimed) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMessage(ctx, a.ID)
	if err != nil || got.State != store.MessageSent || got.Attempts != 1 || !got.SentAt.Equal(now) || got.ContentEnc != nil {
		t.Fatalf("after send: %+v, %v", got, err)
	}
	failed := b
	failed.State, failed.Attempts, failed.LastError = store.MessageFailed, 1, "smtp 550 5.1.1 at RCPT"
	if err := s.UpdateMessage(ctx, failed, b); err != nil {
		t.Fatal(err)
	}
	if fs, err := s.MessagesInState(ctx, 10, store.MessageFailed); err != nil || len(fs) != 1 || fs[0].LastError != failed.LastError {
		t.Fatalf("failed: %+v, %v", fs, err)
	}
	if _, err := s.MessagesInState(ctx, 10); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no state: %v", err)
	}
	counts, err := s.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byState := map[store.MessageState]store.OutboxCount{}
	for _, c := range counts {
		byState[c.State] = c
	}
	if byState[store.MessagePending].Count != 1 || byState[store.MessageSent].Count != 1 || byState[store.MessageFailed].Count != 1 ||
		byState[store.MessagePending].OldestAt.IsZero() {
		t.Fatalf("counts: %+v", counts)
	}
	if _, err := s.GetMessage(ctx, "msg_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.UpdateMessage(ctx, store.OutboxMessage{ID: "msg_missing"}, store.OutboxMessage{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}
