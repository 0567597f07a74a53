package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadArgumentsAreNotRepeated: a value put in the wrong flag or argument
// (an e-mail address, a phone number) is refused without being repeated in the
// error, which is printed and may be logged; a harmless typo is repeated.
func TestBadArgumentsAreNotRepeated(t *testing.T) {
	cliEnv(t)
	const email, phone, digits = "alice.smith@example.com", "+44 20 7946 0958", "442079460958"
	cases := [][]string{
		{"dsar", "access", "--email", email, "--received-at", email},
		{"dsar", "access", "--email", email, "--received-at", phone},
		{"dsar", "list", "--due-within", email},
		{"dsar", "list", "--state", email},
		{"dsar", "list", "--state", phone},
		{"dsar", "show", email},
		{"dsar", "show", digits},
		{"dsar", "cancel", email},
		{"dsar", "extend", phone, "--reason", "complex request"},
		{"dsar", "deny", email, "--reason", "manifestly unfounded"},
		{"dsar", "package", email, "--out", filepath.Join(t.TempDir(), "p.zip")},
	}
	for _, args := range cases {
		_, err := dsarCLI(t, args...)
		if err == nil {
			t.Errorf("%v: accepted", args[:2])
			continue
		}
		for _, v := range []string{email, phone, digits, "7946"} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("%v: the error repeats the value: %v", args[:2], err)
			}
		}
	}
	// A typo that cannot be personal data is repeated, to help.
	_, err := dsarCLI(t, "dsar", "list", "--due-within", "7x")
	if err == nil || !strings.Contains(err.Error(), `"7x"`) {
		t.Errorf("--due-within 7x: %v", err)
	}
	_, err = dsarCLI(t, "dsar", "show", "req_doesnotexist")
	if err == nil || !strings.Contains(err.Error(), "no such request") {
		t.Errorf("show of an unknown well-formed id: %v", err)
	}
	if _, err := dsarCLI(t, "dsar", "list", "--limit", "0"); err == nil {
		t.Error("--limit 0 accepted")
	}
}

// TestVerifiedByCheckedBeforeFiling: a --verified-by the audit trail would
// refuse stops the command before the request is filed, instead of leaving a
// request filed but not verified.
func TestVerifiedByCheckedBeforeFiling(t *testing.T) {
	cliEnv(t)
	for _, v := range []string{"passport of alice@example.com", "call to 020 7946 0958"} {
		_, err := dsarCLI(t, "dsar", "access", "--email", "alice@example.com", "--verified-by", v)
		if err == nil || !strings.Contains(err.Error(), "--verified-by") {
			t.Fatalf("--verified-by %q: %v", v, err)
		}
		if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "7946") {
			t.Errorf("the error repeats the value: %v", err)
		}
		if strings.Contains(err.Error(), "filed") {
			t.Errorf("the request was filed: %v", err)
		}
	}
	out, err := dsarCLI(t, "dsar", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ls []json.RawMessage
	if err := json.Unmarshal([]byte(out), &ls); err != nil || len(ls) != 0 {
		t.Fatalf("requests filed: %v %s", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "access", "--email", "alice@example.com", "--verified-by", "photo id checked"); err != nil {
		t.Fatalf("a clean --verified-by: %v", err)
	}
}

func TestShownArg(t *testing.T) {
	for in, want := range map[string]bool{
		"2026-13-01": true, "7x": true, "bogus": true, "": true,
		"a@b.c": false, "+44 20 7946 0958": false, "4111111111111111": false,
		strings.Repeat("a", 41): false, "naïve": false,
	} {
		got := strings.HasPrefix(shownArg(in), `"`)
		if got != want {
			t.Errorf("shownArg(%q) = %s", in, shownArg(in))
		}
	}
}

// TestNumericFlagsRefused: zero or negative values that the packages behind
// the flags would silently replace by their defaults are refused by name,
// before anything runs (keys rotate would otherwise add a key).
func TestNumericFlagsRefused(t *testing.T) {
	cliEnv(t)
	t.Setenv("INTERCOM_CLIENT_SECRET", "test-secret")
	before := auditRecords(t)
	cases := map[string][]string{
		"--concurrency":    {"worker", "--concurrency", "0"},
		"--lease-ttl":      {"worker", "--lease-ttl", "0s"},
		"--job-timeout":    {"worker", "--job-timeout", "-1s"},
		"--id":             {"worker", "--id", "alice@example.com"},
		"--stop-timeout":   {"worker", "--stop-timeout", "0s"},
		"--max-body":       {"serve", "--addr", "127.0.0.1:0", "--max-body", "-1"},
		"--apply-interval": {"serve", "--addr", "127.0.0.1:0", "--apply-interval", "-1s", "--no-workers"},
		"--concurrency ":   {"serve", "--addr", "127.0.0.1:0", "--concurrency", "-2"},
		"--batch":          {"keys", "rotate", "--batch", "0"},
		"--clock-skew":     {"sync", "contacts", "--clock-skew", "-5m"},
		"--workers":        {"redact", "--workers", "-1"},
		"--max-line":       {"redact", "--max-line", "5"},
		"--timeout":        {"dsar", "access", "--email", "a@example.com", "--wait", "--verified-by", "email reply", "--timeout", "-1s"},
	}
	for flag, args := range cases {
		_, err := dsarCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(flag)) {
			t.Errorf("%v: want an error naming %s, got %v", args, flag, err)
		}
		if err != nil && strings.Contains(err.Error(), "alice") {
			t.Errorf("%v: the error repeats the value: %v", args, err)
		}
	}
	// Nothing ran: the audit trail holds what keys init wrote, no more.
	if got := auditRecords(t); got != before {
		t.Errorf("audit records: %d before, %d after refused commands", before, got)
	}
	for _, id := range []string{"vm-6711", "worker_1.example.com-123", strings.Repeat("h", 255)} {
		if !workerIDOK(id) {
			t.Errorf("worker id %q refused", id)
		}
	}
}

// auditRecords returns the number of records in the audit trail.
func auditRecords(t *testing.T) int {
	t.Helper()
	out, err := dsarCLI(t, "audit", "verify", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Records int }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Records == 0 {
		t.Fatalf("audit verify --json: %v %s", err, out)
	}
	return r.Records
}

// TestBadEnvironmentValue: an environment variable behind a flag's default
// that does not parse stops the command (it used to run with the built-in
// default); giving the flag overrides it; the value is repeated only when it
// cannot be personal data.
func TestBadEnvironmentValue(t *testing.T) {
	resetBadEnv := func() {
		badEnv.Lock()
		clear(badEnv.want)
		badEnv.Unlock()
	}
	t.Cleanup(resetBadEnv) // the record is global: leave none to other tests
	t.Setenv("INTERCOM_PRIVACY_REDACT_WORKERS", "alice@example.com")
	root := newRootCmd() // flags read the environment when built
	root.SetArgs([]string{"redact"})
	root.SetIn(strings.NewReader("x\n"))
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "INTERCOM_PRIVACY_REDACT_WORKERS") || !strings.Contains(err.Error(), "--workers") {
		t.Fatalf("bad env: %v", err)
	}
	if strings.Contains(err.Error(), "alice") {
		t.Errorf("the error repeats the value: %v", err)
	}
	root = newRootCmd()
	root.SetArgs([]string{"redact", "--workers", "1"})
	root.SetIn(strings.NewReader("x\n"))
	root.SetOut(new(strings.Builder))
	if err := root.Execute(); err != nil {
		t.Fatalf("--workers given: %v", err)
	}
	t.Setenv("INTERCOM_PRIVACY_REDACT_WORKERS", "2")
	resetBadEnv()
	root = newRootCmd()
	root.SetArgs([]string{"redact"})
	root.SetIn(strings.NewReader("x\n"))
	root.SetOut(new(strings.Builder))
	if err := root.Execute(); err != nil {
		t.Fatalf("good env: %v", err)
	}
}

// TestCheckRequestID: every id dsar gives is accepted, whatever digit runs
// its hex holds; values that may be personal data are refused unrepeated.
func TestCheckRequestID(t *testing.T) {
	for _, id := range []string{"req_473350208038803c219c20ed5a4d9c0e", "req_00000000000000000000000000000000",
		"req_6e9e5e9f74496980e31f407c6f23e474", "req_doesnotexist"} {
		if err := checkRequestID(id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, id := range []string{"alice@example.com", "442079460958", "+442079460958", "req_4420 7946 0958", "", strings.Repeat("a", 129)} {
		err := checkRequestID(id)
		if err == nil {
			t.Errorf("%q accepted", id)
			continue
		}
		if id != "" && strings.Contains(err.Error(), id) {
			t.Errorf("%q repeated: %v", id, err)
		}
	}
}

func FuzzCheckRequestID(f *testing.F) {
	for _, s := range []string{"req_473350208038803c219c20ed5a4d9c0e", "alice@example.com", "442079460958", "req_", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := checkRequestID(id)
		if err != nil && len(id) > 8 && strings.Contains(err.Error(), id) && !strings.HasPrefix(shownArg(id), `"`) {
			t.Fatalf("an unsafe id is repeated: %v", err)
		}
		if err == nil && isHexRequestID(id) == false && !strings.HasPrefix(shownArg(id), `"`) {
			t.Fatalf("an id neither hex nor safe to show was accepted: %q", id)
		}
		if s := shownArg(id); strings.HasPrefix(s, `"`) && (strings.Contains(id, "@") || len(id) > maxShownArg) {
			t.Fatalf("shownArg repeats %q", id)
		}
	})
}

// TestExtendReasonChecked: dsar stores an extension reason with the request
// without checking it; the command refuses one holding personal data, and
// the request stays unextended.
func TestExtendReasonChecked(t *testing.T) {
	cliEnv(t)
	out, err := dsarCLI(t, "dsar", "access", "--email", "alice@example.com", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ ID string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.ID == "" {
		t.Fatalf("%v %s", err, out)
	}
	for _, reason := range []string{"alice@example.com asked for more", "called 020 7946 0958"} {
		_, err := dsarCLI(t, "dsar", "extend", r.ID, "--reason", reason)
		if err == nil || !strings.Contains(err.Error(), "--reason") || strings.Contains(err.Error(), "alice") {
			t.Fatalf("--reason %q: %v", reason, err)
		}
	}
	out, err = dsarCLI(t, "dsar", "show", r.ID, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "alice") || strings.Contains(out, "7946") || strings.Contains(out, "extended_due_at") {
		t.Fatalf("the request was extended or holds the reason: %s", out)
	}
	if out, err := dsarCLI(t, "dsar", "extend", r.ID, "--reason", "complex request, several systems", "--json"); err != nil || !strings.Contains(out, "extended_due_at") {
		t.Fatalf("a clean reason: %v %s", err, out)
	}
}

// TestRetentionBatchEnvChecked: the worker's retention schedule and
// `retention show` read INTERCOM_PRIVACY_RETENTION_BATCH_SIZE outside a flag;
// an unparsable value is an error there too, not the default.
func TestRetentionBatchEnvChecked(t *testing.T) {
	cliEnv(t)
	t.Cleanup(func() { // the record of bad values is global: leave none to other tests
		badEnv.Lock()
		clear(badEnv.want)
		badEnv.Unlock()
	})
	t.Setenv(envRetentionBatchSize, "lots")
	_, err := dsarCLI(t, "retention", "show")
	if err == nil || !strings.Contains(err.Error(), envRetentionBatchSize) {
		t.Fatalf("retention show: %v", err)
	}
	if n, err := envIntChecked(envRetentionBatchSize, 7); err == nil || n != 0 {
		t.Fatalf("envIntChecked: %d %v", n, err)
	}
	t.Setenv(envRetentionBatchSize, "")
	if n, err := envIntChecked(envRetentionBatchSize, 7); err != nil || n != 7 {
		t.Fatalf("unset: %d %v", n, err)
	}
}
