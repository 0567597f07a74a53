package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func testIntakes(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(token, ref string, expires time.Time) store.Intake {
		return store.Intake{RequestType: store.RequestAccess, Jurisdiction: "gdpr", IdentifiersEnc: []byte("ct-" + token),
			EmailRef: ref, TokenHash: []byte("hash-" + token), CodeHash: []byte("code-" + token), CreatedAt: now, ExpiresAt: expires}
	}
	a, err := s.CreateIntake(ctx, mk("a", "ref1", now.Add(24*time.Hour)))
	if err != nil || a.ID == "" || a.State != store.IntakePending || !a.CreatedAt.Equal(now) {
		t.Fatalf("create: %+v, %v", a, err)
	}
	if _, err := s.CreateIntake(ctx, mk("a", "ref1", now.Add(time.Hour))); err == nil {
		t.Fatal("a second intake with the same token")
	}
	if _, err := s.CreateIntake(ctx, store.Intake{RequestType: store.RequestAccess}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete: %v", err)
	}
	if _, err := s.CreateIntake(ctx, mk("b", "ref1", now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	old, err := s.CreateIntake(ctx, mk("c", "ref2", now.Add(-time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.IntakeByToken(ctx, []byte("hash-a"))
	if err != nil || got.ID != a.ID || !bytes.Equal(got.CodeHash, []byte("code-a")) || !bytes.Equal(got.IdentifiersEnc, []byte("ct-a")) {
		t.Fatalf("by token: %+v, %v", got, err)
	}
	if _, err := s.IntakeByToken(ctx, []byte("hash-zz")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	pending, forEmail, err := s.CountIntakes(ctx, now, "ref1")
	if err != nil || pending != 2 || forEmail != 2 {
		t.Fatalf("count: %d %d %v", pending, forEmail, err)
	}
	if _, n, _ := s.CountIntakes(ctx, now, "ref-none"); n != 0 {
		t.Fatalf("count for another address: %d", n)
	}
	exp, err := s.ExpiredIntakes(ctx, now, 10)
	if err != nil || len(exp) != 1 || exp[0].ID != old.ID {
		t.Fatalf("expired: %+v, %v", exp, err)
	}
	// A wrong code counts an attempt; two holders of one read cannot both.
	wrong := got
	wrong.Attempts = 1
	if err := s.UpdateIntake(ctx, wrong, got); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateIntake(ctx, wrong, got); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale: %v", err)
	}
	done := wrong
	done.State, done.RequestID, done.SettledAt, done.IdentifiersEnc = store.IntakeVerified, "req_x", now, nil
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateIntake(ctx, done, wrong) }); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetIntake(ctx, a.ID)
	if err != nil || got.State != store.IntakeVerified || got.RequestID != "req_x" || got.IdentifiersEnc != nil || !got.SettledAt.Equal(now) || got.Attempts != 1 {
		t.Fatalf("after verification: %+v, %v", got, err)
	}
	if pending, _, _ := s.CountIntakes(ctx, now, ""); pending != 1 {
		t.Fatalf("pending after one verified and one expired: %d", pending)
	}
	if err := s.UpdateIntake(ctx, store.Intake{ID: "int_missing"}, store.Intake{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func testDownloadLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	l, err := s.CreateDownloadLink(ctx, store.DownloadLink{RequestID: "req_1", BlobID: "blob_1", TokenHash: []byte("tok"),
		EmailEnc: []byte("ct"), MaxUses: 2, ExpiresAt: now.Add(7 * 24 * time.Hour)})
	if err != nil || l.ID == "" || l.Uses != 0 || l.Version != 0 || l.CodeHash != nil {
		t.Fatalf("create: %+v, %v", l, err)
	}
	if _, err := s.CreateDownloadLink(ctx, store.DownloadLink{RequestID: "req_1"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete: %v", err)
	}
	got, err := s.DownloadLinkByToken(ctx, []byte("tok"))
	if err != nil || got.ID != l.ID || !bytes.Equal(got.EmailEnc, []byte("ct")) || got.MaxUses != 2 {
		t.Fatalf("by token: %+v, %v", got, err)
	}
	if _, err := s.DownloadLinkByToken(ctx, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	coded := got
	coded.CodeHash, coded.CodeExpiresAt, coded.CodesSent = []byte("code"), now.Add(15*time.Minute), 1
	next, err := s.UpdateDownloadLink(ctx, coded)
	if err != nil || next.Version != 1 || !bytes.Equal(next.CodeHash, []byte("code")) || !next.CodeExpiresAt.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("code: %+v, %v", next, err)
	}
	// A second holder of the old version loses.
	if _, err := s.UpdateDownloadLink(ctx, coded); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale: %v", err)
	}
	used := next
	used.Uses, used.CodeHash, used.CodeExpiresAt = 1, nil, time.Time{}
	if err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpdateDownloadLink(ctx, used); return err }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.DownloadLinkByToken(ctx, []byte("tok"))
	if got.Uses != 1 || got.CodeHash != nil || !got.CodeExpiresAt.IsZero() || got.Version != 2 {
		t.Fatalf("after a use: %+v", got)
	}
	// Spent links: used up, or expired; their addresses are forgotten.
	spent, err := s.CreateDownloadLink(ctx, store.DownloadLink{RequestID: "req_2", BlobID: "blob_2", TokenHash: []byte("tok2"),
		EmailEnc: []byte("ct2"), MaxUses: 1, Uses: 1, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.CreateDownloadLink(ctx, store.DownloadLink{RequestID: "req_3", BlobID: "blob_3", TokenHash: []byte("tok3"),
		EmailEnc: []byte("ct3"), MaxUses: 3, ExpiresAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.SpentDownloadLinks(ctx, now, 10)
	if err != nil || len(list) != 2 || list[0].ID != old.ID || list[1].ID != spent.ID {
		t.Fatalf("spent: %+v, %v", list, err)
	}
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.ForgetDownloadAddress(ctx, old.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetDownloadAddress(ctx, spent.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.SpentDownloadLinks(ctx, now, 10); len(list) != 0 {
		t.Fatalf("forgotten links listed again: %+v", list)
	}
	if got, _ := s.DownloadLinkByToken(ctx, []byte("tok3")); len(got.EmailEnc) != 0 {
		t.Fatalf("address kept: %+v", got)
	}
	if err := s.ForgetDownloadAddress(ctx, "dl_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
