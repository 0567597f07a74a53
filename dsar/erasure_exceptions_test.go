package dsar_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// keptRecords returns the object ids of the request's erasure.kept audit records.
func keptRecords(t *testing.T, h *harness, requestID string) []string {
	t.Helper()
	var ids []string
	for rec, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Action == string(audit.ActionErasureKept) && rec.RequestID == requestID {
			d, err := audit.DecodeBody(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ObjectIDs...)
		}
	}
	return ids
}

func keptOf(o dsar.Outcome, kind, id string) (dsar.KeptObject, bool) {
	for _, k := range o.Kept {
		if k.Object == kind && k.ID == id {
			return k, true
		}
	}
	return dsar.KeptObject{}, false
}

// TestErasureKeepsHeldTicket: a legal hold on one ticket (a dispute) keeps
// that ticket, and the contact Intercom would delete it with, while the rest is
// erased: the other tickets and the person's conversations are deleted, the
// plan said so beforehand, the outcome tells the basis under the request's law,
// and the audit trail names the kept objects with their basis. Both backends.
func TestErasureKeepsHeldTicket(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 3, Conversations: 2})
			held := p.TicketIDs[1]
			hold, err := holds(h).AddHold(ctx, retention.HoldTarget{TicketID: held, Basis: "legal_claims"}, "billing dispute, case 2026-17")
			if err != nil {
				t.Fatal(err)
			}
			r := file(t, h, store.RequestErasure, personIdentifiers(p))
			plan, err := h.app.DSAR.PlanErasure(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(plan.Tickets.Delete, held) || len(plan.Tickets.Delete) != 2 {
				t.Fatalf("plan deletes tickets %v (held %s)", plan.Tickets.Delete, held)
			}
			if i := slices.IndexFunc(plan.Tickets.Kept, func(k dsar.KeptObject) bool { return k.ID == held }); i < 0 ||
				plan.Tickets.Kept[i].Why != dsar.WhyLegalHold || plan.Tickets.Kept[i].Hold != hold.ID || plan.Tickets.Kept[i].Basis != "legal_claims" {
				t.Fatalf("plan keeps %+v", plan.Tickets.Kept)
			}
			if len(plan.Contacts) != 1 || plan.Contacts[0].Kept == nil || plan.Contacts[0].Kept.For != "ticket:"+held {
				t.Fatalf("plan of contacts %+v: the contact Intercom would delete the ticket with is not kept", plan.Contacts)
			}
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			ws := h.sb.Workspace()
			if _, ok := ws.Ticket(held); !ok {
				t.Fatal("the held ticket was deleted")
			}
			for _, id := range p.TicketIDs {
				if _, ok := ws.Ticket(id); ok != (id == held) {
					t.Errorf("ticket %s present=%v", id, ok)
				}
			}
			for _, id := range p.ConversationIDs {
				if _, ok := ws.Conversation(id); ok {
					t.Errorf("conversation %s of the kept contact was not deleted", id)
				}
			}
			if _, ok := ws.Contact(p.LiveContactIDs[0]); !ok {
				t.Fatal("the contact of the held ticket was deleted (and the ticket with it)")
			}
			if n := h.sb.Stats().Effects[sandbox.EffectTicketDeleted][held]; n != 0 {
				t.Fatalf("DELETE sent for the held ticket %d time(s)", n)
			}
			got, err := h.app.DSAR.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != store.StateCompleted {
				t.Fatalf("state %s", got.State)
			}
			o := outcome(t, got)
			k, ok := keptOf(o, store.ObjectTicket, held)
			if !ok || k.Basis != "legal_claims" || k.Citation != "GDPR Art. 17(3)(e)" || !strings.Contains(k.Text, "legal claims") {
				t.Fatalf("outcome kept %+v", o.Kept)
			}
			if c, ok := keptOf(o, store.ObjectContact, p.LiveContactIDs[0]); !ok || c.Why != dsar.WhyKeepsObject {
				t.Fatalf("outcome does not say the contact is kept for the ticket: %+v", o.Kept)
			}
			ids := keptRecords(t, h, r.ID)
			if !slices.Contains(ids, "ticket:"+held) || !slices.Contains(ids, "contact:"+p.LiveContactIDs[0]) {
				t.Fatalf("erasure.kept records %v", ids)
			}
		})
	}
}

// TestErasureExceptionPerLaw: a configured exception (every ticket of the
// type "Support request", complete_transaction, 2 years) keeps the tickets
// under the CCPA, which knows the basis, recorded as object holds of the
// request with their rule and end; under the GDPR, which has no such
// exception, the tickets are erased.
func TestErasureExceptionPerLaw(t *testing.T) {
	for _, law := range []deadline.Jurisdiction{deadline.CCPA, deadline.GDPR} {
		t.Run(string(law), func(t *testing.T) {
			h := newHarness(t, storetest.SQLite(), sandbox.Options{})
			ctx := context.Background()
			h.app.Config.Erasure.Exceptions = []config.Exception{{Name: "open-orders", Objects: "ticket",
				TicketTypes: []string{"support request"}, Basis: "complete_transaction", KeepFor: "2y"}}
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
			r, err := h.app.DSAR.Submit(ctx, dsar.Submission{Type: store.RequestErasure, Jurisdiction: law, Channel: "email", Identifiers: personIdentifiers(p)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.app.DSAR.Verify(ctx, r.ID, "email_reply"); err != nil {
				t.Fatal(err)
			}
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			got, err := h.app.DSAR.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			o := outcome(t, got)
			recorded, err := h.app.Store.ObjectHoldsByRequest(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			ws := h.sb.Workspace()
			for _, id := range p.TicketIDs {
				_, present := ws.Ticket(id)
				k, kept := keptOf(o, store.ObjectTicket, id)
				if law == deadline.GDPR {
					if present || kept {
						t.Errorf("GDPR: ticket %s kept under a basis the law does not know", id)
					}
					continue
				}
				if !present || !kept || k.Why != dsar.WhyException || k.Rule != "open-orders" || k.Citation != "Cal. Civ. Code §1798.105(d)(1)" || k.KeepUntil.IsZero() {
					t.Errorf("CCPA: ticket %s present=%v kept=%+v", id, present, k)
				}
				if !slices.ContainsFunc(recorded, func(oh store.ObjectHold) bool {
					return oh.ObjectID == id && oh.Rule == "open-orders" && oh.Basis == "complete_transaction" && oh.KeepUntil.Equal(k.KeepUntil)
				}) {
					t.Errorf("CCPA: exception on ticket %s not recorded: %+v", id, recorded)
				}
			}
			if law == deadline.GDPR && len(recorded) != 0 {
				t.Errorf("GDPR: exceptions recorded %+v", recorded)
			}
		})
	}
}

// TestErasureHoldPlacedWhileRunning: a hold placed on a conversation after the
// erasure started keeps it: the conversations step, which runs later, reads
// the holds again.
func TestErasureHoldPlacedWhileRunning(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Erasure.DeleteConversations = true
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 1, Conversations: 2})
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	held := p.ConversationIDs[0]
	var placed bool
	err := h.app.DSAR.RunWith(ctx, r.ID, dsar.RunOptions{Progress: func(pr dsar.Progress) {
		if pr.Step == dsar.StepDeleteTickets && pr.State == "done" && !placed {
			placed = true
			if _, err := holds(h).AddHold(ctx, retention.HoldTarget{ConversationID: held, Basis: "security_incident"}, "fraud investigation 7"); err != nil {
				t.Error(err)
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !placed {
		t.Fatal("the hold was never placed")
	}
	ws := h.sb.Workspace()
	if _, ok := ws.Conversation(held); !ok {
		t.Fatal("the conversation held while the erasure ran was deleted")
	}
	if _, ok := ws.Conversation(p.ConversationIDs[1]); ok {
		t.Fatal("the other conversation was kept")
	}
	if n := h.sb.Stats().Effects[sandbox.EffectPartRedacted]; len(n) != 0 {
		t.Fatalf("parts redacted in a held conversation: %v", n)
	}
}

// TestKeptObjectsErasedWhenReleased: what an erasure kept under a hold is
// deleted by EraseReleased once the hold is released, the ticket before the
// contact kept for it, each once and audited; while the hold lives nothing is
// sent, and the request record is not prunable.
func TestKeptObjectsErasedWhenReleased(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b, sandbox.Options{})
			ctx := context.Background()
			p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
			held := p.TicketIDs[0]
			hold, err := holds(h).AddHold(ctx, retention.HoldTarget{TicketID: held, Basis: "legal_claims"}, "billing dispute, case 9")
			if err != nil {
				t.Fatal(err)
			}
			r := file(t, h, store.RequestErasure, personIdentifiers(p))
			if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			sweep, err := h.app.DSAR.EraseReleased(ctx)
			if err != nil || sweep.Erased != 0 || sweep.Still != 2 {
				t.Fatalf("sweep under the hold: %+v, %v", sweep, err)
			}
			far := time.Now().AddDate(10, 0, 0)
			if pr, err := h.app.Store.PrunableRequests(ctx, far, 10); err != nil || len(pr) != 0 {
				t.Fatalf("a request with kept objects is prunable: %v, %v", pr, err)
			}
			if _, err := holds(h).ReleaseHold(ctx, hold.ID, "dispute settled"); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := h.app.DSAR.EraseReleased(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ws := h.sb.Workspace()
			if _, ok := ws.Ticket(held); ok {
				t.Fatal("the released ticket is still there")
			}
			if _, ok := ws.Contact(p.LiveContactIDs[0]); ok {
				t.Fatal("the contact kept for the ticket is still there")
			}
			st := h.sb.Stats()
			if st.Effects[sandbox.EffectTicketDeleted][held] != 1 || st.Effects[sandbox.EffectContactDeleted][p.LiveContactIDs[0]] != 1 {
				t.Fatalf("deletes: ticket %d, contact %d", st.Effects[sandbox.EffectTicketDeleted][held], st.Effects[sandbox.EffectContactDeleted][p.LiveContactIDs[0]])
			}
			n := 0
			for rec, err := range h.app.Store.Records(ctx, 1) {
				if err != nil {
					t.Fatal(err)
				}
				if rec.Action == string(audit.ActionErasureIntercomDeleted) && rec.RequestID == r.ID && strings.Contains(string(rec.Body), "no hold or exception kept it") {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("%d deferred deletion record(s), want 2", n)
			}
			if pr, err := h.app.Store.PrunableRequests(ctx, far, 10); err != nil || len(pr) != 1 {
				t.Fatalf("the request is not prunable once its kept objects are erased: %v, %v", pr, err)
			}
		})
	}
}

// TestErasureKeepsHeldContactOnly: a hold with a basis on one of the person's
// contacts keeps that contact and erases the other (a hold without a basis on
// the person stops the whole erasure, TestErasureStoppedByLegalHold).
func TestErasureKeepsHeldContactOnly(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 2})
	keep, gone := p.LiveContactIDs[0], p.LiveContactIDs[1]
	if _, err := holds(h).AddHold(ctx, retention.HoldTarget{KeepContactID: keep, Basis: "security_incident"}, "fraud investigation 4"); err != nil {
		t.Fatal(err)
	}
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	ws := h.sb.Workspace()
	if _, ok := ws.Contact(keep); !ok {
		t.Fatal("the held contact was deleted")
	}
	if _, ok := ws.Contact(gone); ok {
		t.Fatal("the other contact was kept")
	}
	got, _ := h.app.DSAR.Get(ctx, r.ID)
	if k, ok := keptOf(outcome(t, got), store.ObjectContact, keep); !ok || k.Why != dsar.WhyLegalHold || k.Basis != "security_incident" {
		t.Fatalf("outcome kept %+v", outcome(t, got).Kept)
	}
}

// TestKeptErasureUnderFaults: with 5xx, dropped connections and 429s, an
// erasure that keeps a held ticket (and its contact, whose conversations it
// deletes explicitly) and the later erasure of what it kept complete with
// every DELETE's effect happening once, and the held ticket untouched until
// the hold is released.
func TestKeptErasureUnderFaults(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{
		ErrorRate: 0.1, DropRate: 0.1, Burst429: sandbox.Burst{Every: 11, Length: 2}, RateLimit: 500, Window: time.Second, Seed: 11,
	})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 2, Tickets: 3, Conversations: 3})
	held := p.TicketIDs[2]
	hold, err := holds(h).AddHold(ctx, retention.HoldTarget{TicketID: held, Basis: "legal_claims"}, "chargeback 31")
	if err != nil {
		t.Fatal(err)
	}
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	runUntilDone(t, h.app.DSAR, r.ID, 60)
	ws := h.sb.Workspace()
	if _, ok := ws.Ticket(held); !ok {
		t.Fatal("the held ticket was deleted")
	}
	for _, id := range p.ConversationIDs {
		if _, ok := ws.Conversation(id); ok {
			t.Errorf("conversation %s left", id)
		}
	}
	if _, err := holds(h).ReleaseHold(ctx, hold.ID, "settled"); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if i == 60 {
			t.Fatal("kept objects not erased after 60 sweeps")
		}
		if res, err := h.app.DSAR.EraseReleased(ctx); err == nil && res.Still == 0 {
			break
		}
	}
	for _, id := range p.TicketIDs {
		if _, ok := ws.Ticket(id); ok {
			t.Errorf("ticket %s left", id)
		}
	}
	for _, id := range p.LiveContactIDs {
		if _, ok := ws.Contact(id); ok {
			t.Errorf("contact %s left", id)
		}
	}
	st := h.sb.Stats()
	for _, e := range []sandbox.Effect{sandbox.EffectContactDeleted, sandbox.EffectTicketDeleted, sandbox.EffectConversationDeleted} {
		if rep := st.Repeated(e); len(rep) > 0 {
			t.Errorf("%s repeated: %v", e, rep)
		}
	}
}

// TestDryRunUnderTheLaw: the dry run applies the exceptions of the law it is
// asked about: a complete_transaction exception keeps the tickets under the
// CCPA, not under the GDPR.
func TestDryRunUnderTheLaw(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Erasure.Exceptions = []config.Exception{{Name: "orders", Objects: "ticket", Basis: "complete_transaction", KeepFor: "1y"}}
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
	for law, kept := range map[deadline.Jurisdiction]int{deadline.GDPR: 0, deadline.CCPA: 2} {
		plan, err := h.app.DSAR.DryRunErasureUnder(ctx, law, personIdentifiers(p))
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Tickets.Kept) != kept || len(plan.Tickets.Delete) != 2-kept {
			t.Errorf("%s: kept %d, delete %d", law, len(plan.Tickets.Kept), len(plan.Tickets.Delete))
		}
	}
}

// TestPausedHoldTellsBasis: a hold with a basis on the person stops the
// erasure, and the pause gives that basis as the person is told it under the
// request's law.
func TestPausedHoldTellsBasis(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 1})
	hold, err := holds(h).AddHold(ctx, retention.HoldTarget{ContactID: p.LiveContactIDs[0], Basis: "legal_claims"}, "litigation hold, case 5")
	if err != nil {
		t.Fatal(err)
	}
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); !errors.Is(err, dsar.ErrHeld) || !strings.Contains(err.Error(), "basis legal_claims") {
		t.Fatalf("run: %v", err)
	}
	pause, ok, err := h.app.DSAR.Paused(ctx, r.ID)
	if err != nil || !ok || len(pause.Holds) != 1 {
		t.Fatalf("paused: %+v %v %v", pause, ok, err)
	}
	ph := pause.Holds[0]
	if ph.ID != hold.ID || ph.Basis != "legal_claims" || ph.Citation != "GDPR Art. 17(3)(e)" || !strings.Contains(ph.Text, "legal claims") {
		t.Fatalf("paused hold %+v", ph)
	}
	if deletes(h) != 0 {
		t.Fatal("something was deleted under the hold")
	}
}

func TestPauseFixOfLegalHold(t *testing.T) {
	fix := dsar.Pause{Reason: dsar.PauseLegalHold, Holds: []dsar.PausedHold{{ID: "hold_1"}}}.Fix()
	if !strings.Contains(fix, "hold_1") || !strings.Contains(fix, "retention hold release") || strings.Contains(fix, "token") {
		t.Fatalf("fix %q", fix)
	}
}

// TestSharedKeptObjectNotDeletedLater: a held conversation that other people
// take part in is kept, and when the hold ends it is released, never deleted
// (it holds their data too).
func TestSharedKeptObjectNotDeletedLater(t *testing.T) {
	h := newHarness(t, storetest.SQLite(), sandbox.Options{})
	ctx := context.Background()
	h.app.Config.Erasure.DeleteConversations = true
	p := h.sb.AddPerson(sandbox.PersonSpec{Users: 1, SharedConversations: 1})
	dry, err := h.app.DSAR.DryRunErasure(ctx, personIdentifiers(p))
	if err != nil || len(dry.Conversations.Kept) != 1 || dry.Conversations.Kept[0].Why != dsar.WhyShared {
		t.Fatalf("dry run: %+v, %v", dry.Conversations, err)
	}
	shared := dry.Conversations.Kept[0].ID
	hold, err := holds(h).AddHold(ctx, retention.HoldTarget{ConversationID: shared, Basis: "legal_claims"}, "dispute 8")
	if err != nil {
		t.Fatal(err)
	}
	r := file(t, h, store.RequestErasure, personIdentifiers(p))
	if err := h.app.DSAR.Run(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := h.app.DSAR.Get(ctx, r.ID)
	if k, ok := keptOf(outcome(t, got), store.ObjectConversation, shared); !ok || !k.Shared || k.Why != dsar.WhyLegalHold {
		t.Fatalf("outcome kept %+v", outcome(t, got).Kept)
	}
	if _, err := holds(h).ReleaseHold(ctx, hold.ID, "settled"); err != nil {
		t.Fatal(err)
	}
	res, err := h.app.DSAR.EraseReleased(ctx)
	if err != nil || res.Released != 1 {
		t.Fatalf("sweep %+v, %v", res, err)
	}
	if _, ok := h.sb.Workspace().Conversation(shared); !ok {
		t.Fatal("a shared conversation was deleted when its hold ended")
	}
	if n := h.sb.Stats().Effects[sandbox.EffectConversationDeleted][shared]; n != 0 {
		t.Fatalf("DELETE sent %d time(s) for a shared conversation", n)
	}
}
