package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestUnknownSubcommandFails: an unknown sub-command of a group ("dsar lst")
// used to print the group's help and exit 0; it is a usage error with a
// suggestion, at every level of the tree.
func TestUnknownSubcommandFails(t *testing.T) {
	cliEnv(t)
	for _, c := range []struct {
		args    []string
		suggest string
	}{
		{[]string{"dsar", "lst"}, "list"},
		{[]string{"keys", "rotte"}, "rotate"},
		{[]string{"dsr"}, "dsar"},
		{[]string{"export", "mesages"}, "messages"},
	} {
		_, err := dsarCLI(t, c.args...)
		if err == nil || exitCodeOf(err, false) != exitUsage || !strings.Contains(err.Error(), "unknown command") || !strings.Contains(err.Error(), c.suggest) {
			t.Errorf("%v: %v (exit %d), want exit %d, \"unknown command\" and the suggestion %q", c.args, err, exitCodeOf(err, false), exitUsage, c.suggest)
		}
	}
	// A group without arguments still prints its help and succeeds.
	if out, err := dsarCLI(t, "dsar"); err != nil || !strings.Contains(out, "Available Commands") {
		t.Errorf("dsar with no sub-command: %v, %q", err, out)
	}
	// An argument that may be personal data is not repeated.
	_, err := dsarCLI(t, "dsar", "jane.doe@example.com")
	if err == nil || strings.Contains(err.Error(), "jane.doe") {
		t.Errorf("unknown command repeated a value that may be personal data: %v", err)
	}
}

// TestExitCodesOfUsageMistakes: flag errors, argument counts and bad
// configuration all exit with the one usage code.
func TestExitCodesOfUsageMistakes(t *testing.T) {
	cliEnv(t)
	for name, args := range map[string][]string{
		"unknown flag":     {"dsar", "list", "--no-such-flag"},
		"bad flag value":   {"dsar", "list", "--limit", "0"},
		"extra argument":   {"migrate", "extra"},
		"bad export dates": {"export", "messages", "--since", "2026-02-01", "--until", "2026-01-01", "--keep"},
	} {
		if _, err := dsarCLI(t, args...); exitCodeOf(err, false) != exitUsage {
			t.Errorf("%s: %v: exit %d, want %d", name, err, exitCodeOf(err, false), exitUsage)
		}
	}
}

// TestMissingDatabaseIsRefused: a mistyped DATABASE_URL used to create a new,
// empty SQLite file; every command but migrate and keys init refuses it, names
// the path and creates nothing.
func TestMissingDatabaseIsRefused(t *testing.T) {
	cliEnv(t)
	typo := filepath.Join(t.TempDir(), "privcay.db")
	t.Setenv("DATABASE_URL", "sqlite://"+typo)
	for _, args := range [][]string{{"dsar", "list"}, {"keys", "public"}, {"keys", "rotate"}, {"audit", "verify"}, {"retention", "show"}} {
		_, err := dsarCLI(t, args...)
		if !errors.Is(err, store.ErrNoDatabase) || !strings.Contains(err.Error(), typo) || exitCodeOf(err, false) != exitUsage {
			t.Errorf("%v on a missing database: %v (exit %d), want store.ErrNoDatabase naming the path", args, err, exitCodeOf(err, false))
		}
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v created the database file", args)
		}
	}
	if _, err := dsarCLI(t, "migrate"); err != nil {
		t.Fatalf("migrate creates a database: %v", err)
	}
	if _, err := os.Stat(typo); err != nil {
		t.Fatalf("migrate did not create the file: %v", err)
	}
}

// TestInvalidRetentionRefusedByEveryCommand: a retention section `retention
// show` refuses used to be accepted by `dsar access`; the configuration is
// validated once, for every command that opens the application.
func TestInvalidRetentionRefusedByEveryCommand(t *testing.T) {
	cliEnv(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("retention:\n  contact_cache: 3 fortnights\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(config.EnvFile, cfg)
	for _, args := range [][]string{
		{"retention", "show"},
		{"dsar", "access", "--email", "someone@example.com"},
		{"dsar", "list"},
		{"sync", "contacts"},
	} {
		_, err := dsarCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "contact_cache") || exitCodeOf(err, false) != exitUsage {
			t.Errorf("%v with an invalid retention section: %v (exit %d)", args[:2], err, exitCodeOf(err, false))
		}
	}
}

// TestReasonGuardSpeaksToTheOperator: the guard that keeps personal data out
// of --reason says what to change in the operator's words, not the audit
// package's field names.
func TestReasonGuardSpeaksToTheOperator(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"asked by jane@example.com", "e-mail address"},
		{"call back on 0044 7700 900 123", "long number"},
	} {
		err := checkAuditText("--reason", audit.FieldReason, c.text)
		if !errors.Is(err, audit.ErrPersonalData) || exitCodeOf(err, false) != exitUsage {
			t.Fatalf("%q: %v", c.text, err)
		}
		msg := err.Error()
		for _, dev := range []string{"Counts", "ObjectIDs", "SubjectRef", "field \""} {
			if strings.Contains(msg, dev) {
				t.Errorf("%q: the message speaks developer (%s): %s", c.text, dev, msg)
			}
		}
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, "--reason") || strings.Contains(msg, "jane") || strings.Contains(msg, "900") {
			t.Errorf("%q: %s", c.text, msg)
		}
	}
}

// TestExitCodeTableDocumented: the table is printed by the root --help and
// in the README, code for code.
func TestExitCodeTableDocumented(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(exitTable(), "\n"), "\n") {
		if !strings.Contains(out.String(), line) {
			t.Errorf("root --help lacks the exit code line %q", line)
		}
		if !strings.Contains(string(readme), strings.TrimSpace(line)) {
			t.Errorf("README.md lacks the exit code line %q (copy `intercom-privacy --help`'s table)", strings.TrimSpace(line))
		}
	}
}

// TestReadmeExitCodeBlockIsTheTable: the README's "Exit codes" block holds
// exactly the table's lines, in its order: a code removed from or added to
// the code, or a line left over in the README, fails (the test above only
// looks for each of the table's lines somewhere in the README).
func TestReadmeExitCodeBlockIsTheTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "\n### Exit codes\n")
	if !ok {
		t.Fatal("README.md has no \"### Exit codes\" section")
	}
	_, block, ok := strings.Cut(after, "```\n")
	if ok {
		block, _, ok = strings.Cut(block, "```")
	}
	if !ok {
		t.Fatal("the README's Exit codes section has no fenced block")
	}
	var want []string
	for _, line := range strings.Split(strings.TrimRight(exitTable(), "\n"), "\n") {
		want = append(want, strings.TrimSpace(line))
	}
	got := strings.Split(strings.TrimRight(block, "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README's exit code block:\n%s\nwant (intercom-privacy --help's table):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestStartFailureExitCodes: the codes README's "Start-up" paragraph gives the
// failures that stop serve and worker at start.
func TestStartFailureExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want exitCode
	}{
		{"no master key", vault.ErrNoMasterKey, exitUsage},
		{"unreadable master key file", &vault.MasterKeyError{Source: vault.EnvMasterKeyFile, Problem: "the file cannot be opened", Err: os.ErrNotExist}, exitUsage},
		{"keysets not initialised", vault.ErrNotInitialised, exitUsage},
		{"schema newer than the binary", &store.SchemaVersionError{Database: 99, Binary: 1}, exitFailure},
		{"temporary directory", checkTempDirIn(t, filepath.Join(t.TempDir(), "missing")), exitUsage},
	} {
		if got := exitCodeOf(tc.err, false); got != tc.want {
			t.Errorf("%s: exit code %d, want %d", tc.name, got, tc.want)
		}
	}
}

// checkTempDirIn runs checkTempDir with TMPDIR set to dir.
func checkTempDirIn(t *testing.T, dir string) error {
	t.Helper()
	t.Setenv("TMPDIR", dir)
	err := checkTempDir()
	if err == nil {
		t.Fatalf("checkTempDir accepted %s", dir)
	}
	return err
}
