package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/sandbox"
)

// dsarCLI executes the command line args and returns standard output.
func dsarCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestDsarCommandsEndToEnd(t *testing.T) {
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 20, RateLimit: -1})
	dir := t.TempDir()
	p := sb.SamplePerson()
	var outs []string
	// Access first (with the archived contact's id), then erasure.
	out, err := dsarCLI(t, "dsar", "access", "--email", p.Email, "--contact-id", p.ArchivedIDs[0], "--wait", "--json", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, out)
	var access struct {
		ID, State string
	}
	if err := json.Unmarshal([]byte(out), &access); err != nil || access.State != "completed" {
		t.Fatalf("access --wait --json: %v %q", err, out)
	}
	pkg := filepath.Join(dir, "pkg.zip")
	out, err = dsarCLI(t, "dsar", "package", access.ID, "--out", pkg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, out)
	if st, err := os.Stat(pkg); err != nil || st.Size() == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("package file: %v %v", st, err)
	}
	if _, err := dsarCLI(t, "dsar", "package", access.ID, "--out", pkg); err == nil {
		t.Error("package overwrote an existing file without --force")
	}
	out, err = dsarCLI(t, "dsar", "erase", "--email", p.Email, "--wait", "--verified-by", "email reply")
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, out)
	if !strings.Contains(out, "completed") || !strings.Contains(out, "contacts_deleted=") {
		t.Errorf("erase --wait output:\n%s", out)
	}
	// Filed without --wait: queued for a worker.
	out, err = dsarCLI(t, "dsar", "erase", "--phone", "+44 20 7946 0000", "--json", "--verified-by", "call back to the number on file")
	if err != nil {
		t.Fatal(err)
	}
	var queued struct{ ID, State string }
	if err := json.Unmarshal([]byte(out), &queued); err != nil || queued.State != "verified" {
		t.Fatalf("erase --json: %v %q", err, out)
	}
	// Without --verified-by the request is filed as received (it runs once
	// verified), and --wait is refused, since it could not run.
	out, err = dsarCLI(t, "dsar", "erase", "--phone", "+44 20 7946 0001", "--json")
	if err := json.Unmarshal([]byte(out), &queued); err != nil || queued.State != "received" {
		t.Fatalf("erase without --verified-by: %v %q", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "erase", "--phone", "+44 20 7946 0002", "--wait"); exitCodeOf(err, false) != exitUsage || !strings.Contains(err.Error(), "--verified-by") {
		t.Fatalf("--wait without --verified-by: %v", err)
	}
	// A request received 40 days ago is past its GDPR month: list flags it.
	old := time.Now().AddDate(0, 0, -40).Format("2006-01-02")
	if _, err := dsarCLI(t, "dsar", "access", "--external-id", "u-404", "--received-at", old); err != nil {
		t.Fatal(err)
	}
	if out, err := dsarCLI(t, "dsar", "list", "--state", "received"); err != nil || !strings.Contains(out, "OVERDUE") {
		t.Errorf("list of an overdue request: %v\n%s", err, out)
	}
	if _, err := dsarCLI(t, "dsar", "access", "--external-id", "u-1", "--received-at", "2999-01-01"); err == nil {
		t.Error("a receipt date in the future was accepted")
	}
	for _, args := range [][]string{
		{"dsar", "list"}, {"dsar", "list", "--json"}, {"dsar", "list", "--state", "verified", "--due-within", "40d"},
		{"dsar", "show", access.ID}, {"dsar", "show", queued.ID, "--json"},
		{"dsar", "extend", queued.ID, "--reason", "complex request", "--by", "1"},
		{"dsar", "cancel", queued.ID, "--json"},
	} {
		out, err := dsarCLI(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		outs = append(outs, out)
	}
	if _, err := dsarCLI(t, "dsar", "deny", queued.ID, "--reason", "x"); err == nil {
		t.Error("deny of a cancelled request succeeded")
	}
	if _, err := dsarCLI(t, "dsar", "list", "--state", "bogus"); err == nil {
		t.Error("list accepted an unknown state")
	}
	if _, err := dsarCLI(t, "dsar", "erase", "--email", "not-an-email"); err == nil || strings.Contains(err.Error(), "not-an-email") {
		t.Errorf("malformed email: %v", err)
	}
	for _, o := range outs {
		for _, v := range []string{p.Email, p.Name, p.Phone} {
			if v != "" && strings.Contains(strings.ToLower(o), strings.ToLower(v)) {
				t.Errorf("a command printed one of the person's identifiers:\n%s", o)
			}
		}
	}
}

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := runDemo(context.Background(), &out, io.Discard, false, false, false, 30, 0); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"THROWAWAY", "throwaway key", "found in Intercom", "matched by email", "data.json", "report.html",
		"outcome: completed", "contacts_deleted=", "verification:", "audit chain OK"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
	sb, err := sandbox.New(sandbox.Options{Contacts: 30, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	p := sb.SamplePerson()
	if strings.Contains(strings.ToLower(s), strings.ToLower(p.Email)) {
		t.Error("the demo printed the sample person's email")
	}
	out.Reset()
	if err := runDemo(context.Background(), &out, io.Discard, true, true, false, 30, 0); err != nil {
		t.Fatal(err)
	}
	var rep demoReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Requests) != 1 || rep.Requests[0].State != "completed" || !rep.Audit.OK() {
		t.Fatalf("demo --both --json: %v %+v", err, rep)
	}
}

func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"7d", "72h", "0d", "-1d", "d", "3650d", "99999999999999999999d", "1.5h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDays(s)
		if err == nil && d < 0 {
			t.Fatalf("%q parsed to a negative duration %v", s, d)
		}
		if err != nil && s != "" && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error for %q", s)
		}
	})
}

func FuzzParseReceived(f *testing.F) {
	for _, s := range []string{"", "2026-01-31", "2026-01-31T09:30:00Z", "2026-01-31T09:30:00+02:00", "9999-12-31", "1999-01-01", "2026-02-30", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseReceived(s, now)
		if err != nil {
			return
		}
		if s == "" != got.IsZero() || got.After(now) || (!got.IsZero() && got.Location() != time.UTC) {
			t.Fatalf("%q parsed to %v", s, got)
		}
	})
}
