package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

func TestDsarDryRunAndPlan(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 10, RateLimit: -1})
	p := sb.SamplePerson()
	out, err := dsarCLI(t, "dsar", "erase", "--email", p.Email, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "dry run: nothing was filed") || !strings.Contains(out, "Intercom contacts to delete:") {
		t.Fatalf("dry run output: %s", out)
	}
	if strings.Contains(out, p.Email) {
		t.Error("the dry run prints the person's email")
	}
	if n := sb.Stats().Endpoints["DELETE /contacts/{id}"].Calls; n != 0 {
		t.Fatalf("the dry run sent %d DELETE(s)", n)
	}
	if list, _ := dsarCLI(t, "dsar", "list", "--json"); strings.Contains(list, "req_") {
		t.Fatalf("the dry run filed a request: %s", list)
	}
	out, err = dsarCLI(t, "dsar", "erase", "--email", p.Email, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ ID string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ID == "" {
		t.Fatalf("%v %s", err, out)
	}
	out, err = dsarCLI(t, "dsar", "plan", r.ID)
	if err != nil || !strings.Contains(out, "plan of "+r.ID) || !strings.Contains(out, "suppression entries to add") {
		t.Fatalf("plan: %v %s", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "plan", "req_00000000000000000000000000000000"); err == nil {
		t.Error("plan of a request that does not exist")
	}
}

// TestDryRunShowsHeldTicket: a hold on one ticket placed from the command line
// shows in the dry run as kept, with its basis and provision, and the contact
// Intercom would delete it with as kept too.
func TestDryRunShowsHeldTicket(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 10, RateLimit: -1})
	p := sb.AddPerson(sandbox.PersonSpec{Users: 1, Tickets: 2})
	if _, err := dsarCLI(t, "retention", "hold", "add", "--ticket-id", p.TicketIDs[0], "--reason", "x"); err == nil {
		t.Fatal("a hold on a ticket without a basis")
	}
	if _, err := dsarCLI(t, "retention", "hold", "add", "--ticket-id", p.TicketIDs[0], "--basis", "because", "--reason", "x"); err == nil ||
		!strings.Contains(err.Error(), "legal_claims") {
		t.Fatalf("an unknown basis: %v", err)
	}
	out, err := dsarCLI(t, "retention", "hold", "add", "--ticket-id", p.TicketIDs[0], "--basis", "legal_claims", "--reason", "billing dispute, case 17")
	if err != nil || !strings.Contains(out, "placed on a ticket") {
		t.Fatalf("hold add: %v %s", err, out)
	}
	if list, err := dsarCLI(t, "retention", "hold", "list"); err != nil || !strings.Contains(list, p.TicketIDs[0]) || !strings.Contains(list, "legal_claims") {
		t.Fatalf("hold list: %v %s", err, list)
	}
	out, err = dsarCLI(t, "dsar", "erase", "--email", p.Email, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kept " + p.TicketIDs[0] + ": legal hold, basis legal_claims (GDPR Art. 17(3)(e))",
		"contact " + p.LiveContactIDs[0] + " active: KEPT, keeps kept object", "Intercom contacts to delete: 0 (of 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
}
