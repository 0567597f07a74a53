package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/app/apptest"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// testNow is the fixed clock of the console tests.
var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// testPrincipalCookie carries the role a test request acts as. The console
// reads principals from the context only; withTestAuth, used by the tests
// alone, stands in for web/auth's Authenticate middleware.
const testPrincipalCookie = "test_principal"

// withTestAuth puts the principal named by the test cookie ("role:user id")
// in the request's context, and serves /test/sign-in?as=ROLE (sets the
// cookie) and /sign-in (a page saying who to sign in as) for the browser
// test.
func withTestAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/test/sign-in":
			role := r.URL.Query().Get("as")
			http.SetCookie(w, &http.Cookie{Name: testPrincipalCookie, Value: role + ":u_" + role, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		case "/test/inaccessible":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><title>bad</title><link rel="stylesheet" href="/test/bad.css"></head>`+
				`<body><main><h1>Bad</h1><input name="x"><p class="faint">faint text</p></main></body></html>`)
			return
		case "/test/bad.css":
			w.Header().Set("Content-Type", "text/css")
			_, _ = io.WriteString(w, ".faint { color: #eee; background: #fff; }")
			return
		case "/auth/signin":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "sign-in page (test stand-in)")
			return
		}
		if c, err := r.Cookie(testPrincipalCookie); err == nil {
			role, user, _ := strings.Cut(c.Value, ":")
			if rl, err := authz.ParseRole(role); err == nil {
				r = r.WithContext(authz.WithPrincipal(r.Context(), authz.Principal{UserID: user, Role: rl, Via: authz.ViaSession, SessionID: "s_" + user}))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bundle is one console on a sandbox and a fresh database.
type bundle struct {
	t   testing.TB
	ws  *apptest.Workspace
	app *app.App
	h   *Handler
	srv http.Handler
}

// setup builds a console on backend b with the fixed clock and the test
// authentication.
func setup(t testing.TB, b storetest.Backend) *bundle {
	t.Helper()
	ws := apptest.New(t, b, apptest.Options{Now: func() time.Time { return testNow }})
	a := ws.Open("server")
	o, err := FromApp(a)
	if err != nil {
		t.Fatal(err)
	}
	bd := &bundle{t: t, ws: ws, app: a}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	bd.h, bd.srv = h, withTestAuth(h.Handler())
	return bd
}

// do sends a request as role ("" for signed out), user id "u_<role>", and
// returns the response and its body.
func (b *bundle) do(role authz.Role, method, target string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.doAs(role, "u_"+string(role), method, target, form)
}

// doAs is do as a given user id.
func (b *bundle) doAs(role authz.Role, user, method, target string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if role != "" {
		req.AddCookie(&http.Cookie{Name: testPrincipalCookie, Value: string(role) + ":" + user})
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	res := rec.Result()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

// file files and verifies a request through the workflow (as the CLI would).
func (b *bundle) file(typ store.RequestType, ids dsar.Identifiers, received time.Time) store.Request {
	b.t.Helper()
	ctx := context.Background()
	r, err := b.app.DSAR.Submit(ctx, dsar.Submission{Type: typ, Identifiers: ids, Channel: "email", ReceivedAt: received})
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

func (b *bundle) verify(id string) store.Request {
	b.t.Helper()
	r, err := b.app.DSAR.Verify(context.Background(), id, "test")
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

func newFormRequest(target string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// forBackends runs f on a console over each store backend (PostgreSQL when
// TEST_DATABASE_URL is set).
func forBackends(t *testing.T, f func(t *testing.T, b *bundle)) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) { f(t, setup(t, be)) })
	}
}
