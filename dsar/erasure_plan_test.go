package dsar_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

func auditLen(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	for _, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func mutations(h *harness) int {
	n := 0
	for _, byID := range h.sb.Stats().Effects {
		for _, c := range byID {
			n += c
		}
	}
	return n
}

// TestErasurePlan: a dry run and the plan of a filed request say what the
// erasure would delete, keep (shared conversations) and what holds stop it,
// without changing anything in Intercom or here; the run then does exactly
// what the plan said.
func TestErasurePlan(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Erasure.DeleteConversations = true
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 2, Archived: 1, Tickets: 2, Conversations: 2, SharedConversations: 1})
	ids := personIdentifiers(p)

	before := auditLen(t, h)
	dry, err := h.app.DSAR.DryRunErasure(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := mutations(h); n != 0 {
		t.Fatalf("the dry run changed %d object(s) in Intercom", n)
	}
	if auditLen(t, h) != before {
		t.Fatal("the dry run wrote audit records")
	}
	var planned []string
	for _, c := range dry.Contacts {
		planned = append(planned, c.ID)
	}
	for _, id := range p.ContactIDs {
		if !slices.Contains(planned, id) {
			t.Errorf("contact %s not in the plan %v", id, planned)
		}
	}
	if len(dry.Tickets.Delete) != len(p.TicketIDs) || len(dry.Conversations.Kept) != 1 || dry.Conversations.Kept[0].Why != "shared_with_others" ||
		len(dry.Conversations.Delete) != len(p.ConversationIDs)-1 || dry.Suppressed == 0 || dry.NothingFound || len(dry.Holds) != 0 {
		t.Errorf("dry run %+v (person: %d tickets, %d conversations)", dry, len(p.TicketIDs), len(p.ConversationIDs))
	}

	r := file(t, h, store.RequestErasure, ids)
	hold, err := holds(h).AddHold(ctx, retention.HoldTarget{ContactID: p.LiveContactIDs[0]}, "litigation hold, case 9")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := h.app.DSAR.PlanErasure(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Holds) != 1 || plan.Holds[0].ID != hold.ID || plan.Holds[0].Reason != "litigation hold, case 9" || plan.RequestID != r.ID {
		t.Errorf("plan holds %+v", plan.Holds)
	}
	if _, err := holds(h).ReleaseHold(ctx, hold.ID, "case closed"); err != nil {
		t.Fatal(err)
	}
	if n := mutations(h); n != 0 {
		t.Fatalf("planning changed %d object(s)", n)
	}
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	st := h.sb.Stats()
	for _, id := range plan.Tickets.Delete {
		if st.Effect(sandbox.EffectTicketDeleted, id) != 1 {
			t.Errorf("planned ticket %s not deleted", id)
		}
	}
	for _, k := range plan.Conversations.Kept {
		if st.Effect(sandbox.EffectConversationDeleted, k.ID) != 0 {
			t.Errorf("kept conversation %s deleted", k.ID)
		}
	}
	if _, err := h.app.DSAR.PlanErasure(ctx, r.ID); !errors.Is(err, dsar.ErrNothingToPlan) {
		t.Errorf("plan of a completed request: %v", err)
	}
	if _, err := h.app.DSAR.PlanErasure(ctx, "req_00000000000000000000000000000000"); !errors.Is(err, dsar.ErrNotFound) {
		t.Errorf("plan of a request that does not exist: %v", err)
	}

	// Nothing found: nothing to delete, no suppression entry.
	none, err := h.app.DSAR.DryRunErasure(ctx, dsar.Identifiers{Emails: []string{"nobody@example.org"}})
	if err != nil || !none.NothingFound || len(none.Contacts) != 0 || none.Suppressed != 0 || none.Searched["email"] != 1 {
		t.Errorf("dry run for nobody: %+v %v", none, err)
	}
}
