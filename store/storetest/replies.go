package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// testReplies: a reply is written once per dedup key, rolls back with its
// transaction, is due from NextAttemptAt, and only one of two senders that
// read it can claim it.
func testReplies(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	rp := func(req, kind string, next time.Time) store.IntercomReply {
		return store.IntercomReply{RequestID: req, TargetType: store.ReplyConversation, TargetID: "c1", Kind: kind,
			DedupKey: req + "/" + kind, KeyID: "reply:" + req + kind, ContentEnc: []byte("ciphertext"), NextAttemptAt: next}
	}
	a, ins, err := s.EnqueueReply(ctx, rp("req_1", "acknowledgement", now))
	if err != nil || !ins || a.ID == "" || a.State != store.ReplyPending || a.CreatedAt.IsZero() {
		t.Fatalf("enqueue: %+v %v %v", a, ins, err)
	}
	if again, ins, err := s.EnqueueReply(ctx, rp("req_1", "acknowledgement", now)); err != nil || ins || again.ID != a.ID {
		t.Fatalf("enqueue twice: %+v %v %v", again, ins, err)
	}
	bad := rp("req_2", "denial", now)
	bad.TargetType = "contact"
	if _, _, err := s.EnqueueReply(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a reply to a contact: %v, want ErrInvalid", err)
	}
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(tx store.Tx) error {
		if _, _, err := tx.EnqueueReply(ctx, rp("req_9", "denial", now)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if rs, err := s.RepliesByRequest(ctx, "req_9"); err != nil || len(rs) != 0 {
		t.Fatalf("a rolled-back reply: %d, %v", len(rs), err)
	}
	later, _, err := s.EnqueueReply(ctx, rp("req_1", "completion", now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	due, err := s.DueReplies(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].ID != a.ID {
		t.Fatalf("due: %+v %v", due, err)
	}
	// Two senders read a; one claim wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			c := a
			c.Attempts++
			c.NextAttemptAt = now.Add(time.Minute)
			errs[i] = s.UpdateReply(ctx, c, a)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrStateConflict):
			t.Fatalf("claim: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won, want 1", won)
	}
	claimed, err := s.GetReply(ctx, a.ID)
	if err != nil || claimed.Attempts != 1 {
		t.Fatalf("claimed: %+v %v", claimed, err)
	}
	sent := claimed
	sent.State, sent.ContentEnc, sent.PartID, sent.SentAt = store.ReplySent, nil, "part_7", now
	if err := s.UpdateReply(ctx, sent, claimed); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetReply(ctx, a.ID)
	if err != nil || got.State != store.ReplySent || got.ContentEnc != nil || got.PartID != "part_7" || !got.SentAt.Equal(now) {
		t.Fatalf("sent: %+v %v", got, err)
	}
	if err := s.UpdateReply(ctx, sent, claimed); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("a stale update: %v", err)
	}
	rs, err := s.RepliesByRequest(ctx, "req_1")
	if err != nil || len(rs) != 2 || rs[0].ID != a.ID || rs[1].ID != later.ID {
		t.Fatalf("by request: %+v %v", rs, err)
	}
	if _, err := s.GetReply(ctx, "rpl_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown reply: %v", err)
	}
}

// testRateWindows: concurrent hits count once each, windows are apart by
// bucket, key and start, and ended windows are deleted.
func testRateWindows(t *testing.T, s store.Store) {
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	const n = 12
	var wg sync.WaitGroup
	counts := make([]int64, n)
	for i := range n {
		wg.Go(func() {
			c, err := s.HitRate(ctx, "form", "k1", start, end)
			if err != nil {
				t.Errorf("hit: %v", err)
			}
			counts[i] = c
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, c := range counts {
		seen[c] = true
	}
	for i := int64(1); i <= n; i++ {
		if !seen[i] {
			t.Fatalf("counts %v: want each of 1..%d once", counts, n)
		}
	}
	for _, k := range []struct {
		bucket, key string
		start       time.Time
	}{{"verify", "k1", start}, {"form", "k2", start}, {"form", "k1", end}} {
		if c, err := s.HitRate(ctx, k.bucket, k.key, k.start, k.start.Add(time.Hour)); err != nil || c != 1 {
			t.Fatalf("%s/%s: %d, %v; want a window of its own", k.bucket, k.key, c, err)
		}
	}
	if _, err := s.HitRate(ctx, "", "k", start, end); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no bucket: %v", err)
	}
	if d, err := s.DeleteRateWindows(ctx, end); err != nil || d != 0 {
		t.Fatalf("delete before the end: %d, %v", d, err)
	}
	if d, err := s.DeleteRateWindows(ctx, end.Add(time.Microsecond)); err != nil || d != 3 {
		t.Fatalf("delete ended windows: %d, %v; want 3", d, err)
	}
	if c, err := s.HitRate(ctx, "form", "k1", start, end); err != nil || c != 1 {
		t.Fatalf("a deleted window starts over: %d, %v", c, err)
	}
}
