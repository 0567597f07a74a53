package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
)

// TestErrorsThroughTheTable: the sign-in's failures answer through web/httpx's
// table: a browser gets an HTML page (the form again, or the message page)
// and a client asking for JSON a problem with the table's type, the same
// status both ways.
func TestErrorsThroughTheTable(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			b := setup(t, be, auth.Options{})
			if _, err := b.env.Service.Add(context.Background(), users.AddInput{Email: "e@example.com", Role: authz.RoleAgent, Password: pw}); err != nil {
				t.Fatal(err)
			}
			wrong := url.Values{"email": {"e@example.com"}, "password": {"not the password"}}
			jsonAccept := []string{"Accept", "application/json"}
			for _, c := range []struct {
				name, method, path string
				form               url.Values
				hdr                []string
				status             int
				typ, detail        string // a problem's
				html               string // a page's
			}{
				{name: "wrong password", method: "POST", path: auth.PathSignIn, form: wrong, status: 401, html: "Wrong email or password.", typ: "unauthenticated", detail: "Wrong email or password."},
				{name: "QR code signed out", method: "GET", path: auth.PathEnrolQR, status: 401, html: "Sign in or send a valid API token.", typ: "unauthenticated"},
				{name: "cross-origin sign-in", method: "POST", path: auth.PathSignIn, form: wrong, hdr: []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, status: 403, html: "sent from another site", typ: "cross-origin", detail: "sent from another site"},
				{name: "no identity provider", method: "GET", path: auth.PathOIDC, status: 404, html: "not set up here", typ: "not-found", detail: "not set up here"},
			} {
				// A browser: HTML, the message in the page.
				resp, body := b.browser(t).do(c.method, c.path, c.form, c.hdr...)
				if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, c.html) || !strings.Contains(body, "<!doctype html>") {
					t.Errorf("%s (browser): %d %s %.300q", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
				if resp.Header.Get("Content-Security-Policy") != httpx.PagePolicy {
					t.Errorf("%s (browser): policy %q", c.name, resp.Header.Get("Content-Security-Policy"))
				}
				// A client asking for JSON: the table's problem.
				resp, body = b.browser(t).do(c.method, c.path, c.form, append(c.hdr, jsonAccept...)...)
				var p httpx.Problem
				if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != c.status || p.Status != c.status ||
					resp.Header.Get("Content-Type") != httpx.ContentTypeProblem || p.Type != httpx.ProblemBase+c.typ || !strings.Contains(p.Detail, c.detail) {
					t.Errorf("%s (JSON): %d %s %q", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
			}

			// Throttled: 429 with Retry-After both ways, the problem's type
			// from the table (users.ErrThrottled).
			br := b.browser(t)
			for range users.DefaultAccountFailures {
				br.do("POST", auth.PathSignIn, wrong)
			}
			resp, body := br.do("POST", auth.PathSignIn, wrong, jsonAccept...)
			var p httpx.Problem
			if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != http.StatusTooManyRequests || p.Type != httpx.ProblemBase+"too-many-requests" ||
				resp.Header.Get("Retry-After") == "" || !strings.Contains(p.Detail, "Try again in") {
				t.Errorf("throttled (JSON): %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			resp, body = br.do("POST", auth.PathSignIn, wrong)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") || !strings.Contains(body, `name="password"`) {
				t.Errorf("throttled (browser): %d %q %.300q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
		})
	}
}
