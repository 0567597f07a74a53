package api_test

import (
	"context"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// TestObjectHoldAndPlan: a hold on one ticket placed through the API shows in
// the erasure's plan as kept with its basis, and the contact Intercom would
// delete it with too; a hold on a ticket without a basis is refused. Every
// exchange is checked against the OpenAPI document.
func TestObjectHoldAndPlan(t *testing.T) {
	b := setup(t, storetest.SQLite())
	p := b.ws.Sandbox.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
	b.problem(b.call(officer, "POST", "/api/v1/retention/holds", map[string]string{"ticket_id": p.TicketIDs[0], "reason": "dispute 4"}), 422, "invalid")
	r := b.call(officer, "POST", "/api/v1/retention/holds", map[string]string{"ticket_id": p.TicketIDs[0], "basis": "legal_claims", "reason": "dispute 4"})
	var hold retention.Hold
	r.decode(t, &hold)
	if r.status != 201 || hold.Kind != store.ObjectTicket || hold.ObjectID != p.TicketIDs[0] || hold.Basis != "legal_claims" {
		t.Fatalf("hold: %d %s", r.status, r.body)
	}
	req, _, err := b.app.DSAR.File(context.Background(), dsar.Filing{Submission: dsar.Submission{Type: store.RequestErasure,
		Identifiers: dsar.Identifiers{Emails: []string{p.Email}}}, VerifiedBy: "operator", New: true})
	if err != nil {
		t.Fatal(err)
	}
	var plan dsar.ErasurePlan
	r = b.call(agent, "GET", "/api/v1/requests/"+req.ID+"/plan", nil)
	r.decode(t, &plan)
	if r.status != 200 || len(plan.Tickets.Kept) != 1 || plan.Tickets.Kept[0].ID != p.TicketIDs[0] || plan.Tickets.Kept[0].Basis != "legal_claims" ||
		len(plan.Contacts) != 1 || plan.Contacts[0].Kept == nil {
		t.Fatalf("plan: %d %s", r.status, r.body)
	}
	if n := len(b.ws.Sandbox.Stats().Effects[sandbox.EffectTicketDeleted]); n != 0 {
		t.Fatalf("the plan deleted %d ticket(s)", n)
	}
	var list struct{ Holds []retention.Hold }
	b.call(auditor, "GET", "/api/v1/retention", nil).decode(t, &list)
	if len(list.Holds) != 1 || list.Holds[0].Kind != store.ObjectTicket {
		t.Fatalf("holds listed %+v", list.Holds)
	}
}
