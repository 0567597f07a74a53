package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/redactlog"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// listRequests returns the requests `dsar list --json` prints.
func listRequests(t *testing.T) []struct{ ID, State, Type string } {
	t.Helper()
	out, err := dsarCLI(t, "dsar", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rs []struct{ ID, State, Type string }
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("dsar list --json: %v\n%s", err, out)
	}
	return rs
}

// TestFilingAgainAttaches: running the same `dsar access` again (after Ctrl-C or
// a crash) used to file a second request; it attaches to the open one of the same
// person and type. Other identifiers for the same person are refused unless
// --new, which files a separate request.
func TestFilingAgainAttaches(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 10, RateLimit: -1})
	p := sb.SamplePerson()
	first, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	again, err := dsarCLI(t, "dsar", "access", "--email", strings.ToUpper(p.Email), "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	var a, b struct{ ID string }
	_ = json.Unmarshal([]byte(first), &a)
	_ = json.Unmarshal([]byte(again), &b)
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("running the command again filed %q beside %q", b.ID, a.ID)
	}
	if n := len(listRequests(t)); n != 1 {
		t.Fatalf("%d requests after filing the same one twice, want 1", n)
	}
	// An erasure for the same person is another request.
	if _, err := dsarCLI(t, "dsar", "erase", "--email", p.Email, "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	// The same person with other identifiers: the operator decides.
	_, err = dsarCLI(t, "dsar", "access", "--email", p.Email, "--external-id", "u-extra", "--verified-by", "email reply")
	if exitCodeOf(err, false) != exitUsage || !strings.Contains(err.Error(), a.ID) || !strings.Contains(err.Error(), "--new") {
		t.Fatalf("same person, other identifiers: %v", err)
	}
	if _, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--external-id", "u-extra", "--new", "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	if n := len(listRequests(t)); n != 3 {
		t.Fatalf("%d requests, want 3 (access, erasure, the access filed with --new)", n)
	}
}

// TestWaitStopsOnPause: with a token Intercom rejects, `dsar access --wait` used
// to print "request waiting" forever and ran (and paused) other queued requests
// too. It ends with the reason, the fix and exit code 5, runs no other request,
// and the same command run once the token is fixed carries on with the same
// request to its end.
func TestWaitStopsOnPause(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 10, RateLimit: -1})
	p := sb.SamplePerson()
	other, err := dsarCLI(t, "dsar", "erase", "--external-id", "someone-else", "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	var queued struct{ ID string }
	_ = json.Unmarshal([]byte(other), &queued)
	t.Setenv("INTERCOM_ACCESS_TOKEN", "revoked-token-for-the-test")
	_, err = dsarCLI(t, "dsar", "access", "--email", p.Email, "--wait", "--verified-by", "email reply")
	if exitCodeOf(err, false) != exitPaused || !strings.Contains(err.Error(), dsar.PauseUnauthorized) || !strings.Contains(err.Error(), "INTERCOM_ACCESS_TOKEN") {
		t.Fatalf("--wait on a rejected token: %v (exit %d), want exit %d with the reason and the fix", err, exitCodeOf(err, false), exitPaused)
	}
	if strings.Contains(err.Error(), p.Email) {
		t.Fatal("the error repeats the person's e-mail address")
	}
	show, err := dsarCLI(t, "dsar", "show", queued.ID, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(show, dsar.PauseUnauthorized) || !strings.Contains(show, `"verified"`) {
		t.Fatalf("--wait touched another queued request:\n%s", show)
	}
	t.Setenv("INTERCOM_ACCESS_TOKEN", sb.Token())
	if _, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--wait", "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	access := 0
	for _, r := range listRequests(t) {
		if r.Type == "access" {
			access++
			if r.State != "completed" {
				t.Errorf("access request %s is %s after the fixed token", r.ID, r.State)
			}
		}
	}
	if access != 1 {
		t.Fatalf("%d access requests, want 1 (the second run attaches)", access)
	}
}

// TestWorkerStartSummary: a worker used to log nothing at its default level and
// reported "0 open request(s) queued" while paused requests existed. At start it
// logs what it found: open requests by state, the paused ones with the reason and
// the fix, through the redacting logger, and no personal data.
func TestWorkerStartSummary(t *testing.T) {
	sb, dbURL := sandboxEnv(t, sandbox.Options{Contacts: 10, RateLimit: -1})
	p := sb.SamplePerson()
	t.Setenv("INTERCOM_ACCESS_TOKEN", "revoked-token-for-the-test")
	if _, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--wait", "--verified-by", "email reply"); exitCodeOf(err, false) != exitPaused {
		t.Fatalf("setting up a paused request: %v", err)
	}
	if _, err := dsarCLI(t, "dsar", "erase", "--external-id", "queued-one", "--verified-by", "email reply"); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	logger, err := redactlog.NewLogger(&buf, "text", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	af := appFlags{databaseURL: dbURL}
	s, err := af.settings("worker")
	if err != nil {
		t.Fatal(err)
	}
	s.Logger = logger
	a, err := app.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := logStartSummary(context.Background(), a, 0); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"open requests found at start", "verified=1", "in_progress=1", "requests paused", dsar.PauseUnauthorized, "INTERCOM_ACCESS_TOKEN"} {
		if !strings.Contains(out, want) {
			t.Errorf("start summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), strings.ToLower(p.Email)) {
		t.Error("the start summary holds the person's e-mail address")
	}
}
