// Package sessiontest is the conformance suite of the session store
// (store.Sessions), in the manner of testing/slogtest: any implementation —
// both SQL backends today, a cache or a memory store tomorrow — passes Run,
// so package users can rely on the contract alone.
package sessiontest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// Run checks s against the contract of store.Sessions. newUser returns the id
// of a new user the sessions may belong to (stores with foreign keys need
// one). Every time used is fixed, so the suite never depends on the wall clock.
func Run(t *testing.T, s store.Sessions, newUser func(t *testing.T) string) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	secret := func() []byte { b := make([]byte, 32); _, _ = rand.Read(b); return b }

	t.Run("CreateAndFind", func(t *testing.T) {
		u := newUser(t)
		h := secret()
		got, err := s.CreateSession(ctx, store.Session{SecretHash: h, UserID: u, Stage: store.StageFull, Via: "session",
			CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || !got.LastSeenAt.Equal(t0) {
			t.Fatalf("created %+v: want an id and LastSeenAt = CreatedAt", got)
		}
		found, err := s.SessionBySecretHash(ctx, h)
		if err != nil || found.ID != got.ID || found.UserID != u || found.Stage != store.StageFull ||
			!found.ExpiresAt.Equal(t0.Add(12*time.Hour)) || !found.EndedAt.IsZero() || !bytes.Equal(found.SecretHash, h) {
			t.Fatalf("by secret hash: %+v, %v", found, err)
		}
		if byID, err := s.GetSession(ctx, got.ID); err != nil || byID.ID != got.ID {
			t.Fatalf("by id: %+v, %v", byID, err)
		}
		if _, err := s.SessionBySecretHash(ctx, secret()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown hash: %v, want ErrNotFound", err)
		}
		if _, err := s.GetSession(ctx, "ses_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown id: %v, want ErrNotFound", err)
		}
	})

	t.Run("SecretHashUnique", func(t *testing.T) {
		u := newUser(t)
		h := secret()
		if _, err := s.CreateSession(ctx, store.Session{SecretHash: h, UserID: u, Stage: store.StageFull, Via: "session", ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSession(ctx, store.Session{SecretHash: h, UserID: u, Stage: store.StageFull, Via: "session", ExpiresAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("second session with the same secret hash: %v, want ErrDuplicate", err)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		u := newUser(t)
		for _, bad := range []store.Session{
			{UserID: u, Stage: store.StageFull, Via: "session", ExpiresAt: t0},
			{SecretHash: secret(), Stage: store.StageFull, Via: "session", ExpiresAt: t0},
			{SecretHash: secret(), UserID: u, Via: "session", ExpiresAt: t0},
			{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session"},
		} {
			if _, err := s.CreateSession(ctx, bad); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("CreateSession(%+v): %v, want ErrInvalid", bad, err)
			}
		}
	})

	t.Run("TouchMovesForwardOnly", func(t *testing.T) {
		u := newUser(t)
		h := secret()
		ses, err := s.CreateSession(ctx, store.Session{SecretHash: h, UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, ses.ID, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, ses.ID, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetSession(ctx, ses.ID)
		if !got.LastSeenAt.Equal(t0.Add(10 * time.Minute)) {
			t.Fatalf("LastSeenAt = %v, want the latest touch", got.LastSeenAt)
		}
	})

	t.Run("EndOnce", func(t *testing.T) {
		u := newUser(t)
		h := secret()
		ses, err := s.CreateSession(ctx, store.Session{SecretHash: h, UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.EndSession(ctx, ses.ID, t0.Add(time.Minute), "signed_out"); !ok || err != nil {
			t.Fatalf("end: %v, %v", ok, err)
		}
		if ok, err := s.EndSession(ctx, ses.ID, t0.Add(2*time.Minute), "signed_out"); ok || err != nil {
			t.Fatalf("end twice: %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.EndSession(ctx, "ses_missing", t0, "signed_out"); ok || err != nil {
			t.Fatalf("end missing: %v, %v; want false, nil", ok, err)
		}
		// An ended session is still found (the caller refuses it), keeps its
		// first end, and a touch does not revive it.
		if err := s.TouchSession(ctx, ses.ID, t0.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionBySecretHash(ctx, h)
		if err != nil || !got.EndedAt.Equal(t0.Add(time.Minute)) || got.EndReason != "signed_out" || !got.LastSeenAt.Equal(t0) {
			t.Fatalf("ended session: %+v, %v", got, err)
		}
	})

	t.Run("EndUserSessionsEverywhere", func(t *testing.T) {
		u, other := newUser(t), newUser(t)
		var ids []string
		for range 3 {
			ses, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ses.ID)
		}
		keep, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: other, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndSession(ctx, ids[0], t0, "signed_out"); err != nil {
			t.Fatal(err)
		}
		ended, err := s.EndUserSessions(ctx, u, ids[2], t0.Add(time.Minute), "signed_out_everywhere")
		if err != nil || !slices.Equal(ended, []string{ids[1]}) {
			t.Fatalf("EndUserSessions = %v, %v; want only %s (one already ended, one excepted)", ended, err, ids[1])
		}
		live, err := s.UserSessions(ctx, u, t0)
		if err != nil || len(live) != 1 || live[0].ID != ids[2] {
			t.Fatalf("live sessions: %+v, %v", live, err)
		}
		if live, _ := s.UserSessions(ctx, other, t0); len(live) != 1 || live[0].ID != keep.ID {
			t.Fatalf("another user's sessions changed: %+v", live)
		}
		if live, _ := s.UserSessions(ctx, u, t0.Add(time.Hour)); len(live) != 0 {
			t.Fatalf("sessions past their expiry listed as live: %+v", live)
		}
		ended, err = s.EndUserSessions(ctx, u, "", t0.Add(2*time.Minute), "user_disabled")
		if err != nil || !slices.Equal(ended, []string{ids[2]}) {
			t.Fatalf("EndUserSessions without exception = %v, %v", ended, err)
		}
	})

	t.Run("LastSeen", func(t *testing.T) {
		u, never := newUser(t), newUser(t)
		a, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// A half-finished sign-in is not being seen.
		if _, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: never, Stage: store.StagePassword, Via: "session", CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, a.ID, t0.Add(20*time.Minute)); err != nil {
			t.Fatal(err)
		}
		seen, err := s.LastSeen(ctx)
		if err != nil || !seen[u].Equal(t0.Add(20*time.Minute)) {
			t.Fatalf("LastSeen = %v, %v", seen[u], err)
		}
		if _, ok := seen[never]; ok {
			t.Fatal("a user who never signed in fully is listed")
		}
	})

	t.Run("DeleteBefore", func(t *testing.T) {
		u := newUser(t)
		mk := func(created, expires time.Time) store.Session {
			ses, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: created, ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
			return ses
		}
		// Far in the future, so that the other subtests' sessions are all
		// older: only this subtest's rows decide what is deleted.
		f := t0.AddDate(10, 0, 0)
		expired := mk(f, f.Add(time.Hour))
		ended := mk(f, f.Add(100*time.Hour))
		live := mk(f, f.Add(100*time.Hour))
		if _, err := s.EndSession(ctx, ended.ID, f.Add(time.Hour), "signed_out"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteSessionsBefore(ctx, f.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id   string
			kept bool
		}{{expired.ID, false}, {ended.ID, false}, {live.ID, true}} {
			_, err := s.GetSession(ctx, c.id)
			if kept := err == nil; kept != c.kept {
				t.Fatalf("session %s kept=%v, want %v (%v)", c.id, kept, c.kept, err)
			}
		}
	})

	t.Run("ConcurrentEnd", func(t *testing.T) {
		u := newUser(t)
		ses, err := s.CreateSession(ctx, store.Session{SecretHash: secret(), UserID: u, Stage: store.StageFull, Via: "session", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				ok, err := s.EndSession(ctx, ses.ID, t0.Add(time.Minute), "signed_out")
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent EndSession calls reported ending it; want exactly 1", wins)
		}
	})
}
