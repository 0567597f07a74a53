package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/webhook"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine; a
// reader can wait for what it expects to be written (waitMatch).
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // signalled after each Write (coalesced)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	select {
	case s.signal() <- struct{}{}:
	default:
	}
	return n, err
}

// signal returns the channel Write signals on; s.mu is held.
func (s *syncBuffer) signal() chan struct{} {
	if s.written == nil {
		s.written = make(chan struct{}, 1)
	}
	return s.written
}

// waitMatch waits until re matches what was written and returns the match. It
// fails t when ended is closed first (the writing command returned), or after
// testwait.Deadline; stderr is shown with the failure.
func (s *syncBuffer) waitMatch(t *testing.T, re *regexp.Regexp, ended <-chan struct{}, stderr *syncBuffer) []string {
	t.Helper()
	s.mu.Lock()
	written := s.signal()
	s.mu.Unlock()
	deadline := time.NewTimer(testwait.Deadline)
	defer deadline.Stop()
	for {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		select {
		case <-written:
		case <-ended:
			t.Fatalf("the command ended before writing %q:\n%s", re, stderr.String())
		case <-deadline.C:
			t.Fatalf("%q not written after %v:\n%s", re, testwait.Deadline, stderr.String())
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv sets up a sandbox of contacts only, a SQLite store with keys and
// the environment.
func serveEnv(t *testing.T) *sandbox.Server {
	t.Helper()
	sb, _ := sandboxEnv(t, sandbox.Options{Contacts: 30, ContactsOnly: true, RateLimit: -1})
	return sb
}

func TestServeRefusesWithoutSecret(t *testing.T) {
	serveEnv(t)
	t.Setenv(server.EnvClientSecret, "")
	t.Setenv(envClientSecretFile, "")
	_, err := dsarCLI(t, "serve", "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), server.EnvClientSecret) {
		t.Fatalf("err = %v, want a refusal naming %s", err, server.EnvClientSecret)
	}
}

func TestSyncContactsCommand(t *testing.T) {
	sb := serveEnv(t)
	out, err := dsarCLI(t, "sync", "contacts", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res contactsync.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output: %v %q", err, out)
	}
	live := 0
	for _, c := range sb.Workspace().Contacts() {
		if !c.Archived && c.MergedInto == "" {
			live++
			if c.Email != "" && strings.Contains(out, c.Email) {
				t.Fatal("sync output holds an email address")
			}
		}
	}
	if res.Mode != "full" || res.Stored != int64(live) {
		t.Fatalf("result %+v, want %d stored", res, live)
	}
	out, err = dsarCLI(t, "sync", "contacts")
	if err != nil || !strings.Contains(out, "contact sync (incremental)") {
		t.Fatalf("second run: %v %q", err, out)
	}
}

// TestServeStartsAndStops runs `serve` with its workers, checks health, metrics
// and one signed notification over 127.0.0.1, then stops it with the context
// (what Ctrl-C does).
func TestServeStartsAndStops(t *testing.T) {
	serveEnv(t)
	const secret = "cli-serve-secret"
	t.Setenv(server.EnvClientSecret, secret)
	root := newRootCmd()
	var out bytes.Buffer
	errb := &syncBuffer{}
	root.SetOut(&out)
	root.SetErr(errb)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--stop-timeout", "10s"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, ended := make(chan error, 1), make(chan struct{})
	go func() { done <- root.ExecuteContext(ctx); close(ended) }()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	base := errb.waitMatch(t, re, ended, errb)[1]
	// serve listens first, then opens the database and starts the workers:
	// ready once all of it is done.
	testwait.Until(t, "serve to be ready", func() bool {
		resp, err := http.Get(base + server.PathReady)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if !strings.Contains(errb.String(), "workers running") {
		t.Fatalf("workers not started:\n%s", errb.String())
	}
	for _, path := range []string{server.PathLive, server.PathHealth} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	var resp *http.Response
	var err error
	body, _ := json.Marshal(map[string]any{"type": "notification_event", "id": "notif_cli_1", "topic": "contact.deleted",
		"app_id": "x", "data": map[string]any{"type": "notification_event_data", "item": map[string]any{"type": "contact", "id": "nope"}}})
	req, _ := http.NewRequest(http.MethodPost, base+webhook.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(secret), body))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("webhook: %v %v", err, resp)
	}
	resp.Body.Close()
	resp, err = http.Get(base + server.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`intercom_privacy_webhook_notifications_total{result="accepted"} 1`, `intercom_privacy_requests_open{state="received"} 0`} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("metrics lack %q:\n%s", want, text)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errb.String(), "serve: stopped") {
		t.Fatalf("no clean stop:\n%s", errb.String())
	}
	if _, err := http.Get(base + server.PathHealth); err == nil {
		t.Fatal("server still answering after stop")
	}
}

func TestClientSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env, file, want string
		wantErr         bool
	}{
		{"env-secret", "", "env-secret", false},
		{"", file, "from-file", false},
		{"", "", "", true},
		{"x", file, "", true},
		{"", empty, "", true},
		{"", filepath.Join(dir, "missing"), "", true},
	} {
		t.Setenv(server.EnvClientSecret, tc.env)
		t.Setenv(envClientSecretFile, tc.file)
		got, err := clientSecret()
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("env %q file %q: got %q, %v", tc.env, tc.file, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "from-file") {
			t.Errorf("error reveals the secret: %v", err)
		}
	}
}
