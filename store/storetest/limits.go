package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// testLimits: processing limits are added once per (kind, ref, request), found
// by ref or subject while active, lifted per request, and kept after lifting.
func testLimits(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b, c := []byte("ref-a-0123456789"), []byte("ref-b-0123456789"), []byte("ref-c-0123456789")
	ls := []store.ProcessingLimit{
		{Kind: store.LimitRestriction, Ref: a, RefKind: "email", RequestID: "req_r1", SubjectRef: "subj1"},
		{Kind: store.LimitRestriction, Ref: b, RefKind: "contact_id", RequestID: "req_r1", SubjectRef: "subj1"},
		{Kind: store.LimitObjection, Ref: a, RefKind: "email", RequestID: "req_o1", SubjectRef: "subj1", Scope: "marketing"},
	}
	n, err := s.AddLimits(ctx, ls)
	if err != nil || n != 3 {
		t.Fatalf("AddLimits = %d, %v; want 3", n, err)
	}
	if n, err := s.AddLimits(ctx, ls); err != nil || n != 0 {
		t.Fatalf("AddLimits again = %d, %v; want 0 (a resumed step adds nothing)", n, err)
	}
	if _, err := s.AddLimits(ctx, []store.ProcessingLimit{{Kind: store.LimitRestriction, RequestID: "req_x"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a limit without a ref: %v, want ErrInvalid", err)
	}
	for _, q := range []struct {
		kind store.LimitKind
		refs [][]byte
		want bool
	}{
		{store.LimitRestriction, [][]byte{a}, true},
		{store.LimitRestriction, [][]byte{c, b}, true},
		{store.LimitRestriction, [][]byte{c}, false},
		{store.LimitRestriction, nil, false},
		{store.LimitObjection, [][]byte{b}, false},
		{store.LimitObjection, [][]byte{a}, true},
	} {
		got, err := s.Limited(ctx, q.kind, q.refs...)
		if err != nil || got != q.want {
			t.Fatalf("Limited(%s, %d refs) = %v, %v; want %v", q.kind, len(q.refs), got, err, q.want)
		}
	}
	act, err := s.ActiveLimits(ctx, "", b)
	if err != nil || len(act) != 1 || act[0].RequestID != "req_r1" || act[0].RefKind != "contact_id" || !act[0].Active() {
		t.Fatalf("ActiveLimits(b) = %+v, %v", act, err)
	}
	act, err = s.ActiveLimits(ctx, "subj1")
	if err != nil || len(act) != 3 {
		t.Fatalf("ActiveLimits(subject) = %d, %v; want 3", len(act), err)
	}
	if act, err := s.ActiveLimits(ctx, ""); err != nil || len(act) != 0 {
		t.Fatalf("ActiveLimits() = %d, %v; want none", len(act), err)
	}
	if all, err := s.ActiveLimitRefs(ctx); err != nil || len(all) != 2 {
		t.Fatalf("ActiveLimitRefs = %d refs, %v; want 2 (a and b, once each)", len(all), err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// Lifting inside a transaction, as a request's step does.
	err = s.InTx(ctx, func(tx store.Tx) error {
		n, err := tx.LiftLimits(ctx, store.LimitRestriction, "req_r1", "req_l1", at)
		if err != nil || n != 2 {
			t.Errorf("LiftLimits = %d, %v; want 2", n, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.LiftLimits(ctx, store.LimitRestriction, "req_r1", "req_l1", at); err != nil || n != 0 {
		t.Fatalf("LiftLimits again = %d, %v; want 0", n, err)
	}
	if got, err := s.Limited(ctx, store.LimitRestriction, a, b); err != nil || got {
		t.Fatalf("Limited after lifting = %v, %v; want false", got, err)
	}
	if all, err := s.ActiveLimitRefs(ctx); err != nil || len(all) != 1 || !bytes.Equal(all[0], a) {
		t.Fatalf("ActiveLimitRefs after lifting = %d refs, %v; want a (the objection)", len(all), err)
	}
	act, err = s.ActiveLimits(ctx, "subj1", a, b)
	if err != nil || len(act) != 1 || act[0].Kind != store.LimitObjection || act[0].Scope != "marketing" || !bytes.Equal(act[0].Ref, a) {
		t.Fatalf("ActiveLimits after lifting the restriction = %+v, %v", act, err)
	}
	if _, err := s.LiftLimits(ctx, store.LimitRestriction, "", "req_l1", at); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("LiftLimits without a request: %v", err)
	}
}

// testLinkedRequests: a request's payload and link are kept, and LinkedTo
// selects the requests linked to one.
func testLinkedRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	orig, err := s.CreateRequest(ctx, store.Request{Type: store.RequestRestriction, PayloadEnc: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRequest(ctx, orig.ID); err != nil || string(got.PayloadEnc) != "sealed" || got.LinkedRequestID != "" {
		t.Fatalf("GetRequest = %+v, %v", got, err)
	}
	lift, err := s.CreateRequest(ctx, store.Request{Type: store.RequestLiftRestriction, LinkedRequestID: orig.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRequest(ctx, store.Request{Type: store.RequestAccess}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListRequests(ctx, store.RequestFilter{LinkedTo: orig.ID})
	if err != nil || len(got) != 1 || got[0].ID != lift.ID || got[0].Type != store.RequestLiftRestriction {
		t.Fatalf("ListRequests(LinkedTo) = %+v, %v", got, err)
	}
	// UpdateRequest keeps the link and the payload.
	lift.State = store.StateVerified
	upd, err := s.UpdateRequest(ctx, lift, store.StateReceived)
	if err != nil || upd.LinkedRequestID != orig.ID {
		t.Fatalf("UpdateRequest = %+v, %v", upd, err)
	}
}
