package main

import (
	"context"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/health"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// TestServeWaitsForDatabase starts serve on a PostgreSQL server that is not
// there: it stays up, alive and not ready, says why in the log, refuses
// notifications for now, and stops cleanly on interrupt.
func TestServeWaitsForDatabase(t *testing.T) {
	cliEnv(t)
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	t.Setenv("INTERCOM_CLIENT_SECRET", "s")
	root := newRootCmd()
	errb := &syncBuffer{}
	root.SetOut(io.Discard)
	root.SetErr(errb)
	// Logs go to stderr through the redacting logger; capture them too.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	go io.Copy(logs, r)
	stderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = stderr; w.Close() }()
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "info"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	base := waitListening(t, errb, done)
	for path, want := range map[string]int{health.PathLive: 200, health.PathReady: 503, health.PathHealth: 503} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d %q, want %d", path, resp.StatusCode, b, want)
		}
		if path == health.PathReady && !strings.Contains(string(b), "[-] database") {
			t.Errorf("readyz does not name the database: %q", b)
		}
	}
	testwait.Until(t, "the log line about the database", func() bool {
		return strings.Contains(logs.String(), "database not reachable; not ready, retrying")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop while waiting for the database")
	}
}

// waitListening waits for serve's "listening on" line and returns the base URL.
func waitListening(t *testing.T, errb *syncBuffer, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	testwait.Until(t, "serve to listen", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, errb.String())
		default:
		}
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	return base
}

// TestStartFailuresNeedingAPersonStopAtOnce: a missing master key file and a
// SQLite file that cannot be opened stop serve and worker at once with the
// reason, not after retries.
func TestStartFailuresNeedingAPersonStopAtOnce(t *testing.T) {
	cliEnv(t)
	t.Setenv("INTERCOM_CLIENT_SECRET", "s")
	missing := filepath.Join(t.TempDir(), "no-such-key")
	t.Setenv(vault.EnvMasterKey, "")
	for _, cmd := range []string{"serve", "worker"} {
		_, err := dsarCLI(t, cmd, "--master-key-file", missing, "--addr", "127.0.0.1:0")
		if cmd == "worker" {
			_, err = dsarCLI(t, cmd, "--master-key-file", missing)
		}
		if err == nil || !strings.Contains(err.Error(), vault.EnvMasterKeyFile) || !strings.Contains(err.Error(), "cannot be opened") {
			t.Errorf("%s with a missing master key file: %v", cmd, err)
		}
		// The documented exit code: 2, the configuration is wrong (README,
		// "Exit codes"); a supervisor that restarts on failure sees why.
		if code := exitCodeOf(err, false); code != exitUsage {
			t.Errorf("%s with a missing master key file exits %d, want %d", cmd, code, exitUsage)
		}
	}
	key, _ := vault.GenerateMasterKey()
	t.Setenv(vault.EnvMasterKey, key)
	t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), "missing-dir", "x.db"))
	_, err := dsarCLI(t, "worker")
	if err == nil || !strings.Contains(err.Error(), "directory does not exist") {
		t.Errorf("worker on a SQLite file in a missing directory: %v", err)
	}
}

// TestUnwritableTempDirStopsJobProcessesAtStart: with a temporary directory
// that takes no files (a read-only root file system without a tmpfs on /tmp),
// worker and serve with workers stop at start with the remedy and exit code 2,
// before they touch the database, rather than failing export jobs later.
func TestUnwritableTempDirStopsJobProcessesAtStart(t *testing.T) {
	cliEnv(t)
	t.Setenv("INTERCOM_CLIENT_SECRET", "s")
	key, _ := vault.GenerateMasterKey()
	t.Setenv(vault.EnvMasterKey, key)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", notADir)
	for _, args := range [][]string{{"worker"}, {"serve", "--addr", "127.0.0.1:0"}} {
		_, err := dsarCLI(t, args...)
		if err == nil || !strings.Contains(err.Error(), "temporary directory "+notADir) || !strings.Contains(err.Error(), "TMPDIR") ||
			!strings.Contains(err.Error(), "read-only root file system") {
			t.Errorf("%s with an unwritable TMPDIR: %v", args[0], err)
		}
		if code := exitCodeOf(err, false); code != exitUsage {
			t.Errorf("%s with an unwritable TMPDIR exits %d, want %d", args[0], code, exitUsage)
		}
	}
	// A writable one passes the check and leaves nothing behind.
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	if err := checkTempDir(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the check left %d file(s) in the temporary directory", len(left))
	}
}

// TestWorkerWaitsForDatabase: `worker --health-addr` on a PostgreSQL server
// that is not there stays up, answers /livez 200 and /readyz 503 naming the
// database, logs why, and stops cleanly (exit 0) on interrupt.
func TestWorkerWaitsForDatabase(t *testing.T) {
	cliEnv(t)
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	root := newRootCmd()
	errb := &syncBuffer{}
	root.SetOut(io.Discard)
	root.SetErr(errb)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	go io.Copy(logs, r)
	stderr := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = stderr; w.Close() }()
	root.SetArgs([]string{"worker", "--health-addr", "127.0.0.1:0", "--log-level", "info"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	re := regexp.MustCompile(`probes at (http://127\.0\.0\.1:\d+)`)
	var base string
	testwait.Until(t, "the worker's probes to listen", func() bool {
		select {
		case err := <-done:
			t.Fatalf("worker exited early: %v\n%s", err, errb.String())
		default:
		}
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	testwait.Until(t, "the log line about the database", func() bool {
		return strings.Contains(logs.String(), "database not reachable; not ready, retrying")
	})
	for path, want := range map[string]int{health.PathLive: 200, health.PathReady: 503} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d %q, want %d", path, resp.StatusCode, b, want)
		}
		if path == health.PathReady && (!strings.Contains(string(b), "[-] database") || !strings.Contains(string(b), "[-] workers")) {
			t.Errorf("readyz does not name the database and the workers: %q", b)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("worker exited while waiting for the database: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("worker stopped with %v", err)
	}
}
