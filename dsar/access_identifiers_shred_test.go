package dsar_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestAccessIdentifiersShreddedAfterDisputeWindow: an answered access request
// keeps the identifiers it was filed with for the dispute window (30 days by
// default), then its key is destroyed (recorded) and they become unreadable,
// unless the request is under a legal hold; its record stays.
func TestAccessIdentifiersShreddedAfterDisputeWindow(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	var offset time.Duration
	h.app.DSAR.Now = func() time.Time { return time.Now().Add(offset) }
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1})
	r := runAccess(t, h, p)
	held := runAccess(t, h, p)
	if _, err := holds(h).AddHold(ctx, retention.HoldTarget{RequestID: held.ID}, "dispute about the answer"); err != nil {
		t.Fatal(err)
	}

	offset = 29 * 24 * time.Hour
	res, err := h.app.DSAR.ShredExpiredPackages(ctx)
	if err != nil || res.AccessIdentifiersShredded != 0 {
		t.Fatalf("inside the dispute window: %+v %v", res, err)
	}
	if _, err := h.open("reader").DSAR.Identifiers(ctx, r); err != nil {
		t.Fatalf("identifiers inside the window: %v", err)
	}
	offset = 31 * 24 * time.Hour
	if res, err = h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.AccessIdentifiersShredded != 1 {
		t.Fatalf("after the dispute window: %+v %v", res, err)
	}
	if _, err := h.open("reader").DSAR.Identifiers(ctx, r); !errors.Is(err, vault.ErrShredded) {
		t.Errorf("identifiers after the window: %v, want ErrShredded", err)
	}
	if _, err := h.open("reader").DSAR.Identifiers(ctx, held); err != nil {
		t.Errorf("a held request lost its identifiers: %v", err)
	}
	if got, err := h.app.DSAR.Get(ctx, r.ID); err != nil || got.State != store.StateCompleted {
		t.Errorf("the record is gone: %v %v", got.State, err)
	}
	if res, err = h.app.DSAR.ShredExpiredPackages(ctx); err != nil || res.AccessIdentifiersShredded != 0 {
		t.Errorf("second pass: %+v %v", res, err)
	}
}
