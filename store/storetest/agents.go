package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

func testAgentPermissions(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	p, err := s.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_a", MediaType: "application/pdf", Size: 42,
		DocumentEnc: []byte("doc"), AgentEnc: []byte("agent"), CreatedAt: now})
	if err != nil || p.ID == "" || p.State != store.AgentPending || p.RequestID != "" || !p.CreatedAt.Equal(now) {
		t.Fatalf("create: %+v, %v", p, err)
	}
	if _, err := s.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_a", MediaType: "image/png", Size: 1,
		DocumentEnc: []byte("x"), AgentEnc: []byte("y")}); err == nil {
		t.Fatal("a second permission for one intake")
	}
	if _, err := s.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_b"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete: %v", err)
	}
	if _, err := s.AgentPermissionByRequest(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("by empty request: %v", err)
	}
	got, err := s.AgentPermissionByIntake(ctx, "int_a")
	if err != nil || got.ID != p.ID || !bytes.Equal(got.DocumentEnc, []byte("doc")) || got.Size != 42 || got.MediaType != "application/pdf" {
		t.Fatalf("by intake: %+v, %v", got, err)
	}
	filed := got
	filed.RequestID, filed.DocumentEnc, filed.AgentEnc = "req_1", []byte("doc2"), []byte("agent2")
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateAgentPermission(ctx, filed, store.AgentPending) }); err != nil {
		t.Fatal(err)
	}
	decided := filed
	decided.State, decided.DecidedBy, decided.DecidedAt = store.AgentAccepted, "usr_1", now
	if err := s.UpdateAgentPermission(ctx, decided, store.AgentPending); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAgentPermission(ctx, decided, store.AgentPending); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("decided twice: %v", err)
	}
	if err := s.UpdateAgentPermission(ctx, store.AgentPermission{ID: "agp_missing"}, store.AgentPending); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	got, err = s.AgentPermissionByRequest(ctx, "req_1")
	if err != nil || got.State != store.AgentAccepted || got.DecidedBy != "usr_1" || !got.DecidedAt.Equal(now) || !bytes.Equal(got.AgentEnc, []byte("agent2")) {
		t.Fatalf("by request: %+v, %v", got, err)
	}
	// An intake's permission goes with it when it expires; a filed one stays.
	if _, err := s.CreateAgentPermission(ctx, store.AgentPermission{IntakeID: "int_c", MediaType: "image/jpeg", Size: 3,
		DocumentEnc: []byte("d"), AgentEnc: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"int_c", "int_a"} {
		if err := s.DeleteAgentPermissionOfIntake(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AgentPermissionByIntake(ctx, "int_c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.AgentPermissionByIntake(ctx, "int_a"); err != nil {
		t.Fatalf("a filed permission was deleted: %v", err)
	}
}

func testStepUps(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a, err := s.CreateStepUp(ctx, store.StepUp{RequestID: "req_1", TokenHash: []byte("t1"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil || a.State != store.StepUpOpen || a.ID == "" || !a.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("create: %+v, %v", a, err)
	}
	if _, err := s.CreateStepUp(ctx, store.StepUp{RequestID: "req_2", TokenHash: []byte("t1"), ExpiresAt: now}); err == nil {
		t.Fatal("a second step-up with one token")
	}
	if _, err := s.CreateStepUp(ctx, store.StepUp{RequestID: "req_2"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("incomplete: %v", err)
	}
	if _, err := s.CreateStepUp(ctx, store.StepUp{RequestID: "req_2", TokenHash: []byte("t2"), CreatedAt: now, ExpiresAt: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OpenStepUp(ctx, "req_1", now); err != nil || got.ID != a.ID {
		t.Fatalf("open: %+v, %v", got, err)
	}
	if _, err := s.OpenStepUp(ctx, "req_2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired offer is open: %v", err)
	}
	got, err := s.StepUpByToken(ctx, []byte("t1"))
	if err != nil || got.ID != a.ID {
		t.Fatalf("by token: %+v, %v", got, err)
	}
	wrong := got
	wrong.Attempts = 1
	if err := s.UpdateStepUp(ctx, wrong, got); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateStepUp(ctx, wrong, got); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale: %v", err)
	}
	done := wrong
	done.State, done.Method, done.DeclaredAt, done.SettledAt = store.StepUpRaised, "phone", now, now
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateStepUp(ctx, done, wrong) }); err != nil {
		t.Fatal(err)
	}
	got, err = s.StepUpByToken(ctx, []byte("t1"))
	if err != nil || got.State != store.StepUpRaised || got.Method != "phone" || !got.DeclaredAt.Equal(now) || got.Attempts != 1 {
		t.Fatalf("after raise: %+v, %v", got, err)
	}
	if _, err := s.OpenStepUp(ctx, "req_1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a settled offer is open: %v", err)
	}
	if err := s.UpdateStepUp(ctx, store.StepUp{ID: "stu_missing"}, store.StepUp{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
