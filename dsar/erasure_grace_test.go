package dsar_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestErasureGrace: with erasure.grace, a filed erasure is not started before
// the waiting period ends (nothing is sent to Intercom), can be cancelled
// meanwhile, and runs once the period is over. The service's clock is moved,
// nothing sleeps.
func TestErasureGrace(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Erasure.Grace = 24 * time.Hour
	var offset time.Duration
	h.app.DSAR.Now = func() time.Time { return time.Now().Add(offset) }
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 1})
	calls := func() int { return h.sb.Stats().Total(func(e sandbox.EndpointStats) int { return e.Calls }) }

	cancelled := file(t, h, store.RequestErasure, personIdentifiers(p))
	err := h.app.DSAR.Run(ctx, cancelled.ID)
	var grace *dsar.GraceError
	if !errors.As(err, &grace) || !errors.Is(err, dsar.ErrInGrace) || grace.Until.Sub(cancelled.CreatedAt) != 24*time.Hour {
		t.Fatalf("run in the waiting period: %v", err)
	}
	if n := calls(); n != 0 {
		t.Fatalf("%d request(s) sent to Intercom in the waiting period", n)
	}
	if _, err := h.app.DSAR.Cancel(ctx, cancelled.ID); err != nil {
		t.Fatalf("cancel in the waiting period: %v", err)
	}
	offset = 25 * time.Hour
	if err := h.app.DSAR.Run(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	if n := calls(); n != 0 {
		t.Fatalf("a cancelled erasure sent %d request(s)", n)
	}

	offset = 0
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); !errors.Is(err, dsar.ErrInGrace) {
		t.Fatalf("run in the waiting period: %v", err)
	}
	offset = 24*time.Hour + time.Minute
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = h.app.DSAR.Get(ctx, r.ID)
	if r.State != store.StateCompleted {
		t.Fatalf("after the waiting period: %s", r.State)
	}
	if _, ok := h.sb.Workspace().Contact(p.LiveContactIDs[0]); ok {
		t.Error("contact not erased after the waiting period")
	}
	// Access requests have no waiting period.
	offset = 0
	a := file(t, h, store.RequestAccess, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, a.ID); errors.Is(err, dsar.ErrInGrace) {
		t.Fatal("an access request waited")
	}
}
