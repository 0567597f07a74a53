package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// TestDsarRightsCommands drives correct, restrict, unrestrict, object, appeal
// and decide through the command line against the sandbox.
func TestDsarRightsCommands(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 20, RateLimit: -1})
	p := sb.SamplePerson()
	// --dry-run shows the old value on the terminal and files nothing.
	out, err := dsarCLI(t, "dsar", "correct", "--email", p.Email, "--set", "name=Ann Corrected", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, p.LiveContactIDs[0]) || !strings.Contains(out, `"`+p.Name+`"`) || !strings.Contains(out, "nothing filed") {
		t.Errorf("correct --dry-run:\n%s", out)
	}
	if _, ok := sb.Workspace().Contact(p.LiveContactIDs[0]); !ok {
		t.Fatal("contact missing")
	}
	out, err = dsarCLI(t, "dsar", "correct", "--email", p.Email, "--set", "name=Ann Corrected", "--wait")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "corrected") || !strings.Contains(out, "name") || !strings.Contains(out, "completed") {
		t.Errorf("correct --wait:\n%s", out)
	}
	for _, id := range p.LiveContactIDs {
		if c, _ := sb.Workspace().Contact(id); c.Name != "Ann Corrected" {
			t.Errorf("contact %s not corrected", id)
		}
	}
	// Bad --set arguments are usage errors that never repeat the value.
	for _, bad := range [][]string{{"--set", "role=lead"}, {"--set", "email=secret-value"}, {"--set", "name=A", "--set", "name=B"}, {}} {
		args := append([]string{"dsar", "correct", "--email", p.Email}, bad...)
		_, err := dsarCLI(t, args...)
		if err == nil || exitCodeOf(err, false) != exitUsage || strings.Contains(err.Error(), "secret-value") {
			t.Errorf("%v: %v, want a usage error without the value", bad, err)
		}
	}

	out, err = dsarCLI(t, "dsar", "restrict", "--email", p.Email, "--wait", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var restr struct{ ID, State string }
	if err := json.Unmarshal([]byte(out), &restr); err != nil || restr.State != "completed" {
		t.Fatalf("restrict --wait --json: %v %q", err, out)
	}
	for _, id := range p.LiveContactIDs {
		if c, _ := sb.Workspace().Contact(id); !c.UnsubscribedFromEmails {
			t.Errorf("contact %s not unsubscribed by the restriction", id)
		}
	}
	// A later request of the person shows the restriction.
	out, err = dsarCLI(t, "dsar", "object", "--email", p.Email, "--scope", "marketing", "--wait")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "RESTRICTED") || !strings.Contains(out, restr.ID) || !strings.Contains(out, "objection") {
		t.Errorf("object --wait does not show the restriction:\n%s", out)
	}
	out, err = dsarCLI(t, "dsar", "unrestrict", restr.ID, "--wait")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "about") || !strings.Contains(out, restr.ID) || strings.Contains(out, "RESTRICTED") {
		t.Errorf("unrestrict --wait:\n%s", out)
	}

	out, err = dsarCLI(t, "dsar", "list", "--type", "restriction", "--type", "lift_restriction")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, restr.ID) || strings.Count(out, "\n") != 3 || strings.Contains(out, "correction") {
		t.Errorf("list --type restriction --type lift_restriction:\n%s", out)
	}
	if _, err := dsarCLI(t, "dsar", "list", "--type", "nonsense"); err == nil || exitCodeOf(err, false) != exitUsage {
		t.Errorf("list --type nonsense: %v", err)
	}
	// Appeals: refused under GDPR (no appeal process), filed and decided under Virginia.
	out, err = dsarCLI(t, "dsar", "access", "--email", p.Email, "--jurisdiction", "us_va", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var acc struct{ ID string }
	if err := json.Unmarshal([]byte(out), &acc); err != nil {
		t.Fatal(err)
	}
	if _, err := dsarCLI(t, "dsar", "deny", acc.ID, "--reason", "identity not verified"); err != nil {
		t.Fatal(err)
	}
	if _, err := dsarCLI(t, "dsar", "appeal", restr.ID); err == nil || !strings.Contains(err.Error(), "appeal") {
		t.Errorf("a GDPR appeal: %v", err)
	}
	out, err = dsarCLI(t, "dsar", "appeal", acc.ID, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ap struct{ ID, Type string }
	if err := json.Unmarshal([]byte(out), &ap); err != nil || ap.Type != "appeal" {
		t.Fatalf("appeal --json: %v %q", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "decide", ap.ID, "--reason", "x"); err == nil {
		t.Error("decide without --uphold or --reverse")
	}
	if _, err := dsarCLI(t, "dsar", "decide", ap.ID, "--uphold", "--reason", "identity still not verified"); err != nil {
		t.Fatal(err)
	}
	out, err = dsarCLI(t, "dsar", "show", ap.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "upheld") || !strings.Contains(out, "Attorney General") {
		t.Errorf("show of a decided appeal:\n%s", out)
	}
}
