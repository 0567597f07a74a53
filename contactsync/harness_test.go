package contactsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/contactsync"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/webhook/webhooktest"
)

// clock is a settable clock shared by the sandbox and the syncer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a sandbox workspace served over HTTP on 127.0.0.1 and the
// application assembled against it on one store backend.
type harness struct {
	t     testing.TB
	clock *clock
	sb    *sandbox.Server
	app   *app.App
	ws    *apptest.Workspace
}

func newHarness(t testing.TB, b storetest.Backend, opts sandbox.Options) *harness {
	t.Helper()
	if opts.Contacts == 0 {
		opts.Contacts = 60
	}
	opts.ContactsOnly = true
	ck := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = ck.Now
	}
	ws := apptest.New(t, b, apptest.Options{Sandbox: opts})
	h := &harness{t: t, clock: ck, ws: ws, sb: ws.Sandbox}
	h.app = h.open()
	return h
}

// open assembles an App on the harness's store (another process).
func (h *harness) open() *app.App {
	h.t.Helper()
	return h.ws.Open("test")
}

// syncer builds a Syncer on a with the sync section of cfg (default when nil).
func (h *harness) syncer(a *app.App, cfg *config.Config) *contactsync.Syncer {
	if cfg == nil {
		cfg = config.Default()
	}
	return &contactsync.Syncer{Store: a.Store, Vault: a.Vault, Chain: a.Chain, Intercom: a.Intercom,
		Config: cfg.Sync, Actor: "sync-test", Now: h.clock.Now}
}

// liveContacts returns the sandbox's live contacts (what GET /contacts lists).
func (h *harness) liveContacts() []sandbox.Contact {
	var out []sandbox.Contact
	for _, c := range h.sb.Workspace().Contacts() {
		if !c.Archived && c.MergedInto == "" {
			out = append(out, c)
		}
	}
	return out
}

// auditActions counts the audit records by action, and checks the chain.
func (h *harness) auditActions() map[string]int {
	h.t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	for r, err := range h.app.Store.Records(ctx, 1) {
		if err != nil {
			h.t.Fatal(err)
		}
		out[r.Action]++
	}
	if _, err := h.app.VerifyAudit(ctx); err != nil {
		h.t.Fatalf("audit chain does not verify: %v", err)
	}
	return out
}

// notification builds a signed notification body.
func notification(id, topic string, item map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"type": "notification_event", "id": id, "topic": topic, "app_id": "app1",
		"created_at": 1700000000, "data": map[string]any{"type": "notification_event_data", "item": item}})
	return b
}

const secret = "test-client-secret"

// deliver posts body to h through the handler (no network) and returns the status.
func deliver(t testing.TB, h http.Handler, body []byte, sig string) int {
	t.Helper()
	return webhooktest.Post(h, body, sig).Code
}

// cached returns the cached contact or ok false.
func cached(t testing.TB, st store.Store, id string) (store.CachedContact, bool) {
	t.Helper()
	c, err := st.GetContact(context.Background(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return c, false
		}
		t.Fatal(err)
	}
	return c, true
}
