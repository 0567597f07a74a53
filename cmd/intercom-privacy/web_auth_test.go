package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/internal/testwait"
	"github.com/intercom-privacy/intercom-privacy/server"
	"github.com/intercom-privacy/intercom-privacy/users"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
	"github.com/intercom-privacy/intercom-privacy/web/httpx"
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

// TestConsoleUserDirectory: the console's users page runs on package users;
// its errors reach the page with their statuses, not as 500s.
func TestConsoleUserDirectory(t *testing.T) {
	cliStore(t)
	ctx := context.Background()
	a, err := (&appFlags{databaseURL: os.Getenv("DATABASE_URL")}).open(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	adminID, err := a.Users.Add(ctx, users.AddInput{Email: "admin@example.com", Role: authz.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ctx = authz.WithPrincipal(ctx, authz.Principal{UserID: adminID, Role: authz.RoleAdmin, Via: authz.ViaSession})
	d := userDirectory{a.Users}
	added, err := d.AddUser(ctx, "agent@example.com", authz.RoleAgent)
	if err != nil || added.Setup == "" || added.Email != "agent@example.com" || added.Role != authz.RoleAgent {
		t.Fatalf("add: %+v, %v", added, err)
	}
	list, err := d.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[1].ID != added.ID || list[1].SecondStep {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if _, err := d.AddUser(ctx, "AGENT@example.com", authz.RoleAgent); httpx.KindOf(err).Status != http.StatusConflict {
		t.Fatalf("same email again: %v (%d)", err, httpx.KindOf(err).Status)
	}
	if _, err := d.AddUser(ctx, "not an email", authz.RoleAgent); httpx.KindOf(err).Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad email: %v", err)
	}
	if err := d.DisableUser(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DisableUser(ctx, adminID); httpx.KindOf(err).Status != http.StatusConflict {
		t.Fatalf("last admin: %v", err)
	}
	if err := d.DisableUser(ctx, "usr_missing"); httpx.KindOf(err).Status != http.StatusNotFound {
		t.Fatalf("unknown: %v", err)
	}
}
