package dsar_test

import (
	"net/http/httptest"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
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
	ws := apptest.New(t, b, apptest.Options{Sandbox: opts})
	h := &harness{t: t, sb: ws.Sandbox, srv: ws.Server, dbURL: ws.DatabaseURL, master: ws.MasterKey}
	h.app = h.open("test")
	return h
}

// open assembles another App on the same store and sandbox (a second process).
func (h *harness) open(actor string) *app.App {
	h.t.Helper()
	return apptest.Open(h.t, apptest.Target{DatabaseURL: h.dbURL, MasterKey: h.master, Token: h.sb.Token(), BaseURL: h.srv.URL, Actor: actor})
}
