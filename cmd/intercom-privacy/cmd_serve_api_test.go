package main

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/app"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/server"
)

// TestServeMountsTheAPI: with an authentication middleware registered (web/auth
// does it in production; a header stands in here), serve mounts /api/v1 and
// the console beside the webhook: anonymous callers get 401 from the API and
// the sign-in page from the console, a signed-in one the route.
func TestServeMountsTheAPI(t *testing.T) {
	serveEnv(t)
	t.Setenv(server.EnvClientSecret, "s")
	prev := authenticator
	t.Cleanup(func() { authenticator = prev })
	authenticator = func(*app.App) (func(http.Handler) http.Handler, error) {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Test-User") != "" {
					r = r.WithContext(authz.WithPrincipal(r.Context(), authz.Principal{UserID: "u_1", Role: authz.RoleAuditor}))
				}
				next.ServeHTTP(w, r)
			})
		}, nil
	}
	root := newRootCmd()
	errb := &syncBuffer{}
	root.SetOut(errb)
	root.SetErr(errb)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--no-workers", "--stop-timeout", "10s"})
	ctx, cancel := context.WithCancel(context.Background())
	done, ended := make(chan error, 1), make(chan struct{})
	go func() { done <- root.ExecuteContext(ctx); close(ended) }()
	base := errb.waitMatch(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), ended, errb)[1]
	get := func(user bool) int {
		req, _ := http.NewRequest("GET", base+"/api/v1/openapi.json", nil)
		if user {
			req.Header.Set("X-Test-User", "1")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	testwait.Until(t, "the API to be built", func() bool { return get(true) != http.StatusServiceUnavailable })
	if code := get(true); code != 200 {
		t.Errorf("signed in: %d", code)
	}
	if code := get(false); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(user bool) (int, string) {
		req, _ := http.NewRequest("GET", base+"/requests", nil)
		if user {
			req.Header.Set("X-Test-User", "1")
		}
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Location")
	}
	testwait.Until(t, "the console to be built", func() bool { c, _ := page(true); return c != http.StatusServiceUnavailable })
	if code, _ := page(true); code != 200 {
		t.Errorf("console signed in: %d", code)
	}
	if code, loc := page(false); code != http.StatusSeeOther || loc != "/auth/signin?next=%2Frequests" {
		t.Errorf("console anonymous: %d %q", code, loc)
	}
	if code := get(true); code != 200 {
		t.Errorf("the API after the console: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
}
