package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
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

// cliSandbox is sandboxEnv with a small workspace whose exports take 300ms.
func cliSandbox(t *testing.T, opts sandbox.Options) {
	t.Helper()
	opts.Contacts, opts.RateLimit, opts.ExportDuration = 40, -1, 300*time.Millisecond
	sandboxEnv(t, opts)
}

func TestExportMessagesCommand(t *testing.T) {
	cliSandbox(t, sandbox.Options{ExportFormat: sandbox.FormatZip})
	out := t.TempDir()
	today := time.Now().UTC().Format(time.DateOnly)
	since := time.Now().UTC().AddDate(-3, 0, 0).Format(time.DateOnly)
	stdout, err := dsarCLI(t, "export", "messages", "--since", since, "--until", today, "--out", out, "--keep",
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
	stdout, err = dsarCLI(t, "export", "list")
	if err != nil || !strings.Contains(stdout, res.Job) || !strings.Contains(stdout, "downloaded") {
		t.Fatalf("list: %v\n%s", err, stdout)
	}
	again := t.TempDir()
	stdout, err = dsarCLI(t, "export", "files", res.Job, "--out", again)
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
	_, err := dsarCLI(t, "export", "messages", "--since", today, "--until", today, "--keep", "--poll-interval", "50ms")
	var ec interface{ ExitCode() int }
	if !errors.Is(err, export.ErrJobFailed) || !errors.As(err, &ec) || ec.ExitCode() != exportExitCode {
		t.Fatalf("err %v", err)
	}
	_, err = dsarCLI(t, "export", "messages", "--since", "2026-01-02", "--until", "2026-01-01", "--keep")
	if !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("bad dates: %v", err)
	}
}
