package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/users/sessiontest"
)

// newTestUser inserts a user with random opaque email bytes.
func newTestUser(t testing.TB, o store.Ops) store.User {
	t.Helper()
	u, err := o.CreateUser(bg, store.User{EmailIndex: rnd(32), EmailEnc: rnd(40), Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func testUsers(t *testing.T, s store.Store) {
	t0 := ts("2026-02-01T10:00:00Z")
	idx := rnd(32)
	u, err := s.CreateUser(bg, store.User{EmailIndex: idx, EmailEnc: []byte("ct"), Role: "admin", PasswordHash: "$argon2id$x", CreatedAt: t0})
	if err != nil || u.ID == "" || !u.UpdatedAt.Equal(t0) {
		t.Fatalf("create: %+v, %v", u, err)
	}
	if _, err := s.CreateUser(bg, store.User{EmailIndex: idx, EmailEnc: []byte("ct2"), Role: "agent"}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second user with the same email index: %v, want ErrDuplicate", err)
	}
	if _, err := s.CreateUser(bg, store.User{EmailIndex: rnd(32), Role: "agent"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("user without an encrypted email: %v, want ErrInvalid", err)
	}
	got, err := s.UserByEmailIndex(bg, idx)
	if err != nil || got.ID != u.ID || got.Role != "admin" || got.PasswordHash != "$argon2id$x" || got.TOTPEnc != nil || got.Disabled() {
		t.Fatalf("by index: %+v, %v", got, err)
	}
	if _, err := s.UserByEmailIndex(bg, rnd(32)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown index: %v", err)
	}
	got.TOTPEnc, got.TOTPConfirmed, got.Role, got.DisabledAt, got.OIDCSubject = []byte("totp"), true, "auditor", t0.Add(time.Hour), "sub-1"
	got.UpdatedAt = t0.Add(time.Hour)
	must(t, s.UpdateUser(bg, got))
	again, err := s.GetUser(bg, u.ID)
	if err != nil || string(again.TOTPEnc) != "totp" || !again.TOTPConfirmed || again.Role != "auditor" ||
		!again.DisabledAt.Equal(t0.Add(time.Hour)) || again.OIDCSubject != "sub-1" || !again.CreatedAt.Equal(t0) {
		t.Fatalf("after update: %+v, %v", again, err)
	}
	if err := s.UpdateUser(bg, store.User{ID: "usr_missing", Role: "agent"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	second := newTestUser(t, s)
	list, err := s.ListUsers(bg)
	if err != nil || len(list) != 2 || list[0].ID != u.ID || list[1].ID != second.ID {
		t.Fatalf("list: %+v, %v", list, err)
	}

	// A TOTP step is accepted once, and never an earlier one.
	for _, c := range []struct {
		step int64
		ok   bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		if ok, err := s.UseTOTPStep(bg, u.ID, c.step); ok != c.ok || err != nil {
			t.Fatalf("UseTOTPStep(%d) = %v, %v; want %v", c.step, ok, err, c.ok)
		}
	}
	if _, err := s.UseTOTPStep(bg, "usr_missing", 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UseTOTPStep of a missing user: %v", err)
	}

	// Recovery codes: each used once; replacing forgets the old ones.
	h1, h2 := rnd(32), rnd(32)
	must(t, s.ReplaceRecoveryCodes(bg, u.ID, [][]byte{h1, h2}))
	if n, err := s.UnusedRecoveryCodes(bg, u.ID); n != 2 || err != nil {
		t.Fatalf("unused: %d, %v", n, err)
	}
	if ok, err := s.UseRecoveryCode(bg, u.ID, h1, t0); !ok || err != nil {
		t.Fatalf("use: %v, %v", ok, err)
	}
	if ok, err := s.UseRecoveryCode(bg, u.ID, h1, t0); ok || err != nil {
		t.Fatalf("use twice: %v, %v", ok, err)
	}
	if ok, _ := s.UseRecoveryCode(bg, second.ID, h2, t0); ok {
		t.Fatal("another user's recovery code accepted")
	}
	must(t, s.InTx(bg, func(tx store.Tx) error { return tx.ReplaceRecoveryCodes(bg, u.ID, [][]byte{rnd(32)}) }))
	if ok, _ := s.UseRecoveryCode(bg, u.ID, h2, t0); ok {
		t.Fatal("a replaced recovery code was accepted")
	}
	if n, _ := s.UnusedRecoveryCodes(bg, u.ID); n != 1 {
		t.Fatalf("unused after replace: %d", n)
	}
}

func testSessions(t *testing.T, s store.Store) {
	sessiontest.Run(t, s, func(t *testing.T) string { return newTestUser(t, s).ID })
}

func testAPITokens(t *testing.T, s store.Store) {
	t0 := ts("2026-02-01T10:00:00Z")
	u, other := newTestUser(t, s), newTestUser(t, s)
	h := rnd(32)
	tok, err := s.CreateAPIToken(bg, store.APIToken{SecretHash: h, UserID: u.ID, Name: "nightly export", CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)})
	if err != nil || tok.ID == "" {
		t.Fatalf("create: %+v, %v", tok, err)
	}
	if _, err := s.CreateAPIToken(bg, store.APIToken{SecretHash: h, UserID: u.ID, Name: "again"}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("same secret hash: %v", err)
	}
	if _, err := s.CreateAPIToken(bg, store.APIToken{SecretHash: rnd(32), UserID: u.ID}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no name: %v", err)
	}
	second, err := s.CreateAPIToken(bg, store.APIToken{SecretHash: rnd(32), UserID: u.ID, Name: "two", CreatedAt: t0.Add(time.Second)})
	must(t, err)
	third, err := s.CreateAPIToken(bg, store.APIToken{SecretHash: rnd(32), UserID: other.ID, Name: "other", CreatedAt: t0.Add(2 * time.Second)})
	must(t, err)
	got, err := s.APITokenBySecretHash(bg, h)
	if err != nil || got.ID != tok.ID || got.Name != "nightly export" || !got.ExpiresAt.Equal(t0.Add(90*24*time.Hour)) || !got.RevokedAt.IsZero() {
		t.Fatalf("by hash: %+v, %v", got, err)
	}
	if _, err := s.APITokenBySecretHash(bg, rnd(32)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	must(t, s.TouchAPIToken(bg, tok.ID, t0.Add(time.Hour)))
	must(t, s.TouchAPIToken(bg, tok.ID, t0.Add(time.Minute)))
	if got, _ := s.GetAPIToken(bg, tok.ID); !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LastUsedAt = %v", got.LastUsedAt)
	}
	mine, err := s.APITokens(bg, u.ID)
	if err != nil || len(mine) != 2 || mine[0].ID != tok.ID || mine[1].ID != second.ID {
		t.Fatalf("user's tokens: %+v, %v", mine, err)
	}
	if all, _ := s.APITokens(bg, ""); len(all) != 3 || all[2].ID != third.ID {
		t.Fatalf("all tokens: %+v", all)
	}
	if ok, err := s.RevokeAPIToken(bg, tok.ID, t0.Add(2*time.Hour)); !ok || err != nil {
		t.Fatalf("revoke: %v, %v", ok, err)
	}
	if ok, err := s.RevokeAPIToken(bg, tok.ID, t0.Add(3*time.Hour)); ok || err != nil {
		t.Fatalf("revoke twice: %v, %v", ok, err)
	}
	if got, _ := s.APITokenBySecretHash(bg, h); !got.RevokedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("revoked at %v", got.RevokedAt)
	}
	ids, err := s.RevokeUserAPITokens(bg, u.ID, t0.Add(4*time.Hour))
	if err != nil || !slices.Equal(ids, []string{second.ID}) {
		t.Fatalf("revoke user's tokens: %v, %v", ids, err)
	}
	if got, _ := s.GetAPIToken(bg, third.ID); !got.RevokedAt.IsZero() {
		t.Fatal("another user's token was revoked")
	}
}

func testSignInThrottle(t *testing.T, s store.Store) {
	t0 := ts("2026-02-01T10:00:00Z")
	w := 15 * time.Minute
	if n, start, err := s.SignInFailures(bg, "k1"); n != 0 || !start.IsZero() || err != nil {
		t.Fatalf("no failures yet: %d, %v, %v", n, start, err)
	}
	for i := 1; i <= 3; i++ {
		n, start, err := s.RecordSignInFailure(bg, "k1", t0.Add(time.Duration(i)*time.Minute), w)
		if err != nil || n != i || !start.Equal(t0.Add(time.Minute)) {
			t.Fatalf("failure %d: %d, %v, %v", i, n, start, err)
		}
	}
	// Past the window the count starts again.
	n, start, err := s.RecordSignInFailure(bg, "k1", t0.Add(time.Minute+w), w)
	if err != nil || n != 1 || !start.Equal(t0.Add(time.Minute+w)) {
		t.Fatalf("after the window: %d, %v, %v", n, start, err)
	}
	if n, _, _ := s.SignInFailures(bg, "k2"); n != 0 {
		t.Fatal("another key counted")
	}
	must(t, s.ClearSignInFailures(bg, "k1"))
	if n, _, _ := s.SignInFailures(bg, "k1"); n != 0 {
		t.Fatal("cleared failures still counted")
	}
	if _, _, err := s.RecordSignInFailure(bg, "", t0, w); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty key: %v", err)
	}
	// Old windows are forgotten by the sweep.
	if _, _, err := s.RecordSignInFailure(bg, "old", t0.Add(-time.Hour), w); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteSignInFailuresBefore(bg, t0); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	// Concurrent failures are all counted.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, _, err := s.RecordSignInFailure(context.Background(), "k3", t0, w); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _, _ := s.SignInFailures(bg, "k3"); n != 10 {
		t.Fatalf("%d of 10 concurrent failures counted", n)
	}
}
