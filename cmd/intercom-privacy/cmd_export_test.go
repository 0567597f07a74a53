package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

func TestExportParams(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ok := []struct{ since, until string }{{"2026-11-01", "2026-11-28"}, {"2026-11-28", "2026-11-28"}}
	for _, c := range ok {
		if _, err := exportParams(c.since, c.until, "out", false, time.Second, time.Minute, now); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	for name, c := range map[string]struct {
		since, until, out string
		keep              bool
		poll, timeout     time.Duration
	}{
		"missing since": {"", "2026-11-02", "o", false, time.Second, time.Minute},
		"bad date":      {"2026-13-01", "2026-11-02", "o", false, time.Second, time.Minute},
		"not a date":    {"yesterday", "2026-11-02", "o", false, time.Second, time.Minute},
		"reversed":      {"2026-11-03", "2026-11-02", "o", false, time.Second, time.Minute},
		"future":        {"2026-11-01", "2026-11-29", "o", false, time.Second, time.Minute},
		"nowhere":       {"2026-11-01", "2026-11-02", "", false, time.Second, time.Minute},
		"zero poll":     {"2026-11-01", "2026-11-02", "o", false, 0, time.Minute},
		"zero timeout":  {"2026-11-01", "2026-11-02", "", true, time.Second, 0},
	} {
		if _, err := exportParams(c.since, c.until, c.out, c.keep, c.poll, c.timeout, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// runCLI runs the root command with args and returns stdout and the error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func cliSandbox(t *testing.T, opts sandbox.Options) {
	t.Helper()
	opts.Contacts, opts.RateLimit, opts.ExportDuration = 40, -1, 300*time.Millisecond
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	key, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(intercom.EnvAPIURL, srv.URL)
	t.Setenv("INTERCOM_ACCESS_TOKEN", sb.Token())
	t.Setenv(vault.EnvMasterKey, key)
	t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	if _, err := runCLI(t, "keys", "init"); err != nil {
		t.Fatal(err)
	}
}

func TestExportMessagesCommand(t *testing.T) {
	cliSandbox(t, sandbox.Options{ExportFormat: sandbox.FormatZip})
	out := t.TempDir()
	today := time.Now().UTC().Format(time.DateOnly)
	since := time.Now().UTC().AddDate(-3, 0, 0).Format(time.DateOnly)
	stdout, err := runCLI(t, "export", "messages", "--since", since, "--until", today, "--out", out, "--keep",
		"--poll-interval", "50ms", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res export.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if res.Outcome != export.OutcomeDownloaded || res.Rows == 0 || !strings.HasPrefix(res.Dir, out) {
		t.Fatalf("%+v", res)
	}
	stdout, err = runCLI(t, "export", "list")
	if err != nil || !strings.Contains(stdout, res.Job) || !strings.Contains(stdout, "downloaded") {
		t.Fatalf("list: %v\n%s", err, stdout)
	}
	again := t.TempDir()
	stdout, err = runCLI(t, "export", "files", res.Job, "--out", again)
	if err != nil || !strings.Contains(stdout, again) {
		t.Fatalf("files: %v\n%s", err, stdout)
	}
	if strings.Contains(stdout, "@") {
		t.Fatalf("personal data printed: %s", stdout)
	}
}

func TestExportMessagesCommandFailedExitCode(t *testing.T) {
	cliSandbox(t, sandbox.Options{ExportStatus: sandbox.ExportFailed})
	today := time.Now().UTC().Format(time.DateOnly)
	_, err := runCLI(t, "export", "messages", "--since", today, "--until", today, "--keep", "--poll-interval", "50ms")
	var ec interface{ ExitCode() int }
	if !errors.Is(err, export.ErrJobFailed) || !errors.As(err, &ec) || ec.ExitCode() != exportExitCode {
		t.Fatalf("err %v", err)
	}
	_, err = runCLI(t, "export", "messages", "--since", "2026-01-02", "--until", "2026-01-01", "--keep")
	if !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("bad dates: %v", err)
	}
}
