// Package apptest gives workflow tests a sandbox workspace served over real HTTP on
// 127.0.0.1 and the application assembled against it on a store backend, the way a
// process of the project would see them. Tests of dsar, contactsync and export share
// it.
package apptest

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Options configure a Workspace. The zero value serves a fault-free sandbox of 40
// contacts without a rate limit.
type Options struct {
	// Sandbox configures the imitation workspace. Contacts defaults to 40 and
	// RateLimit to -1 (none) when zero.
	Sandbox sandbox.Options
	// Wrap, when set, wraps the sandbox's handler (to count or break requests).
	Wrap func(http.Handler) http.Handler
	// Now is the clock of the applications opened (time.Now when nil).
	Now func() time.Time
	// Timeout bounds one HTTP attempt of the client (10 s when zero).
	Timeout time.Duration
	// SMTPURL, SMTPTLS and PublicURL configure mail (none when empty).
	SMTPURL   string
	SMTPTLS   *tls.Config
	PublicURL string
	// Config replaces Config() when set.
	Config *config.Config
}

// Workspace is a sandbox served over HTTP, a fresh database and a throwaway master
// key; everything is released when the test ends.
type Workspace struct {
	t testing.TB
	o Options
	// Sandbox is the imitation workspace; Server serves it.
	Sandbox *sandbox.Server
	Server  *httptest.Server
	// DatabaseURL is the test's own database (a file or a PostgreSQL schema).
	DatabaseURL string
	// MasterKey and MasterKeyText are the throwaway master key.
	MasterKey     vault.MasterKey
	MasterKeyText string
}

// New starts a sandbox and creates a database on backend b.
func New(t testing.TB, b storetest.Backend, o Options) *Workspace {
	t.Helper()
	if o.Sandbox.Contacts == 0 {
		o.Sandbox.Contacts = 40
	}
	if o.Sandbox.RateLimit == 0 {
		o.Sandbox.RateLimit = -1
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	sb, err := sandbox.New(o.Sandbox)
	if err != nil {
		t.Fatal(err)
	}
	h := sb.Handler()
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { sb.Close() })
	master, text := MasterKey(t)
	return &Workspace{t: t, o: o, Sandbox: sb, Server: srv, DatabaseURL: b.NewURL(t), MasterKey: master, MasterKeyText: text}
}

// MasterKey generates a fresh master key: the key and its text form (what
// INTERCOM_PRIVACY_MASTER_KEY holds).
func MasterKey(t testing.TB) (vault.MasterKey, string) {
	t.Helper()
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return master, text
}

// Open assembles an application on the workspace's database and sandbox, as another
// process would (the keysets are created by the first). It is closed when the test
// ends.
func (w *Workspace) Open(actor string) *app.App {
	w.t.Helper()
	return Open(w.t, Target{DatabaseURL: w.DatabaseURL, MasterKey: w.MasterKey, Token: w.Sandbox.Token(),
		BaseURL: w.Server.URL, Actor: actor, Now: w.o.Now, Timeout: w.o.Timeout,
		SMTPURL: w.o.SMTPURL, SMTPTLS: w.o.SMTPTLS, PublicURL: w.o.PublicURL, Config: w.o.Config})
}

// Settings are the settings Open uses, for a test that opens the application
// itself (serve.Process, say); the keysets are created if missing.
func (w *Workspace) Settings(actor string) app.Settings {
	return Target{DatabaseURL: w.DatabaseURL, MasterKey: w.MasterKey, Token: w.Sandbox.Token(),
		BaseURL: w.Server.URL, Actor: actor, Now: w.o.Now, Timeout: w.o.Timeout,
		SMTPURL: w.o.SMTPURL, SMTPTLS: w.o.SMTPTLS, PublicURL: w.o.PublicURL, Config: w.o.Config}.settings()
}

// Target says what an application opened by Open works on.
type Target struct {
	DatabaseURL string
	MasterKey   vault.MasterKey
	// Token and BaseURL reach the sandbox.
	Token, BaseURL string
	Actor          string
	// Now is the clock (time.Now when nil); Timeout bounds one HTTP attempt (10 s
	// when zero).
	Now     func() time.Time
	Timeout time.Duration
	// SMTPURL, SMTPTLS and PublicURL configure mail (none when empty).
	SMTPURL   string
	SMTPTLS   *tls.Config
	PublicURL string
	// Config replaces Config() when set.
	Config *config.Config
}

// Config returns the configuration tests run with: the built-in one, with a
// controller and a DPO contact (an access package is refused without them).
func Config() *config.Config {
	c := config.Default()
	c.Access.Controller = "Example Trading Ltd, 1 Test Street, Testville"
	c.Access.ContactDPO = "dpo@example-trading.test"
	return c
}

func (tg Target) settings() app.Settings {
	if tg.Timeout == 0 {
		tg.Timeout = 10 * time.Second
	}
	cfg := tg.Config
	if cfg == nil {
		cfg = Config()
	}
	return app.Settings{
		DatabaseURL: tg.DatabaseURL, MasterKey: tg.MasterKey, InitKeys: true, Actor: tg.Actor, Now: tg.Now, Config: cfg,
		SMTPURL: tg.SMTPURL, SMTPTLS: tg.SMTPTLS, PublicURL: tg.PublicURL,
		Intercom: intercom.Config{Token: intercom.Token(tg.Token), BaseURL: tg.BaseURL, Timeout: tg.Timeout},
	}
}

// Open assembles an application on tg, creating the keysets if the database has
// none; it is closed when the test ends. Tests that serve the sandbox themselves
// (behind a handler that kills a worker process, say) use it directly.
func Open(t testing.TB, tg Target) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), tg.settings())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
