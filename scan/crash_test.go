package scan_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/scan"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// The crash test re-executes this test binary as the redacting process.
const (
	envCrashChild = "SCAN_CRASH_CHILD"
	envCrashDB    = "SCAN_CRASH_DATABASE_URL"
	envCrashKey   = "SCAN_CRASH_MASTER_KEY"
	envCrashAPI   = "SCAN_CRASH_API_URL"
	envCrashToken = "SCAN_CRASH_TOKEN"
)

func TestMain(m *testing.M) {
	if os.Getenv(envCrashChild) == "redact" {
		os.Exit(crashChild())
	}
	if os.Getenv(envCrashChild) == "approved" {
		os.Exit(approvedChild())
	}
	if os.Getenv(envLeaseChild) == "scan" {
		os.Exit(leaseChild())
	}
	if os.Getenv(envNoteChild) == "run" {
		os.Exit(noteChild())
	}
	os.Exit(m.Run())
}

// vaultKey is the master key a child process is given.
func vaultKey() (vault.MasterKey, error) { return vault.ParseMasterKey(os.Getenv(envCrashKey)) }

// crashChild runs `scan redact --yes` until it succeeds, as an operator would.
func crashChild() int {
	ctx := context.Background()
	master, err := vault.ParseMasterKey(os.Getenv(envCrashKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	a, err := app.Open(ctx, app.Settings{DatabaseURL: os.Getenv(envCrashDB), MasterKey: master, Actor: "cli",
		Intercom: intercom.Config{Token: intercom.Token(os.Getenv(envCrashToken)), BaseURL: os.Getenv(envCrashAPI), Timeout: 5 * time.Second, MaxRetries: 1}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer a.Close()
	// The same worker restarted: it takes its own lease back at once.
	r := &scan.Redactor{Store: a.Store, Intercom: a.Intercom, Chain: a.Chain, Actor: "cli", Backoff: 10 * time.Millisecond, RetryFor: 5 * time.Second,
		Lease: scan.LeaseOptions{Holder: "crash-child"}}
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = r.Run(ctx, scan.RedactOptions{Types: []pii.Type{pii.TypeCard}, Yes: true}); err == nil {
			return 0
		}
	}
	fmt.Fprintln(os.Stderr, "child:", err)
	return 1
}

// crashWorld serves the sandbox through a handler that SIGKILLs the child at
// its Nth redact request, before or after the sandbox acts on it.
type crashWorld struct {
	t       *testing.T
	sb      *sandbox.Server
	srv     *httptest.Server
	dbURL   string
	keyText string
	a       *app.App

	mu     sync.Mutex
	child  *exec.Cmd
	mode   string // the child's work: "redact" (scan redact) when empty, or "approved"
	killAt int64
	after  bool
	count  atomic.Int64
	killed atomic.Bool
}

func newCrashWorld(t *testing.T) *crashWorld {
	sb, err := sandbox.New(sandbox.Options{Contacts: 10, Seed: 5, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	w := &crashWorld{t: t, sb: sb, dbURL: "sqlite://" + filepath.Join(t.TempDir(), "crash.db")}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	w.keyText, err = vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(w.keyText)
	if err != nil {
		t.Fatal(err)
	}
	w.a = apptest.Open(t, apptest.Target{DatabaseURL: w.dbURL, MasterKey: master, Token: sb.Token(), BaseURL: w.srv.URL, Actor: "cli"})
	if _, err := scanner(w.a).Run(bg, scan.ScanOptions{Types: []pii.Type{pii.TypeCard}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *crashWorld) serve(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/conversations/redact" {
		w.sb.Handler().ServeHTTP(rw, r)
		return
	}
	n := w.count.Add(1)
	w.mu.Lock()
	at, after := w.killAt, w.after
	w.mu.Unlock()
	if at == 0 || n != at {
		w.sb.Handler().ServeHTTP(rw, r)
		return
	}
	if after {
		w.sb.Handler().ServeHTTP(httptest.NewRecorder(), r) // the effect happens; the child never hears
	}
	w.mu.Lock()
	if w.child != nil && w.child.Process != nil {
		w.killed.Store(true)
		_ = w.child.Process.Kill() // SIGKILL
	}
	w.mu.Unlock()
	if hj, ok := rw.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

// runChild runs the redacting process, killed at its killAt-th redact request
// (0: never), and reports whether it was killed.
func (w *crashWorld) runChild(killAt int64, after bool) bool {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	mode := w.mode
	if mode == "" {
		mode = "redact"
	}
	cmd.Env = append(os.Environ(), envCrashChild+"="+mode, envCrashDB+"="+w.dbURL, envCrashKey+"="+w.keyText,
		envCrashAPI+"="+w.srv.URL, envCrashToken+"="+w.sb.Token())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	w.count.Store(0)
	w.killed.Store(false)
	w.mu.Lock()
	w.killAt, w.after, w.child = killAt, after, cmd
	err := cmd.Start()
	w.mu.Unlock()
	if err != nil {
		w.t.Fatal(err)
	}
	err = cmd.Wait()
	w.mu.Lock()
	w.child, w.killAt = nil, 0
	w.mu.Unlock()
	if w.killed.Load() {
		return true
	}
	if err != nil {
		w.t.Fatalf("redacting process failed: %v\n%s", err, stderr.String())
	}
	return false
}

// check: every card part redacted exactly once in Intercom, every redaction
// final, the audit trail whole with an intent and an outcome per part.
func (w *crashWorld) check(want map[string]bool) {
	t := w.t
	t.Helper()
	st := w.sb.Stats()
	for k := range want {
		conv, part, _ := strings.Cut(k, "/")
		if n := st.Effect(sandbox.EffectPartRedacted, conv+"/part:"+part) + st.Effect(sandbox.EffectPartRedacted, conv+"/source:"+part); n != 1 {
			t.Errorf("%s redacted %d times, want exactly 1", k, n)
		}
	}
	if n := len(st.Effects[sandbox.EffectPartRedacted]); n != len(want) {
		t.Errorf("%d parts redacted, want %d", n, len(want))
	}
	rs, err := scans(t, w.a).Redactions(bg, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs {
		if x.State != store.RedactionDone && x.State != store.RedactionAlready {
			t.Errorf("%s/%s ended %s", x.ConversationID, x.PartID, x.State)
		}
	}
	if len(rs) != len(want) {
		t.Errorf("%d redactions recorded, want %d", len(rs), len(want))
	}
	rep, err := w.a.VerifyAudit(bg)
	if err != nil || !rep.OK() {
		t.Errorf("audit: %+v %v", rep, err)
	}
}

func TestCrashRedact(t *testing.T) {
	if testing.Short() {
		t.Skip("crash sweep skipped in -short mode")
	}
	start := time.Now()
	w := newCrashWorld(t)
	want := cardParts(w.sb)
	w.runChild(0, false)
	total := w.count.Load()
	w.check(want)
	if total != int64(len(want)) {
		t.Fatalf("an uninterrupted run sent %d redact requests for %d parts", total, len(want))
	}
	points := 0
	for n := int64(1); n <= total; n++ {
		for _, after := range []bool{false, true} {
			if t.Failed() {
				return
			}
			w := newCrashWorld(t)
			if !w.runChild(n, after) {
				t.Fatalf("kill point %d was never reached", n)
			}
			for restarts := 0; w.runChild(0, false); restarts++ {
				if restarts > 3 {
					t.Fatalf("kill point %d: not finished after %d restarts", n, restarts)
				}
			}
			w.check(want)
			if t.Failed() {
				t.Logf("failed at kill point %d (after the effect: %v)", n, after)
			}
			points++
		}
	}
	t.Logf("%d kill points (every redact request, before and after its effect) in %s", points, time.Since(start).Round(time.Millisecond))
}
