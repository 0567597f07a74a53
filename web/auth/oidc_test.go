package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
	"github.com/intercom-privacy/intercom-privacy/web/auth"
)

// The identity provider of these tests is a real OpenID provider: zitadel's
// op package, with its in-memory storage and login form, served over HTTP on
// loopback. Only the people and one claim are ours.

// people are the provider's accounts.
type people map[string]*storage.User

func (p people) GetUserByID(id string) *storage.User { return p[id] }
func (p people) GetUserByUsername(name string) *storage.User {
	for _, u := range p {
		if u.Username == name {
			return u
		}
	}
	return nil
}
func (p people) ExampleClientID() string { return storage.ServiceUserID }

// groups are the values of the "groups" claim each account carries.
var groups = map[string][]string{"u1": {"support", "dpo"}, "u2": {"support"}, "u3": {"marketing"}}

// provider adds the "groups" claim to the example storage's userinfo, in the
// ID token and at the UserInfo endpoint.
type provider struct{ *storage.Storage }

func (p provider) SetUserinfoFromScopes(ctx context.Context, ui *zoidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := p.Storage.SetUserinfoFromScopes(ctx, ui, userID, clientID, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", groups[userID])
	return nil
}

func (p provider) SetUserinfoFromRequest(ctx context.Context, ui *zoidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := p.Storage.SetUserinfoFromRequest(ctx, ui, token, scopes); err != nil {
		return err
	}
	ui.AppendClaims("groups", groups[token.GetSubject()])
	return nil
}

func (p provider) SetUserinfoFromToken(ctx context.Context, ui *zoidc.UserInfo, tokenID, subject, origin string) error {
	if err := p.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	ui.AppendClaims("groups", groups[ui.Subject])
	return nil
}

// startProvider serves the provider, its client registered with redirect.
func startProvider(t *testing.T, redirect string) string {
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	ppl := people{}
	for id, email := range map[string]string{"u1": "dpo@example.com", "u2": "agent@example.com", "u3": "marketer@example.com"} {
		ppl[id] = &storage.User{ID: id, Username: id, Password: "provider-password", Email: email, EmailVerified: true,
			FirstName: "Test", LastName: id, PreferredLanguage: language.English}
	}
	st := storage.NewStorageWithClients(ppl, map[string]*storage.Client{
		"intercom-privacy": storage.WebClient("intercom-privacy", "client-secret", redirect),
	})
	srv.Config.Handler = exampleop.SetupServer(issuer, provider{st}, nil, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

// signInWithProvider walks the browser through the provider's login form and
// returns the last response (the product's callback answer).
func signInWithProvider(t *testing.T, br *browser, username string) *http.Response {
	t.Helper()
	get := func(u string) *http.Response {
		req, _ := http.NewRequest("GET", u, nil)
		resp, err := br.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp, _ := br.do("GET", auth.PathOIDC+"?next=/whoami%3Ffrom%3Doidc", nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	for range 10 {
		resp = get(loc)
		next := resp.Header.Get("Location")
		if next == "" {
			t.Fatalf("provider stopped at %s with %d", loc, resp.StatusCode)
		}
		nu, _ := resp.Request.URL.Parse(next)
		if strings.HasPrefix(nu.Path, "/login/username") {
			// The provider's own login form.
			id := nu.Query().Get("authRequestID")
			form := url.Values{"username": {username}, "password": {"provider-password"}, "id": {id}}
			req, _ := http.NewRequest("POST", nu.String(), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r, err := br.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			nu, _ = r.Request.URL.Parse(r.Header.Get("Location"))
		}
		if strings.HasSuffix(nu.Path, auth.PathCallback) {
			return get(nu.String())
		}
		loc = nu.String()
	}
	t.Fatal("no callback after 10 redirects")
	return nil
}

func TestOpenIDConnectSignIn(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			// The product's server must exist before the provider knows its
			// redirect URL: start it, then configure the handler.
			mux := http.NewServeMux()
			rp := httptest.NewTLSServer(mux)
			t.Cleanup(rp.Close)
			issuer := startProvider(t, rp.URL+auth.PathCallback)
			cfg := config.Auth{OIDC: config.OIDC{Issuer: issuer, ClientID: "intercom-privacy", RedirectURL: rp.URL + auth.PathCallback,
				RoleClaim: "groups", RoleMap: map[string]string{"dpo": "privacy_officer", "support": "agent"},
				Provision: true, RoleFromProvider: true}}
			b := setup(t, be, auth.Options{Config: cfg, OIDCClientSecret: "client-secret", AfterSignIn: "/elsewhere"})
			rp.Config.Handler = b.srv.Config.Handler
			b.srv = rp

			// Provisioned at the first sign-in, with the most powerful role
			// the groups map to.
			br := b.browser(t)
			resp := signInWithProvider(t, br, "u1")
			// It ends on the page asked for when the flow started.
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/whoami?from=oidc" {
				t.Fatalf("callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			r, body := br.do("GET", "/whoami", nil)
			if r.StatusCode != 200 || !strings.HasSuffix(body, " privacy_officer oidc") {
				t.Fatalf("whoami: %d %q", r.StatusCode, body)
			}
			list, err := b.env.Service.List(context.Background())
			if err != nil || len(list) != 1 || list[0].Email != "dpo@example.com" || list[0].Role != authz.RolePrivacyOfficer {
				t.Fatalf("accounts: %+v, %v", list, err)
			}
			// A person whose groups map to no role is refused.
			br3 := b.browser(t)
			if resp := signInWithProvider(t, br3, "u3"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("no role: %d", resp.StatusCode)
			}
			// A callback replayed without the browser's state cookie is refused.
			br4 := b.browser(t)
			if r, _ := br4.do("GET", auth.PathCallback+"?state=x&code=y", nil); r.StatusCode != http.StatusBadRequest {
				t.Fatalf("callback without state: %d", r.StatusCode)
			}
			if r, _ := br4.do("GET", "/whoami", nil); r.StatusCode != 401 {
				t.Fatalf("signed in by a forged callback: %d", r.StatusCode)
			}
		})
	}
}

func TestRoleFromClaim(t *testing.T) {
	m := map[string]string{"dpo": "privacy_officer", "support": "agent", "it": "admin"}
	for _, c := range []struct {
		v    any
		m    map[string]string
		want authz.Role
	}{
		{[]any{"support", "dpo"}, m, authz.RolePrivacyOfficer},
		{[]any{"support", "it", 3}, m, authz.RoleAdmin},
		{"support", m, authz.RoleAgent},
		{"marketing", m, ""},
		{"auditor", nil, authz.RoleAuditor},
		{"root", nil, ""},
		{nil, m, ""},
		{map[string]any{"dpo": true}, m, ""},
	} {
		if got := auth.RoleFromClaim(c.v, c.m); got != c.want {
			t.Errorf("RoleFromClaim(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
