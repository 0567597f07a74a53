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
