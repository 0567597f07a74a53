package dsar_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func holds(h *harness) *retention.Runner {
	return &retention.Runner{Store: h.app.Store, Chain: h.app.Chain, Vault: h.app.Vault, Actor: "test"}
}

func deletes(h *harness) int {
	st := h.sb.Stats()
	n := 0
	for _, e := range []sandbox.Effect{sandbox.EffectContactDeleted, sandbox.EffectTicketDeleted, sandbox.EffectConversationDeleted} {
		for _, c := range st.Effects[e] {
			n += c
		}
	}
	return n
}

// TestErasureStoppedByLegalHold: a hold on one of the person's contacts, or on
// the request, stops the erasure before any DELETE, with the hold's reason shown;
// the request is paused once (audited) and resumes when the hold is released.
func TestErasureStoppedByLegalHold(t *testing.T) {
	for _, on := range []string{"contact", "cached_contact", "request"} {
		t.Run(on, func(t *testing.T) {
			h := newHarness(t, storetest.SQLite(), sandbox.Options{})
			ctx := context.Background()
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 2, Tickets: 2, Conversations: 1})
			if on == "cached_contact" {
				seedCache(t, h, p)
			}
			r := file(t, h, store.RequestErasure, personIdentifiers(p))
			target := retention.HoldTarget{ContactID: p.LiveContactIDs[len(p.LiveContactIDs)-1]}
			if on == "request" {
				target = retention.HoldTarget{RequestID: r.ID}
			}
			hold, err := holds(h).AddHold(ctx, target, "litigation hold, case 2026-17")
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				err = h.app.DSAR.Run(ctx, r.ID)
				var paused *dsar.PausedError
				if !errors.As(err, &paused) || paused.Reason != dsar.PauseLegalHold || !errors.Is(err, dsar.ErrHeld) {
					t.Fatalf("run under a hold: %v", err)
				}
				if !strings.Contains(err.Error(), hold.ID) || !strings.Contains(err.Error(), "litigation hold, case 2026-17") {
					t.Errorf("the operator is not shown the hold: %v", err)
				}
			}
			if n := deletes(h); n != 0 {
				t.Fatalf("%d DELETE(s) sent under a legal hold", n)
			}
			for _, id := range p.LiveContactIDs {
				if _, ok := h.sb.Workspace().Contact(id); !ok {
					t.Fatalf("contact %s gone under a hold", id)
				}
			}
			paused := 0
			for rec, err := range h.app.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == string(audit.ActionRequestPaused) && rec.RequestID == r.ID {
					paused++
					if !strings.Contains(string(rec.Body), hold.ID) {
						t.Error("the pause record does not name the hold")
					}
				}
			}
			if paused != 1 {
				t.Errorf("%d pause records, want 1", paused)
			}
			if _, err := holds(h).ReleaseHold(ctx, hold.ID, "case closed"); err != nil {
				t.Fatal(err)
			}
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			r, _ = h.app.DSAR.Get(ctx, r.ID)
			if r.State != store.StateCompleted {
				t.Fatalf("after release: %s", r.State)
			}
			for _, id := range p.LiveContactIDs {
				if _, ok := h.sb.Workspace().Contact(id); ok {
					t.Errorf("contact %s not erased after the release", id)
				}
			}
		})
	}
}

// TestHoldAddedDuringErasure: a hold placed while the erasure runs stops it at
// its next step; what was done stays done and nothing more is deleted.
func TestHoldAddedDuringErasure(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	var hold retention.Hold
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteTickets && pr.State == "done" && hold.ID == "" {
			var err error
			if hold, err = holds(h).AddHold(ctx, retention.HoldTarget{ContactID: p.LiveContactIDs[0]}, "dispute opened meanwhile"); err != nil {
				t.Error(err)
			}
		}
	}})
	if !errors.Is(err, dsar.ErrHeld) {
		t.Fatalf("run: %v", err)
	}
	st := h.sb.Stats()
	if len(st.Effects[sandbox.EffectTicketDeleted]) != len(p.TicketIDs) || len(st.Effects[sandbox.EffectContactDeleted]) != 0 {
		t.Fatalf("tickets deleted %d of %d, contacts deleted %d", len(st.Effects[sandbox.EffectTicketDeleted]), len(p.TicketIDs), len(st.Effects[sandbox.EffectContactDeleted]))
	}
	steps, _ := h.app.Store.Steps(ctx, r.ID)
	for _, s := range steps {
		if s.Name == dsar.StepDeleteContacts {
			t.Errorf("the contacts step started under the hold: %s", s.State)
		}
	}
}
