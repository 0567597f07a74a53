package export_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// clock is a settable clock shared by the sandbox and the service.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// fault intercepts requests before the sandbox; it returns true when it answered.
type fault func(w http.ResponseWriter, r *http.Request, next http.Handler) bool

// harness is a sandbox served over HTTP through an optional fault, and an App on
// a store backend.
type harness struct {
	t     testing.TB
	sb    *sandbox.Server
	srv   *httptest.Server
	app   *app.App
	clock *clock
	dbURL string
	key   vault.MasterKey
	// keyText is the master key's text, for child processes.
	keyText string

	mu    sync.Mutex
	fault fault
	// downloads counts requests to download URLs.
	downloads atomic.Int64
}

func newHarness(t testing.TB, b storetest.Backend, opts sandbox.Options) *harness {
	t.Helper()
	if opts.Contacts == 0 {
		opts.Contacts = 60
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.ExportDuration == 0 {
		opts.ExportDuration = time.Second
	}
	h := &harness{t: t, clock: &clock{}}
	opts.Now = h.clock.Now
	ws := apptest.New(t, b, apptest.Options{Sandbox: opts, Wrap: func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/download/") {
				h.downloads.Add(1)
			}
			h.mu.Lock()
			f := h.fault
			h.mu.Unlock()
			if f != nil && f(w, r, inner) {
				return
			}
			inner.ServeHTTP(w, r)
		})
	}})
	h.sb, h.srv, h.dbURL, h.key, h.keyText = ws.Sandbox, ws.Server, ws.DatabaseURL, ws.MasterKey, ws.MasterKeyText
	h.app = h.open()
	return h
}

func (h *harness) setFault(f fault) {
	h.mu.Lock()
	h.fault = f
	h.mu.Unlock()
}

// open assembles an App on the same store and sandbox (another process).
func (h *harness) open() *app.App {
	h.t.Helper()
	return apptest.Open(h.t, apptest.Target{DatabaseURL: h.dbURL, MasterKey: h.key, Token: h.sb.Token(), BaseURL: h.srv.URL,
		Actor: "test", Now: h.clock.Now, Timeout: 5 * time.Second})
}

func (h *harness) service(a *app.App) *export.Service {
	return &export.Service{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom,
		Actor: "test", Logger: a.Logger, Now: h.clock.Now}
}

// params covers the whole generated workspace (a year back to today).
func (h *harness) params(out string) export.Params {
	now := h.clock.Now().UTC()
	return export.Params{Since: now.AddDate(-3, 0, 0), Until: now, OutDir: out,
		PollInterval: 20 * time.Millisecond, Timeout: 10 * time.Second}
}

// runUntilWaiting runs an export of p until it first waits for the job at
// Intercom, then stops it, as if the process were killed there: the job stays
// recorded and open. The error is context.Canceled.
func (h *harness) runUntilWaiting(p export.Params) (export.Result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Progress = func(s export.Status) {
		if s.Phase == export.PhaseWaiting {
			cancel()
		}
	}
	return h.service(h.app).Run(ctx, p)
}

func (h *harness) created() int {
	n := 0
	for _, c := range h.sb.Stats().Effects[sandbox.EffectExportCreated] {
		n += c
	}
	return n
}

func (h *harness) canceled() int {
	n := 0
	for _, c := range h.sb.Stats().Effects[sandbox.EffectExportCanceled] {
		n += c
	}
	return n
}

func (h *harness) verifyAudit() {
	h.t.Helper()
	if _, err := h.app.VerifyAudit(context.Background()); err != nil {
		h.t.Fatalf("audit chain does not verify: %v", err)
	}
}

// entries lists what a directory holds (names), for "complete or absent" checks.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
		if e.IsDir() {
			sub, _ := os.ReadDir(filepath.Join(dir, e.Name()))
			for _, s := range sub {
				out = append(out, e.Name()+"/"+s.Name())
			}
		}
	}
	return out
}

// exportAudit returns the export.job records' reasons, in order, for job.
func (h *harness) exportAudit(job string) []string {
	h.t.Helper()
	var out []string
	for sr, err := range h.app.Store.Records(context.Background(), 1) {
		if err != nil {
			h.t.Fatal(err)
		}
		if sr.Action != string(audit.ActionExportJob) {
			continue
		}
		r, err := audit.DecodeBody(sr.Body)
		if err != nil {
			h.t.Fatal(err)
		}
		if job == "" || slices.Contains(r.ObjectIDs, job) {
			out = append(out, r.Reason)
		}
	}
	return out
}
