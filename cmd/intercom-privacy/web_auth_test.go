package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

// TestServeSignInAndTokens: serve mounts the sign-in pages and puts web/auth's
// middleware in front of the API: a token made with `tokens create` opens
// the API until `tokens revoke`, from the next request on; the sign-in form
// answers, refuses a cross-origin post, and sets the __Host- cookie.
func TestServeSignInAndTokens(t *testing.T) {
	serveEnv(t)
	t.Setenv(server.EnvClientSecret, "s")
	if _, _, err := usersCLI(t, "a long enough passphrase\n", "users", "add", "--email", "aud@example.com", "--role", "auditor", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	out, _, err := usersCLI(t, "", "tokens", "create", "--user", "aud@example.com", "--name", "ci")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out)
	root := newRootCmd()
	errb := &syncBuffer{}
	root.SetOut(errb)
	root.SetErr(errb)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--no-workers", "--stop-timeout", "10s"})
	ctx, cancel := context.WithCancel(context.Background())
	done, ended := make(chan error, 1), make(chan struct{})
	go func() { done <- root.ExecuteContext(ctx); close(ended) }()
	base := errb.waitMatch(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`), ended, errb)[1]
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, body string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	api := func() int { return do("GET", "/api/v1/openapi.json", "", "Authorization", "Bearer "+token).StatusCode }
	testwait.Until(t, "the web surfaces to be built", func() bool { return api() != http.StatusServiceUnavailable })
	if code := api(); code != 200 {
		t.Fatalf("API with a token: %d\n%s", code, errb.String())
	}
	if code := do("GET", "/api/v1/openapi.json", "").StatusCode; code != 401 {
		t.Fatalf("API without a token: %d", code)
	}
	list, _, _ := usersCLI(t, "", "tokens", "list")
	id := regexp.MustCompile(`tok_[0-9a-f]+`).FindString(list)
	if _, _, err := usersCLI(t, "", "tokens", "revoke", id); err != nil {
		t.Fatal(err)
	}
	if code := api(); code != 401 {
		t.Fatalf("API with the revoked token: %d", code)
	}

	if res := do("GET", auth.PathSignIn, ""); res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("sign-in page: %d", res.StatusCode)
	}
	form := url.Values{"email": {"aud@example.com"}, "password": {"a long enough passphrase"}}.Encode()
	formHdr := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if res := do("POST", auth.PathSignIn, form, append(formHdr, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")...); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin sign-in: %d", res.StatusCode)
	}
	res := do("POST", auth.PathSignIn, form, append(formHdr, "Sec-Fetch-Site", "same-origin")...)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != auth.PathEnrol ||
		!strings.HasPrefix(res.Header.Get("Set-Cookie"), auth.SessionCookie+"=ips_") {
		t.Fatalf("sign-in: %d %s %q", res.StatusCode, res.Header.Get("Location"), res.Header.Get("Set-Cookie"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
}
