package dsar_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/sandbox"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// harness is a sandbox workspace served over real HTTP, and the application
// assembled against it on one store backend.
type harness struct {
	t      *testing.T
	app    *app.App
	sb     *sandbox.Server
	srv    *httptest.Server
	dbURL  string
	master vault.MasterKey
}

func newHarness(t *testing.T, b storetest.Backend, opts sandbox.Options) *harness {
	t.Helper()
	if opts.Contacts == 0 {
		opts.Contacts = 40
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { sb.Close() })
	text, err := vault.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	master, err := vault.ParseMasterKey(text)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sb: sb, srv: srv, dbURL: b.NewURL(t), master: master}
	h.app = h.open("test")
	return h
}

// open assembles another App on the same store and sandbox (a second process).
func (h *harness) open(actor string) *app.App {
	h.t.Helper()
	a, err := app.Open(context.Background(), app.Settings{
		DatabaseURL: h.dbURL, MasterKey: h.master, InitKeys: true, Actor: actor,
		Intercom: intercom.Config{Token: intercom.Token(h.sb.Token()), BaseURL: h.srv.URL, Timeout: 10 * time.Second},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { a.Close() })
	return a
}
