package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/users"
)

// usersCLI runs the command with stdin and returns stdout and stderr.
func usersCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func TestUsersAndTokensCommands(t *testing.T) {
	cliStore(t)
	out, _, err := usersCLI(t, "a long enough passphrase\n", "users", "add", "--email", "Olga@Example.com", "--role", "privacy_officer", "--password-stdin")
	if err != nil || !strings.HasPrefix(out, "added usr_") || strings.Contains(out, "password") {
		t.Fatalf("add: %q, %v", out, err)
	}
	out, _, err = usersCLI(t, "", "users", "add", "--email", "bot@example.com", "--role", "agent")
	if err != nil || !strings.Contains(out, "password (shown once") {
		t.Fatalf("add with a generated password: %q, %v", out, err)
	}
	if _, _, err := usersCLI(t, "short\n", "users", "add", "--email", "x@example.com", "--role", "agent", "--password-stdin"); !errors.Is(err, users.ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, _, err := usersCLI(t, "", "users", "add", "--email", "x@example.com", "--role", "root"); err == nil || exitCodeOf(err, false) != exitUsage {
		t.Fatalf("unknown role: %v", err)
	}
	if _, _, err := usersCLI(t, "", "users", "add", "--email", "OLGA@example.com", "--role", "agent"); !errors.Is(err, users.ErrUserExists) {
		t.Fatalf("same email twice: %v", err)
	}
	out, _, err = usersCLI(t, "", "users", "list", "--json")
	var list []userView
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[0].Email != "olga@example.com" ||
		list[0].Role != "privacy_officer" || list[0].Enrolled || !list[0].HasPassword {
		t.Fatalf("list: %s, %v", out, err)
	}

	// A token is printed once, on stdout alone; listed without its secret.
	out, errOut, err := usersCLI(t, "", "tokens", "create", "--user", "bot@example.com", "--name", "nightly", "--expires", "30d")
	secret := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(secret, users.TokenPrefix) || !strings.Contains(errOut, "shown once") {
		t.Fatalf("create: %q %q %v", out, errOut, err)
	}
	if _, _, err := usersCLI(t, "", "tokens", "create", "--user", "bot@example.com", "--name", "x", "--expires", "0d"); exitCodeOf(err, false) != exitUsage {
		t.Fatalf("bad expiry: %v", err)
	}
	out, _, err = usersCLI(t, "", "tokens", "list", "--json")
	var toks []tokenView
	if err != nil || json.Unmarshal([]byte(out), &toks) != nil || len(toks) != 1 || toks[0].State != "active" || strings.Contains(out, secret) {
		t.Fatalf("tokens list: %s, %v", out, err)
	}
	if out, _, err = usersCLI(t, "", "tokens", "revoke", toks[0].ID); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q %v", out, err)
	}
	out, _, _ = usersCLI(t, "", "tokens", "list", "--user", "bot@example.com")
	if !strings.Contains(out, "revoked") {
		t.Fatalf("after revoke: %s", out)
	}

	out, _, err = usersCLI(t, "", "users", "reset", "olga@example.com", "--second-factor-only")
	if err != nil || !strings.Contains(out, "second factor") || strings.Contains(out, "password (shown once)") {
		t.Fatalf("reset: %q %v", out, err)
	}
	if _, _, err := usersCLI(t, "", "users", "disable", "nobody@example.com"); !errors.Is(err, users.ErrNoUser) || exitCodeOf(err, false) != exitUsage {
		t.Fatalf("disable unknown: %v", err)
	}
	if out, _, err = usersCLI(t, "", "users", "disable", "olga@example.com"); err != nil || !strings.Contains(out, "disabled usr_") {
		t.Fatalf("disable: %q %v", out, err)
	}
	// Nothing of the above put an email in the audit trail (audit refuses
	// personal data, so the commands would have failed), and the trail
	// verifies.
	if out, _, err = usersCLI(t, "", "audit", "verify"); err != nil {
		t.Fatalf("audit verify: %s %v", out, err)
	}
}
