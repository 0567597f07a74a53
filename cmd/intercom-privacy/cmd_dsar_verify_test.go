package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// TestDsarVerify: a request left "received" (filing stopped before the
// verification was recorded) is verified and queued by `dsar verify`; a
// --verified-by holding personal data is refused; a verified request cannot be
// verified again.
func TestDsarVerify(t *testing.T) {
	cliEnv(t)
	var af appFlags
	af.databaseURL = envString("DATABASE_URL", "")
	a, err := af.open(context.Background(), "cli:test")
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.DSAR.Submit(context.Background(), dsar.Submission{Type: store.RequestAccess, Jurisdiction: deadline.GDPR,
		Channel: "email", Identifiers: dsar.Identifiers{Emails: []string{"alice@example.com"}}})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	if r.State != store.StateReceived {
		t.Fatalf("state %s", r.State)
	}
	if _, err := dsarCLI(t, "dsar", "verify", r.ID); err == nil || !strings.Contains(err.Error(), "--verified-by") {
		t.Fatalf("no --verified-by: %v", err)
	}
	_, err = dsarCLI(t, "dsar", "verify", r.ID, "--verified-by", "mail from alice@example.com")
	if err == nil || strings.Contains(err.Error(), "alice") {
		t.Fatalf("personal data in --verified-by: %v", err)
	}
	out, err := dsarCLI(t, "dsar", "verify", r.ID, "--verified-by", "photo id checked", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ ID, State string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID != r.ID || v.State != string(store.StateVerified) {
		t.Fatalf("verify --json: %v %s", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "verify", r.ID, "--verified-by", "photo id checked"); err == nil {
		t.Fatal("a verified request was verified again")
	}
}
